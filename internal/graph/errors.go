package graph

import (
	"context"
	"errors"
	"fmt"

	abstractions "github.com/microsoft/kiota-abstractions-go"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// toError converts whatever a call returned into a *pim.Error. What Graph answered is read
// from the exchange the middleware recorded, never from an SDK error value (DESIGN §5).
func toError(op string, err error, ex *exchange) *pim.Error {
	var te *tokenError
	switch {
	case ex.attempts == 0 && errors.As(err, &te):
		// The token is fetched before the request is built, so nothing went to Graph.
		return &pim.Error{Op: op, Class: pim.ClassUnauthenticated, NotSent: true, Detail: te.detail}
	case errors.As(err, &te):
		return &pim.Error{Op: op, Class: pim.ClassUnauthenticated, Detail: te.detail}
	case ex.transportErr != "":
		// The request may have reached Graph (and a write been applied) before the connection
		// failed: not NotSent.
		return &pim.Error{Op: op, Class: pim.ClassTransient, Detail: ex.transportErr}
	case ex.attempts > 0 && ex.status >= 400:
		return classifyResponse(op, ex.status, ex.header, ex.body)
	case ex.attempts > 0:
		// Graph answered with success but the body could not be read. For a write the request
		// exists: transient, so the reconciler looks for it by its marker.
		return &pim.Error{Op: op, Class: pim.ClassTransient, HTTPStatus: ex.status,
			Detail: "reading Graph's answer: " + safeText(err)}
	}
	// The recorder is the innermost middleware, so no recorded attempt proves that nothing
	// went out: a caller's context that was already done, or a request that could not be built.
	return &pim.Error{Op: op, Class: pim.ClassTransient, NotSent: true, Detail: safeText(err)}
}

// safeText renders err for a Detail without calling Error on an SDK error value.
func safeText(err error) string {
	var ae abstractions.ApiErrorable
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ae):
		return fmt.Sprintf("Graph answered HTTP %d", ae.GetStatusCode())
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return err.Error()
}
