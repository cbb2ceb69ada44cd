package graph

import (
	"errors"
	"net/http"
	"testing"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// The SDK bug behind "no error mappings": an ODataError whose body had no error.message panics
// in Error(), and so in every %v, %w and logger. If this stops failing after an upgrade, the
// bug is fixed; the design does not depend on it either way.
func TestODataErrorWithoutMessagePanics(t *testing.T) {
	oe := odataerrors.NewODataError()
	me := odataerrors.NewMainError()
	me.SetCode(ptr("SomeCode"))
	oe.SetErrorEscaped(me)
	defer func() {
		if recover() == nil {
			t.Errorf("(*ODataError).Error() no longer panics without a message")
		}
	}()
	_ = oe.Error()
}

// The request adapter as this package uses it: success bodies come back as bytes, and a
// failure is a plain ApiError, without the body being parsed into an ODataError. The SDK's own
// typed calls, which pass an error mapping and a model factory, would hand the body to kiota's
// parser, which this package's adapter refuses.
func TestAdapterNeverParses(t *testing.T) {
	const success = `{"id":"r1","scheduleInfo":{"expiration":{"duration":"PT30S"}}}`
	rec := newRecorder(t, func(n int, _ *http.Request, w http.ResponseWriter) {
		if n%2 == 1 {
			writeJSON(w, 200, success)
			return
		}
		graphError(w, 400, "InvalidRoleAssignmentRequest", "bad")
	})
	c := newTestClient(t, rec.baseURL())
	ctx := ctxT(t)
	build := func() *abstractions.RequestInformation {
		ri, err := collections[pim.KindAssignment].getRequest(ctx, c.group(), testRequestID)
		if err != nil {
			t.Fatal(err)
		}
		return ri
	}

	res, err := c.adapter.SendPrimitive(ctx, build(), "[]byte", nil)
	if b, ok := res.([]byte); err != nil || !ok || string(b) != success {
		t.Fatalf("success: %v (%T), %v", res, res, err)
	}
	_, err = c.adapter.SendPrimitive(ctx, build(), "[]byte", nil)
	var ae *abstractions.ApiError
	var oe *odataerrors.ODataError
	if !errors.As(err, &ae) || errors.As(err, &oe) || ae.ResponseStatusCode != 400 {
		t.Fatalf("failure: %T, want a plain *abstractions.ApiError with the status", err)
	}

	_, err = c.group().AssignmentScheduleRequests().ByPrivilegedAccessGroupAssignmentScheduleRequestId(testRequestID).Get(ctx, nil)
	if !errors.Is(err, errKiotaParse) {
		t.Fatalf("the SDK's typed Get: %T, want errKiotaParse", err)
	}
}
