package graph

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pim-operator/pim-operator/internal/graphemu"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// t0 is the emulator's fixed clock: it moves only when a test advances it.
var t0 = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

const testUID = "9d4b4f2e-1c2a-4e0b-8f3d-5a6b7c8d9e0f"

func newEmulator(t *testing.T, opts graphemu.Options, mods ...func(*Config)) (*graphemu.Emulator, *Client) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	emu := graphemu.New(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return emu, newTestClient(t, srv.URL+"/v1.0", mods...)
}

func assignInput(access pim.AccessID, start *time.Time, exp pim.Expiration) pim.CreateInput {
	return pim.CreateInput{
		Triple:        pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: access},
		Justification: pim.AppendMarker("release access", "team-a", "release", testUID),
		Ticket:        &pim.Ticket{System: "Jira", Number: "OPS-7"},
		Schedule:      pim.ScheduleInfo{Start: start, Expiration: exp},
	}
}

var eightHours = pim.Expiration{Type: pim.ExpirationAfterDuration, Duration: 8 * time.Hour}

func TestEmulatorCreateNowGetFindAndSchedule(t *testing.T) {
	emu, c := newEmulator(t, graphemu.Options{})
	ctx := ctxT(t)
	r, err := c.CreateAssignment(ctx, assignInput(pim.AccessMember, nil, eightHours))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if r.Status != pim.StatusProvisioned || r.Action != pim.ActionAdminAssign || r.ID == "" ||
		r.TargetScheduleID != testGroup+"_member_"+r.ID || !pim.HasMarker(r.Justification, testUID) ||
		r.Ticket == nil || r.Ticket.Number != "OPS-7" {
		t.Fatalf("created %+v", r)
	}
	if r.Start == nil || !r.Start.Equal(t0) || r.End == nil || !r.End.Equal(t0.Add(8*time.Hour)) {
		t.Errorf("start %v end %v, want %v and 8h later", r.Start, r.End, t0)
	}
	stored, ok := emu.Request(r.ID)
	if !ok || stored.ScheduleInfo.Expiration.Duration != "PT8H" {
		t.Errorf("emulator stored duration %q", stored.ScheduleInfo.Expiration.Duration)
	}

	got, err := c.GetRequest(ctx, r.ID)
	if err != nil || got.ID != r.ID || got.Status != pim.StatusProvisioned || !got.End.Equal(*r.End) {
		t.Fatalf("get: %+v, %v", got, err)
	}
	found, err := c.FindRequests(ctx, testPrincipal, testGroup)
	if err != nil || len(found) != 1 || found[0].ID != r.ID || !pim.HasMarker(found[0].Justification, testUID) {
		t.Fatalf("find: %+v, %v", found, err)
	}
	s, err := c.GetSchedule(ctx, r.TargetScheduleID)
	if err != nil || s.ID != r.TargetScheduleID || s.Status != pim.StatusProvisioned || s.End == nil || !s.End.Equal(*r.End) {
		t.Fatalf("schedule: %+v, %v", s, err)
	}
	live, err := c.FindLiveSchedule(ctx, r.Triple)
	if err != nil || live == nil || live.ID != r.TargetScheduleID {
		t.Fatalf("live schedule: %+v, %v", live, err)
	}
	if other, err := c.FindLiveSchedule(ctx, pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: pim.AccessOwner}); err != nil || other != nil {
		t.Fatalf("owner schedule: %+v, %v", other, err)
	}
}

func TestEmulatorExpirationsOnTheWire(t *testing.T) {
	end := t0.Add(72 * time.Hour)
	for _, tc := range []struct {
		name     string
		exp      pim.Expiration
		wireType string
		wireDur  string
		wantEnd  *time.Time
	}{
		{"noExpiration", pim.Expiration{Type: pim.ExpirationNone}, "noExpiration", "", nil},
		{"afterDateTime", pim.Expiration{Type: pim.ExpirationAfterDateTime, EndDateTime: &end}, "afterDateTime", "", &end},
		{"afterDuration 30 days", pim.Expiration{Type: pim.ExpirationAfterDuration, Duration: 720 * time.Hour}, "afterDuration", "P30D", ptr(t0.Add(720 * time.Hour))},
		{"afterDuration 8h", eightHours, "afterDuration", "PT8H", ptr(t0.Add(8 * time.Hour))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu, c := newEmulator(t, graphemu.Options{})
			r, err := c.CreateAssignment(ctxT(t), assignInput(pim.AccessOwner, nil, tc.exp))
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			if !sameTime(r.End, tc.wantEnd) {
				t.Errorf("End = %v, want %v", r.End, tc.wantEnd)
			}
			stored, _ := emu.Request(r.ID)
			if stored.ScheduleInfo.Expiration.Type != tc.wireType || stored.ScheduleInfo.Expiration.Duration != tc.wireDur {
				t.Errorf("emulator stored expiration %+v", stored.ScheduleInfo.Expiration)
			}
			if body := emu.Calls()[0].RequestBody; strings.Contains(body, "P4W") {
				t.Errorf("weeks on the wire: %s", body)
			}
		})
	}
}

