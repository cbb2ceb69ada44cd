package graph_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pim-operator/pim-operator/internal/graph"
	"github.com/pim-operator/pim-operator/internal/graphemu"
	"github.com/pim-operator/pim-operator/internal/graphtest"
	"github.com/pim-operator/pim-operator/internal/pim"
)

var (
	mustPimError = graph.MustPimError
	ctxT         = graph.CtxT
	sameTime     = graph.SameTime
)

const (
	testPrincipal = graph.TestPrincipal
	testGroup     = graph.TestGroup
	testRequestID = graph.TestRequestID
)

// t0 is the emulator's fixed clock: it moves only when a test advances it.
var t0 = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

const testUID = "9d4b4f2e-1c2a-4e0b-8f3d-5a6b7c8d9e0f"

// newEmulator serves an emulator on t0's fixed clock and returns the client of its
// assignments; TestEmulatorKinds runs both kinds.
func newEmulator(t *testing.T, opts graphemu.Options, mods ...func(*graph.Config)) (*graphemu.Emulator, pim.Client) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	env := graphtest.New(t, opts, mods...)
	return env.Emulator, env.Client.For(pim.KindAssignment)
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

func ptr[T any](v T) *T { return &v }

// mustAssign creates an assignment of the test principal and group.
func mustAssign(t *testing.T, c pim.Client, access pim.AccessID, start *time.Time, exp pim.Expiration) *pim.Request {
	t.Helper()
	r, err := c.Assign(ctxT(t), assignInput(access, start, exp))
	if err != nil {
		t.Fatalf("assign: %v", err)
	}
	return r
}

// wantGraphError checks a failure's class and Graph's code, and that it carries Graph's
// request-id.
func wantGraphError(t *testing.T, err error, class pim.ErrorClass, code string) *pim.Error {
	t.Helper()
	pe := mustPimError(t, err, class)
	if pe.Code != code || pe.RequestID == "" {
		t.Errorf("got %+v, want code %s and a request-id", pe, code)
	}
	return pe
}

// wantCalls checks how often the emulator received an operation (with this action, if any).
func wantCalls(t *testing.T, emu *graphemu.Emulator, op, action string, want int) {
	t.Helper()
	n := emu.CountCalls(op)
	if action != "" {
		n = emu.CountCallsWithAction(op, action)
	}
	if n != want {
		t.Fatalf("%s %s received %d times, want %d", op, action, n, want)
	}
}

// wantLive checks the ids of the triple's live schedules, newest first.
func wantLive(t *testing.T, c pim.Client, tr pim.Triple, want ...string) {
	t.Helper()
	live, err := c.FindLiveSchedules(ctxT(t), tr)
	if err != nil {
		t.Fatalf("FindLiveSchedules: %v", err)
	}
	var ids []string
	for _, s := range live {
		ids = append(ids, s.ID)
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("live schedules %v, want %v", ids, want)
	}
}

// One life per kind, in both spellings the emulator can answer enums in: create, read back,
// find, the schedule and its fields, then removal. The code path is the same; only the URLs
// differ.
func TestEmulatorKinds(t *testing.T) {
	for _, k := range pim.Kinds() {
		for _, capitalized := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s capitalized=%v", k, capitalized), func(t *testing.T) {
				env := graphtest.New(t, graphemu.Options{Now: func() time.Time { return t0 }, CapitalizedMemberTypes: capitalized, MinActiveAge: -1})
				c := env.Client.For(k)
				ctx := ctxT(t)
				r := mustAssign(t, c, pim.AccessOwner, nil, eightHours)
				if got, err := c.GetRequest(ctx, r.ID); err != nil || got.ID != r.ID || !got.End.Equal(t0.Add(8*time.Hour)) {
					t.Fatalf("get: %+v, %v", got, err)
				}
				if found, err := c.FindRequests(ctx, testPrincipal, testGroup); err != nil || len(found) != 1 || found[0].ID != r.ID {
					t.Fatalf("find: %+v, %v", found, err)
				}
				s, err := c.GetSchedule(ctx, r.TargetScheduleID)
				if err != nil {
					t.Fatalf("schedule: %v", err)
				}
				wantAssignment := pim.AssignmentTypeAssigned
				if k == pim.KindEligibility {
					wantAssignment = "" // eligibility schedules have no assignmentType
				}
				if s.MemberType != pim.MemberTypeDirect || s.AssignmentType != wantAssignment || s.CreatedUsing != r.ID || s.Triple != r.Triple {
					t.Errorf("schedule %+v", s)
				}
				wantLive(t, c, r.Triple, r.TargetScheduleID)
				if _, err := c.Remove(ctx, r.Triple, "done"); err != nil {
					t.Fatalf("remove: %v", err)
				}
				wantLive(t, c, r.Triple)
				for _, other := range pim.Kinds() {
					if other != k {
						wantLive(t, env.Client.For(other), r.Triple)
					}
				}
			})
		}
	}
}

