package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// call runs one operation of the kind: it refuses a kind without a collection table, then
// runs fn as Client.call does, labelled with the kind.
func (k *kindClient) call(ctx context.Context, op string, fn func(context.Context) error) error {
	if !k.known {
		return invalid(op, fmt.Errorf("unknown kind %q", k.kind))
	}
	return k.Client.call(ctx, string(k.kind), op, fn)
}

// call runs one operation: it supplies a deadline when the caller has none, records the
// exchange for classification, turns every failure into a *pim.Error and counts the outcome
// under the kind label (a pim.Kind, or MetricsKindPolicy).
func (c *Client) call(ctx context.Context, kind, op string, fn func(context.Context) error) error {
	start := time.Now()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.defaultTimeout)
		defer cancel()
	}
	ex := &exchange{}
	var perr *pim.Error
	if err := fn(withExchange(ctx, ex)); err != nil {
		perr = toError(op, err, ex)
	}
	c.metrics.observe(kind, op, start, perr)
	if perr != nil {
		return perr
	}
	return nil
}

// send has the SDK's request adapter send ri (authentication, then the middleware of
// middleware.go) and returns the body as bytes, nil for none. A non-nil body replaces the
// SDK's serialisation of the stand-in model as the content.
//
// With no error mappings the adapter answers a status of 400 or more with a plain
// *abstractions.ApiError without reading the body (kiota-http-go throwIfFailedResponse), so no
// ODataError, whose Error method can panic, is ever built; the failure is classified from the
// exchange instead.
func (c *Client) send(ctx context.Context, ri *info, body *wireRequest) ([]byte, error) {
	if body != nil {
		content, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		// The SDK has already set Content-Type: application/json.
		ri.Content = content
	}
	res, err := c.adapter.SendPrimitive(ctx, ri, "[]byte", nil)
	if err != nil {
		return nil, err
	}
	raw, ok := res.([]byte)
	if res != nil && !ok {
		return nil, errors.New("the request adapter returned no bytes")
	}
	return raw, nil
}