func TestEmulatorFutureStartIsGrantedAndCancels(t *testing.T) {
	emu, c := newEmulator(t, graphemu.Options{})
	ctx := ctxT(t)
	start := t0.Add(time.Hour)
	r, err := c.CreateAssignment(ctx, assignInput(pim.AccessMember, &start, pim.Expiration{Type: pim.ExpirationAfterDuration, Duration: 720 * time.Hour}))
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != pim.StatusGranted || !r.Start.Equal(start) || !r.End.Equal(start.Add(720*time.Hour)) {
		t.Fatalf("created %+v (start %v end %v)", r, r.Start, r.End)
	}
	if live, err := c.FindLiveSchedule(ctx, r.Triple); err != nil || live == nil || live.ID != r.TargetScheduleID {
		t.Fatalf("a Granted assignment's schedule should count as live: %+v, %v", live, err)
	}
	if err := c.CancelRequest(ctx, r.ID); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	got, err := c.GetRequest(ctx, r.ID)
	if err != nil || got.Status != pim.StatusCanceled {
		t.Fatalf("after cancel: %+v, %v", got, err)
	}
	if live, err := c.FindLiveSchedule(ctx, r.Triple); err != nil || live != nil {
		t.Fatalf("after cancel, live schedule %+v, %v", live, err)
	}
	_, err = c.GetSchedule(ctx, r.TargetScheduleID)
	mustPimError(t, err, pim.ClassNotFound)
	if n := emu.CountCalls(graphemu.OpCancelRequest); n != 1 {
		t.Errorf("%d cancel calls", n)
	}
}

func TestEmulatorCancelErrors(t *testing.T) {
	_, c := newEmulator(t, graphemu.Options{})
	ctx := ctxT(t)
	r, err := c.CreateAssignment(ctx, assignInput(pim.AccessMember, nil, eightHours))
	if err != nil {
		t.Fatal(err)
	}
	pe := mustPimError(t, c.CancelRequest(ctx, r.ID), pim.ClassNotCancellable)
	if pe.HTTPStatus != 400 || pe.RequestID == "" || pe.Message == "" {
		t.Errorf("cancel of a provisioned request: %+v", pe)
	}
	mustPimError(t, c.CancelRequest(ctx, "0f0f0f0f-0000-0000-0000-000000000000"), pim.ClassNotFound)
}