func TestEmulatorCreateNowGetFindAndSchedule(t *testing.T) {
	emu, c := newEmulator(t, graphemu.Options{})
	ctx := ctxT(t)
	r := mustAssign(t, c, pim.AccessMember, nil, eightHours)
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
	wantLive(t, c, r.Triple, r.TargetScheduleID)
	wantLive(t, c, pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: pim.AccessOwner})
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
			r := mustAssign(t, c, pim.AccessOwner, nil, tc.exp)
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
	r := mustAssign(t, c, pim.AccessMember, &start, pim.Expiration{Type: pim.ExpirationAfterDuration, Duration: 720 * time.Hour})
	if r.Status != pim.StatusGranted || !r.Start.Equal(start) || !r.End.Equal(start.Add(720*time.Hour)) {
		t.Fatalf("created %+v (start %v end %v)", r, r.Start, r.End)
	}
	// A Granted assignment's schedule counts as live.
	wantLive(t, c, r.Triple, r.TargetScheduleID)
	if err := c.Cancel(ctx, r.ID); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	got, err := c.GetRequest(ctx, r.ID)
	if err != nil || got.Status != pim.StatusCanceled {
		t.Fatalf("after cancel: %+v, %v", got, err)
	}
	wantLive(t, c, r.Triple)
	_, err = c.GetSchedule(ctx, r.TargetScheduleID)
	mustPimError(t, err, pim.ClassNotFound)
	wantCalls(t, emu, graphemu.OpCancelRequest, "", 1)
}

func TestEmulatorCancelErrors(t *testing.T) {
	_, c := newEmulator(t, graphemu.Options{})
	ctx := ctxT(t)
	r := mustAssign(t, c, pim.AccessMember, nil, eightHours)
	pe := mustPimError(t, c.Cancel(ctx, r.ID), pim.ClassNotCancellable)
	if pe.HTTPStatus != 400 || pe.RequestID == "" || pe.Message == "" {
		t.Errorf("cancel of a provisioned request: %+v", pe)
	}
	mustPimError(t, c.Cancel(ctx, "0f0f0f0f-0000-0000-0000-000000000000"), pim.ClassNotFound)
}

func TestEmulatorRemove(t *testing.T) {
	emu, c := newEmulator(t, graphemu.Options{})
	ctx := ctxT(t)
	r := mustAssign(t, c, pim.AccessMember, nil, pim.Expiration{Type: pim.ExpirationNone})
	_, err := c.Remove(ctx, r.Triple, "done")
	if pe := wantGraphError(t, err, pim.ClassTransient, pim.CodeActiveDurationTooShort); pe.HTTPStatus != 400 {
		t.Errorf("too young: %+v", pe)
	}

	emu.Advance(6 * time.Minute)
	rm, err := c.Remove(ctx, r.Triple, "done")
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
	wantLive(t, c, r.Triple)

	_, err = c.Remove(ctx, r.Triple, "again")
	wantGraphError(t, err, pim.ClassAlreadyGone, pim.CodeRoleAssignmentDoesNotExist)
}

func TestEmulatorDuplicateAndPending(t *testing.T) {
	emu, c := newEmulator(t, graphemu.Options{})
	ctx := ctxT(t)
	mustAssign(t, c, pim.AccessMember, nil, eightHours)
	_, err := c.Assign(ctx, assignInput(pim.AccessMember, nil, eightHours))
	wantGraphError(t, err, pim.ClassAssignmentExists, pim.CodeRoleAssignmentExists)

	emu.SetProvisioningDelay(time.Minute)
	mustAssign(t, c, pim.AccessOwner, nil, eightHours)
	_, err = c.Assign(ctx, assignInput(pim.AccessOwner, nil, eightHours))
	wantGraphError(t, err, pim.ClassTransient, pim.CodePendingRoleAssignmentRequest)
}

func TestEmulatorPurgedRequest(t *testing.T) {
	emu, c := newEmulator(t, graphemu.Options{})
	ctx := ctxT(t)
	r := mustAssign(t, c, pim.AccessMember, nil, eightHours)
	if err := emu.Purge(r.ID); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetRequest(ctx, r.ID)
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
	r := mustAssign(t, c, pim.AccessMember, nil, eightHours)
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
			_, err := c.Assign(ctx, assignInput(pim.AccessMember, nil, eightHours))
			pe := mustPimError(t, err, pim.ClassThrottled)
			if pe.RetryAfter != time.Second || pe.HTTPStatus != status {
				t.Errorf("create: %+v", pe)
			}
			wantCalls(t, emu, graphemu.OpCreateRequest, "adminAssign", 1)

			r := mustAssign(t, c, pim.AccessMember, nil, eightHours)
			emu.AddFault(graphemu.Fault{Operation: graphemu.OpCreateRequest, Action: "adminRemove", Status: status, RetryAfter: time.Second, Count: 1})
			_, err = c.Remove(ctx, r.Triple, "x")
			mustPimError(t, err, pim.ClassThrottled)
			wantCalls(t, emu, graphemu.OpCreateRequest, "adminRemove", 1)

			emu.AddFault(graphemu.Fault{Operation: graphemu.OpCancelRequest, Status: status, RetryAfter: time.Second, Count: 1})
			mustPimError(t, c.Cancel(ctx, r.ID), pim.ClassThrottled)
			wantCalls(t, emu, graphemu.OpCancelRequest, "", 1)
		})
	}
}

