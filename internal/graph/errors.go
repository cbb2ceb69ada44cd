package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// toError converts whatever a call returned into a *pim.Error. err is never formatted unless it
// is known not to be an SDK error value: (*odataerrors.ODataError).Error() dereferences
// error.message without a nil check, so a body without it panics in any %v, %w or logger.
func toError(op string, err error, ex *exchange) *pim.Error {
	var te *tokenError
	switch {
	case errors.As(err, &te):
		return &pim.Error{Op: op, Class: pim.ClassUnauthenticated, Detail: te.detail}
	case ex != nil && ex.transportErr != "":
		return &pim.Error{Op: op, Class: pim.ClassTransient, Detail: ex.transportErr}
	case ex != nil && ex.attempts > 0 && ex.status >= 400:
		return classifyResponse(op, ex.status, ex.header, ex.body)
	case ex != nil && ex.attempts > 0:
		// Graph answered with success but the body could not be read into the model. For a
		// write the request exists: transient, so the reconciler looks for it by its marker.
		return &pim.Error{Op: op, Class: pim.ClassTransient, HTTPStatus: ex.status,
			Detail: "reading Graph's answer: " + safeText(err)}
	}
	// Nothing reached the transport: a caller's context that was already done, or a request
	// that could not be built.
	if f, ok := sdkErrorFields(err); ok {
		return f.classify(op)
	}
	return &pim.Error{Op: op, Class: pim.ClassTransient, Detail: safeText(err)}
}

// apiFields is what can be read off an SDK error value without calling its Error method.
type apiFields struct {
	status                   int
	header                   http.Header
	code, message, requestID string
}

// sdkErrorFields reads status, headers, code, message and request-id from an *ODataError or
// *abstractions.ApiError with a nil check at every step; a recover guards against a model
// whose getters still find a way to panic.
func sdkErrorFields(err error) (f apiFields, ok bool) {
	defer func() {
		if recover() != nil {
			f, ok = apiFields{}, false
		}
	}()
	var ae abstractions.ApiErrorable
	if !errors.As(err, &ae) || ae == nil {
		return f, false
	}
	f.status = ae.GetStatusCode()
	f.header = http.Header{}
	if h := ae.GetResponseHeaders(); h != nil {
		for _, k := range h.ListKeys() {
			for _, v := range h.Get(k) {
				f.header.Add(k, v)
			}
		}
	}
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) && oe != nil && oe.GetBackingStore() != nil {
		if me := oe.GetErrorEscaped(); me != nil {
			f.code = deref(me.GetCode())
			f.message = deref(me.GetMessage())
			if ie := me.GetInnerError(); ie != nil {
				f.requestID = deref(ie.GetRequestId())
			}
		}
	}
	return f, true
}

func (f apiFields) classify(op string) *pim.Error {
	rid := f.requestID
	if rid == "" {
		rid = f.header.Get("request-id")
	}
	return classify(op, f.status, f.code, f.message, rid, f.header)
}

// safeText renders err for a Detail, refusing to call Error on SDK error values.
func safeText(err error) string {
	if err == nil {
		return ""
	}
	if f, ok := sdkErrorFields(err); ok {
		return fmt.Sprintf("Graph error (HTTP %d) %s %s", f.status, f.code, f.message)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "deadline exceeded"
	}
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	return err.Error()
}