func TestEmulatorRemove(t *testing.T) {
	emu, c := newEmulator(t, graphemu.Options{})
	ctx := ctxT(t)
	r, err := c.CreateAssignment(ctx, assignInput(pim.AccessMember, nil, pim.Expiration{Type: pim.ExpirationNone}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RemoveAssignment(ctx, r.Triple, "done")
	pe := mustPimError(t, err, pim.ClassTransient)
	if pe.Code != pim.CodeActiveDurationTooShort || pe.HTTPStatus != 400 || pe.RequestID == "" {
		t.Errorf("too young: %+v", pe)
	}

	emu.Advance(6 * time.Minute)
	rm, err := c.RemoveAssignment(ctx, r.Triple, "done")
	if err != nil {
		t.Fatalf("remove: %v", err)
	}
	if rm.ID == r.ID || rm.Status != pim.StatusRevoked || rm.Action != pim.ActionAdminRemove || rm.Triple != r.Triple {
		t.Errorf("removal request %+v", rm)
	}
	orig, err := c.GetRequest(ctx, r.ID)
	if err != nil || orig.Status != pim.StatusProvisioned {
		t.Errorf("original request after removal: %+v, %v (Graph leaves it Provisioned)", orig, err)
	}
	if live, err := c.FindLiveSchedule(ctx, r.Triple); err != nil || live != nil {
		t.Errorf("live schedule after removal: %+v, %v", live, err)
	}

	_, err = c.RemoveAssignment(ctx, r.Triple, "again")
	pe = mustPimError(t, err, pim.ClassAlreadyGone)
	if pe.Code != pim.CodeRoleAssignmentDoesNotExist {
		t.Errorf("nothing live: %+v", pe)
	}
}

func TestEmulatorDuplicateAndPending(t *testing.T) {
	emu, c := newEmulator(t, graphemu.Options{})
	ctx := ctxT(t)
	if _, err := c.CreateAssignment(ctx, assignInput(pim.AccessMember, nil, eightHours)); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateAssignment(ctx, assignInput(pim.AccessMember, nil, eightHours))
	pe := mustPimError(t, err, pim.ClassAssignmentExists)
	if pe.Code != pim.CodeRoleAssignmentExists || pe.RequestID == "" {
		t.Errorf("duplicate: %+v", pe)
	}

	emu.SetProvisioningDelay(time.Minute)
	if _, err := c.CreateAssignment(ctx, assignInput(pim.AccessOwner, nil, eightHours)); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateAssignment(ctx, assignInput(pim.AccessOwner, nil, eightHours))
	pe = mustPimError(t, err, pim.ClassTransient)
	if pe.Code != pim.CodePendingRoleAssignmentRequest {
		t.Errorf("pending: %+v", pe)
	}
}

func TestEmulatorPurgedRequest(t *testing.T) {
	emu, c := newEmulator(t, graphemu.Options{})
	ctx := ctxT(t)
	r, err := c.CreateAssignment(ctx, assignInput(pim.AccessMember, nil, eightHours))
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Purge(r.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetRequest(ctx, r.ID)
	pe := mustPimError(t, err, pim.ClassNotFound)
	if pe.HTTPStatus != 404 || pe.RequestID == "" {
		t.Errorf("purged: %+v", pe)
	}
	if s, err := c.GetSchedule(ctx, r.TargetScheduleID); err != nil || s.ID != r.TargetScheduleID {
		t.Errorf("the schedule outlives its purged request: %+v, %v", s, err)
	}
	_, err = c.GetSchedule(ctx, testGroup+"_member_00000000-0000-0000-0000-000000000000")
	mustPimError(t, err, pim.ClassNotFound)
}

func TestEmulatorListIsEventuallyConsistent(t *testing.T) {
	emu, c := newEmulator(t, graphemu.Options{ListLag: 10 * time.Second})
	ctx := ctxT(t)
	r, err := c.CreateAssignment(ctx, assignInput(pim.AccessMember, nil, eightHours))
	if err != nil {
		t.Fatal(err)
	}
	found, err := c.FindRequests(ctx, testPrincipal, testGroup)
	if err != nil || len(found) != 0 {
		t.Fatalf("within the lag: %+v, %v", found, err)
	}
	emu.Advance(11 * time.Second)
	found, err = c.FindRequests(ctx, testPrincipal, testGroup)
	if err != nil || len(found) != 1 || found[0].ID != r.ID {
		t.Fatalf("after the lag: %+v, %v", found, err)
	}
}

// The SDK must not resend a write: the emulator counts what arrived.
func TestEmulatorWritesAreSentOnce(t *testing.T) {
	for _, status := range []int{429, 503, 504} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			emu, c := newEmulator(t, graphemu.Options{MinActiveAge: -1})
			ctx := ctxT(t)
			emu.AddFault(graphemu.Fault{Operation: graphemu.OpCreateRequest, Action: "adminAssign", Status: status, RetryAfter: time.Second, Count: 1})
			_, err := c.CreateAssignment(ctx, assignInput(pim.AccessMember, nil, eightHours))
			pe := mustPimError(t, err, pim.ClassThrottled)
			if pe.RetryAfter != time.Second || pe.HTTPStatus != status {
				t.Errorf("create: %+v", pe)
			}
			if n := emu.CountCallsWithAction(graphemu.OpCreateRequest, "adminAssign"); n != 1 {
				t.Fatalf("adminAssign sent %d times, want 1", n)
			}

			r, err := c.CreateAssignment(ctx, assignInput(pim.AccessMember, nil, eightHours))
			if err != nil {
				t.Fatal(err)
			}
			emu.AddFault(graphemu.Fault{Operation: graphemu.OpCreateRequest, Action: "adminRemove", Status: status, RetryAfter: time.Second, Count: 1})
			_, err = c.RemoveAssignment(ctx, r.Triple, "x")
			mustPimError(t, err, pim.ClassThrottled)
			if n := emu.CountCallsWithAction(graphemu.OpCreateRequest, "adminRemove"); n != 1 {
				t.Fatalf("adminRemove sent %d times, want 1", n)
			}

			emu.AddFault(graphemu.Fault{Operation: graphemu.OpCancelRequest, Status: status, RetryAfter: time.Second, Count: 1})
			mustPimError(t, c.CancelRequest(ctx, r.ID), pim.ClassThrottled)
			if n := emu.CountCalls(graphemu.OpCancelRequest); n != 1 {
				t.Fatalf("cancel sent %d times, want 1", n)
			}
		})
	}
}