// A GET answered 429 or 503 is retried by the SDK after Retry-After, inside one call.
func TestEmulatorReadsAreRetried(t *testing.T) {
	emu, c := newEmulator(t, graphemu.Options{})
	ctx := ctxT(t)
	r := mustAssign(t, c, pim.AccessMember, nil, eightHours)
	for _, status := range []int{429, 503} {
		emu.ResetCalls()
		emu.AddFault(graphemu.Fault{Operation: graphemu.OpGetRequest, Status: status, RetryAfter: time.Second, Count: 1})
		got, err := c.GetRequest(ctx, r.ID)
		if err != nil || got.ID != r.ID {
			t.Fatalf("%d: %+v, %v", status, got, err)
		}
		wantCalls(t, emu, graphemu.OpGetRequest, "", 2)
	}
}

// Graph applies the create, then the connection drops: the error is transient, nothing was
// resent, and the request can be found by its marker.
func TestEmulatorDropAfterApply(t *testing.T) {
	emu, c := newEmulator(t, graphemu.Options{})
	ctx := ctxT(t)
	emu.AddFault(graphemu.Fault{Operation: graphemu.OpCreateRequest, DropAfterApply: true, Count: 1})
	_, err := c.Assign(ctx, assignInput(pim.AccessMember, nil, eightHours))
	pe := mustPimError(t, err, pim.ClassTransient)
	if pe.HTTPStatus != 0 || pe.Detail == "" {
		t.Errorf("dropped: %+v", pe)
	}
	wantCalls(t, emu, graphemu.OpCreateRequest, "", 1)
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
	emu, c := newEmulator(t, graphemu.Options{RequireToken: "fake-token"}, func(c *graph.Config) {
		c.Auth = graph.AuthWorkloadIdentity
		c.Credential = &graph.FakeCred{}
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

// The policy read against the emulator: the policy it was given comes back in the operator's
// terms, and a 403 names the permission.
func TestGroupPolicyThroughTheEmulator(t *testing.T) {
	env := graphtest.New(t, graphemu.Options{Now: func() time.Time { return t0 }})
	p := graphemu.DocumentedGroupPolicy()
	p.Assignment.MaximumDuration, p.Assignment.EnabledRules = "PT8H", []string{graphemu.EnabledJustification, graphemu.EnabledMFA}
	if err := env.Emulator.SetGroupPolicy(testGroup, graphemu.AccessOwner, p); err != nil {
		t.Fatal(err)
	}
	got, err := env.Client.GroupPolicy(ctxT(t), testGroup, pim.AccessOwner)
	if err != nil {
		t.Fatal(err)
	}
	all := []string{"all"}
	want := pim.GroupPolicy{GroupID: testGroup, AccessID: pim.AccessOwner, PolicyID: graphemu.GroupPolicyID(testGroup, graphemu.AccessOwner),
		Assignment: pim.LevelRules{
			Expiration: &pim.ExpirationRule{ID: pim.RuleExpirationAdminAssignment, Required: true, MaximumDuration: "PT8H", Maximum: 8 * time.Hour, Operations: all},
			Enablement: &pim.EnablementRule{ID: pim.RuleEnablementAdminAssignment, Enabled: []string{pim.EnabledJustification, pim.EnabledMFA}, Operations: all},
		},
		Eligibility: pim.LevelRules{
			Expiration: &pim.ExpirationRule{ID: pim.RuleExpirationAdminEligibility, Required: true, MaximumDuration: "P365D", Maximum: 365 * 24 * time.Hour, Operations: all},
			Enablement: &pim.EnablementRule{ID: pim.RuleEnablementAdminEligibility, Enabled: []string{}, Operations: all},
		}}
	if g, w := fmt.Sprintf("%+v %+v %+v %+v %+v", *got.Assignment.Expiration, *got.Assignment.Enablement, *got.Eligibility.Expiration, *got.Eligibility.Enablement, got.PolicyID),
		fmt.Sprintf("%+v %+v %+v %+v %+v", *want.Assignment.Expiration, *want.Assignment.Enablement, *want.Eligibility.Expiration, *want.Eligibility.Enablement, want.PolicyID); g != w {
		t.Errorf("got  %s\nwant %s", g, w)
	}
	if got.GroupID != want.GroupID || got.AccessID != want.AccessID {
		t.Errorf("scope %s/%s", got.GroupID, got.AccessID)
	}
	env.Emulator.AddFault(graphemu.Fault{Kind: graphemu.KindPolicy, Status: http.StatusForbidden, Count: 1})
	_, err = env.Client.GroupPolicy(ctxT(t), testGroup, pim.AccessMember)
	if pe := mustPimError(t, err, pim.ClassForbidden); !strings.Contains(pe.Error(), pim.PermissionPolicyRead) {
		t.Errorf("403: %v", pe)
	}
}
