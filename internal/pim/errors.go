package pim

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ErrorClass says what the reconciler should do about a failed Graph call.
type ErrorClass string

// The classes of Graph failures (DESIGN §4).
const (
	// ClassThrottled is a 429 (or a 503/504 with Retry-After): wait RetryAfter, then try again.
	ClassThrottled ErrorClass = "Throttled"
	// ClassTransient is worth retrying with backoff: 5xx, timeouts, resets, and the Graph codes
	// ActiveDurationTooShort and PendingRoleAssignmentRequest.
	ClassTransient ErrorClass = "Transient"
	// ClassNotFound is a 404: unknown, purged, or not replicated yet.
	ClassNotFound ErrorClass = "NotFound"
	// ClassNotCancellable is any 400 answered to cancel.
	ClassNotCancellable ErrorClass = "NotCancellable"
	// ClassAlreadyGone is RoleAssignmentDoesNotExist: nothing is assigned any more.
	ClassAlreadyGone ErrorClass = "AlreadyGone"
	// ClassAssignmentExists is RoleAssignmentExists: the triple is already assigned.
	ClassAssignmentExists ErrorClass = "AssignmentExists"
	// ClassUserFixable is a request Graph refuses until a person changes it: policy
	// validation, invalid request, any other 4xx.
	ClassUserFixable ErrorClass = "UserFixable"
	// ClassForbidden is a 403: the operator's identity lacks a permission.
	ClassForbidden ErrorClass = "Forbidden"
	// ClassUnauthenticated is a 401, or no token could be obtained.
	ClassUnauthenticated ErrorClass = "Unauthenticated"
)

// Graph error codes the operator acts on.
const (
	CodeActiveDurationTooShort       = "ActiveDurationTooShort"
	CodePendingRoleAssignmentRequest = "PendingRoleAssignmentRequest"
	CodeRoleAssignmentDoesNotExist   = "RoleAssignmentDoesNotExist"
	CodeRoleAssignmentExists         = "RoleAssignmentExists"
	CodePolicyValidationFailed       = "RoleAssignmentRequestPolicyValidationFailed"
	CodeInvalidRequest               = "InvalidRoleAssignmentRequest"
)

// Error is a failed Graph call in the operator's terms. It holds only plain values, so it is
// safe to format, wrap and log.
type Error struct {
	// Op is the operation that failed, e.g. "createRequest".
	Op    string
	Class ErrorClass
	// HTTPStatus is 0 when no response arrived (timeout, reset, dropped connection).
	HTTPStatus int
	Code       string
	Message    string
	// RequestID is Graph's request-id: what Microsoft support asks for.
	RequestID  string
	RetryAfter time.Duration
	// Detail describes a failure without a Graph body (a transport error), already flattened
	// to text.
	Detail string
	// NotSent says the call never left the process (the client-side write limiter, an input
	// refused before sending): a write that failed so certainly changed nothing in Graph.
	NotSent bool
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph %s: %s", e.Op, e.Class)
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " (HTTP %d", e.HTTPStatus)
		if t := http.StatusText(e.HTTPStatus); t != "" {
			fmt.Fprintf(&b, " %s", t)
		}
		b.WriteString(")")
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ": %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request-id %s]", e.RequestID)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// AsError returns the *Error inside err, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// ClassOf returns err's class; an error that is not an *Error counts as transient.
func ClassOf(err error) ErrorClass {
	if err == nil {
		return ""
	}
	if e := AsError(err); e != nil {
		return e.Class
	}
	return ClassTransient
}

// NotSent reports whether err proves that the call never reached Graph.
func NotSent(err error) bool {
	e := AsError(err)
	return e != nil && e.NotSent
}

// IsClass reports whether err is of class c.
func IsClass(err error, c ErrorClass) bool { return err != nil && ClassOf(err) == c }