// A GET answered 429 or 503 is retried by the SDK after Retry-After, inside one call.
func TestEmulatorReadsAreRetried(t *testing.T) {
	emu, c := newEmulator(t, graphemu.Options{})
	ctx := ctxT(t)
	r, err := c.CreateAssignment(ctx, assignInput(pim.AccessMember, nil, eightHours))
	if err != nil {
		t.Fatal(err)
	}
	for _, status := range []int{429, 503} {
		emu.ResetCalls()
		emu.AddFault(graphemu.Fault{Operation: graphemu.OpGetRequest, Status: status, RetryAfter: time.Second, Count: 1})
		got, err := c.GetRequest(ctx, r.ID)
		if err != nil || got.ID != r.ID {
			t.Fatalf("%d: %+v, %v", status, got, err)
		}
		if n := emu.CountCalls(graphemu.OpGetRequest); n != 2 {
			t.Fatalf("%d: GET sent %d times, want 2", status, n)
		}
	}
}

// Graph applies the create, then the connection drops: the error is transient, nothing was
// resent, and the request can be found by its marker.
func TestEmulatorDropAfterApply(t *testing.T) {
	emu, c := newEmulator(t, graphemu.Options{})
	ctx := ctxT(t)
	emu.AddFault(graphemu.Fault{Operation: graphemu.OpCreateRequest, DropAfterApply: true, Count: 1})
	_, err := c.CreateAssignment(ctx, assignInput(pim.AccessMember, nil, eightHours))
	pe := mustPimError(t, err, pim.ClassTransient)
	if pe.HTTPStatus != 0 || pe.Detail == "" {
		t.Errorf("dropped: %+v", pe)
	}
	if n := emu.CountCalls(graphemu.OpCreateRequest); n != 1 {
		t.Fatalf("create sent %d times", n)
	}
	found, err := c.FindRequests(ctx, testPrincipal, testGroup)
	if err != nil || len(found) != 1 || !pim.HasMarker(found[0].Justification, testUID) {
		t.Fatalf("find after drop: %+v, %v", found, err)
	}
}

func TestEmulatorOddBodies(t *testing.T) {
	emu, c := newEmulator(t, graphemu.Options{})
	ctx := ctxT(t)
	emu.AddFault(graphemu.Fault{Operation: graphemu.OpListRequests, Status: 502, Body: "<html><body>Bad Gateway</body></html>", Count: 1})
	emu.AddFault(graphemu.Fault{Operation: graphemu.OpGetRequest, Status: 400, Body: `{"error":{"code":"X"}}`, Count: 1})
	emu.AddFault(graphemu.Fault{Operation: graphemu.OpGetSchedule, Status: 200, Body: `{"id":`, Count: 1})
	_, err := c.FindRequests(ctx, testPrincipal, testGroup)
	if pe := mustPimError(t, err, pim.ClassTransient); pe.HTTPStatus != 502 || !strings.Contains(pe.Detail, "Bad Gateway") {
		t.Errorf("HTML: %+v", pe)
	}
	_, err = c.GetRequest(ctx, testRequestID)
	if pe := mustPimError(t, err, pim.ClassUserFixable); pe.Code != "X" {
		t.Errorf("no message: %+v", pe)
	}
	_, err = c.GetSchedule(ctx, "s")
	mustPimError(t, err, pim.ClassTransient)
}

func TestEmulatorRequiresTheBearerToken(t *testing.T) {
	emu, c := newEmulator(t, graphemu.Options{RequireToken: "fake-token"}, func(c *Config) {
		c.Auth = AuthWorkloadIdentity
		c.Credential = &fakeCred{}
	})
	ctx := ctxT(t)
	if _, err := c.FindRequests(ctx, testPrincipal, testGroup); err != nil {
		t.Fatalf("with the token: %v", err)
	}
	emu.SetRequireToken("another-token")
	_, err := c.FindRequests(ctx, testPrincipal, testGroup)
	if pe := mustPimError(t, err, pim.ClassUnauthenticated); pe.Code != "InvalidAuthenticationToken" {
		t.Errorf("wrong token: %+v", pe)
	}
}
