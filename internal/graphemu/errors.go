package graphemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Graph error codes the emulator answers with. The PIM codes and their messages are the ones
// Graph sends (RoleAssignmentExists, RoleAssignmentDoesNotExist, ActiveDurationTooShort —
// including Graph's "Miniumum" typo —, PendingRoleAssignmentRequest, RequestCannotBeCancelled
// from the PIM API's documented error table); the generic ones follow Graph's conventions.
const (
	CodeBadRequest                   = "BadRequest"
	CodeInvalidRequest               = "InvalidRoleAssignmentRequest"
	CodeRoleAssignmentExists         = "RoleAssignmentExists"
	CodeRoleAssignmentDoesNotExist   = "RoleAssignmentDoesNotExist"
	CodeActiveDurationTooShort       = "ActiveDurationTooShort"
	CodePendingRoleAssignmentRequest = "PendingRoleAssignmentRequest"
	CodeRequestCannotBeCancelled     = "RequestCannotBeCancelled"
	CodeResourceNotFound             = "ResourceNotFound"
	CodeInvalidAuthenticationToken   = "InvalidAuthenticationToken"
	CodeTooManyRequests              = "TooManyRequests"
	CodeServiceUnavailable           = "ServiceUnavailable"
	CodeGatewayTimeout               = "GatewayTimeout"
	CodeInternalServerError          = "InternalServerError"
	CodeForbidden                    = "Forbidden"
	CodeMethodNotAllowed             = "MethodNotAllowed"
	// CodeNotModelled (HTTP 501) answers what Graph serves but the emulator does not model
	// (filterByCurrentUser, $select, actions other than adminAssign and adminRemove): a test
	// that reaches it learns so at once, instead of being answered as Graph would not.
	CodeNotModelled = "NotImplemented"
)

// Errors of the Go control API.
var (
	// ErrNotFound: no request with that id (unknown or purged).
	ErrNotFound = errors.New("graphemu: no such request")
	// ErrInvalidState: the request is not in a state that allows the operation.
	ErrInvalidState = errors.New("graphemu: request is not in a state that allows this")
	// ErrAssignmentExists: the triple already has a live (or pending) assignment.
	ErrAssignmentExists = errors.New("graphemu: the role assignment already exists")
	// ErrEligibilityExists: the triple already has a live (or pending) eligibility.
	ErrEligibilityExists = errors.New("graphemu: the role eligibility already exists")
	// ErrNoEligibility: an activation needs a live eligibility for its triple, as in Entra.
	ErrNoEligibility = errors.New("graphemu: no live eligibility to activate")
)

// apiError is a Graph error answer: an HTTP status plus Graph's code and message.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func badRequest(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, message: fmt.Sprintf(format, args...)}
}

// notFound is Graph's answer for an id it does not know (or no longer serves).
func notFound(entity, id string) *apiError {
	return &apiError{status: http.StatusNotFound, code: CodeResourceNotFound,
		message: fmt.Sprintf("The %s '%s' was not found.", entity, id)}
}

func notModelled(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotImplemented, code: CodeNotModelled, message: fmt.Sprintf(format, args...)}
}

// errorBody is Graph's error envelope.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	InnerError innerError `json:"innerError"`
}

type innerError struct {
	Date            string `json:"date"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id"`
}

// defaultErrorCode is the code Graph uses for a status when nobody chose one.
func defaultErrorCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return CodeBadRequest
	case http.StatusUnauthorized:
		return CodeInvalidAuthenticationToken
	case http.StatusForbidden:
		return CodeForbidden
	case http.StatusNotFound:
		return CodeResourceNotFound
	case http.StatusMethodNotAllowed:
		return CodeMethodNotAllowed
	case http.StatusTooManyRequests:
		return CodeTooManyRequests
	case http.StatusServiceUnavailable:
		return CodeServiceUnavailable
	case http.StatusGatewayTimeout:
		return CodeGatewayTimeout
	case http.StatusNotImplemented:
		return CodeNotModelled
	}
	return CodeInternalServerError
}

// defaultErrorMessage is the message Graph sends for a status when nobody chose one.
func defaultErrorMessage(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "Too many requests. Please retry after the time given in the Retry-After header."
	case http.StatusServiceUnavailable:
		return "The service is temporarily unavailable. Please retry later."
	}
	if t := http.StatusText(status); t != "" {
		return t + "."
	}
	return "An error has occurred."
}

// writeGraphError writes Graph's error body. The request-id and client-request-id headers,
// already set on w, are repeated in innerError as Graph does.
func writeGraphError(w http.ResponseWriter, now time.Time, e *apiError) {
	h := w.Header()
	body := errorBody{Error: errorDetail{
		Code:    e.code,
		Message: e.message,
		InnerError: innerError{
			Date:            now.UTC().Format(innerErrorDateLayout),
			RequestID:       h.Get(headerRequestID),
			ClientRequestID: h.Get(headerClientRequestID),
		},
	}}
	if body.Error.Code == "" {
		body.Error.Code = defaultErrorCode(e.status)
	}
	if body.Error.Message == "" {
		body.Error.Message = defaultErrorMessage(e.status)
	}
	b, _ := json.Marshal(body)
	h.Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}
