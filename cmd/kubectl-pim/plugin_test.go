package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
)

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func cond(t, s, reason, msg string) metav1.Condition {
	return metav1.Condition{Type: t, Status: metav1.ConditionStatus(s), Reason: reason, Message: msg}
}

func assignment(mutate func(*v1.PIMAssignmentRequest)) *v1.PIMAssignmentRequest {
	o := &v1.PIMAssignmentRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "alice-member-6b1f3c9e-x7k2p", Namespace: "team-a", Generation: 1,
			CreationTimestamp: metav1.NewTime(now.Add(-time.Hour))},
		Spec: v1.RequestSpec{GroupID: "6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f", PrincipalID: "0f9e8d7c-6b5a-4c3d-8e1f-a2b3c4d5e6f7",
			Schedule: &v1.Schedule{Expiration: v1.Expiration{Type: v1.ExpirationAfterDuration, Duration: v1.DurationOf(8 * time.Hour)}}},
		Status: v1.RequestStatus{ObservedGeneration: 1},
	}
	if mutate != nil {
		mutate(o)
	}
	return o
}

// The one word for where an object stands puts what stops it first.
func TestState(t *testing.T) {
	k := controllers.AssignmentKind
	for name, tc := range map[string]struct {
		conds []metav1.Condition
		gen   int64
		spec  func(*v1.RequestSpec)
		want  string
	}{
		"new":      {want: "New"},
		"stalled":  {conds: []metav1.Condition{cond("Stalled", "True", "NotPermitted", ""), cond("Ready", "False", "NotPermitted", "")}, want: "Stalled: NotPermitted"},
		"active":   {conds: []metav1.Condition{cond("Active", "True", "Provisioned", ""), cond("Ready", "True", "Provisioned", "")}, want: "Active"},
		"ending":   {conds: []metav1.Condition{cond("Active", "True", "Provisioned", "")}, spec: func(s *v1.RequestSpec) { s.Cancelled = true }, want: "Ending"},
		"ended":    {conds: []metav1.Condition{cond("Active", "False", "Removed", ""), cond("Cancelled", "True", "Removed", "")}, want: "Ended: Removed"},
		"working":  {conds: []metav1.Condition{cond("Reconciling", "True", "CreatePending", ""), cond("Ready", "False", "CreatePending", "")}, want: "Working: CreatePending"},
		"stale":    {conds: []metav1.Condition{cond("Active", "False", "Pending", "")}, gen: 2, want: "Working"},
		"future":   {conds: []metav1.Condition{cond("Active", "False", "NotStarted", ""), cond("Ready", "True", "Granted", "")}, want: "Scheduled"},
		"approval": {conds: []metav1.Condition{cond("Active", "False", "Pending", ""), cond("Ready", "True", "Pending", "")}, want: "Pending approval"},
		"expired":  {conds: []metav1.Condition{cond("Active", "False", "Expired", ""), cond("Ready", "True", "Expired", "")}, want: "Expired"},
	} {
		o := assignment(func(o *v1.PIMAssignmentRequest) {
			o.Status.Conditions = tc.conds
			if tc.gen != 0 {
				o.Generation = tc.gen
			}
			if tc.spec != nil {
				tc.spec(&o.Spec)
			}
		})
		if got := state(k, o); got != tc.want {
			t.Errorf("%s: state %q, want %q", name, got, tc.want)
		}
	}
	e := &v1.PIMEligibilityRequest{Status: v1.RequestStatus{Conditions: []metav1.Condition{cond("Eligible", "True", "Provisioned", "")}}}
	if got := state(controllers.EligibilityKind, e); got != "Eligible" {
		t.Errorf("eligibility in force: %q", got)
	}
}

// until prefers what Graph reports, else works it out from the spec.
func TestUntil(t *testing.T) {
	if got := until(assignment(nil), now); got != "2026-12-01 19:00 UTC (in 7h)" {
		t.Errorf("afterDuration from creation: %q", got)
	}
	end := metav1.NewTime(now.Add(-30 * time.Minute))
	if got := until(assignment(func(o *v1.PIMAssignmentRequest) { o.Status.EndDateTime = &end }), now); got != "2026-12-01 11:30 UTC (30m ago)" {
		t.Errorf("Graph's end: %q", got)
	}
	never := assignment(func(o *v1.PIMAssignmentRequest) { o.Spec.Schedule.Expiration = v1.Expiration{Type: v1.ExpirationNone} })
	if got := until(never, now); got != "never" {
		t.Errorf("noExpiration: %q", got)
	}
	adopted := assignment(func(o *v1.PIMAssignmentRequest) { o.Spec.Schedule = nil })
	if got := until(adopted, now); got != "-" {
		t.Errorf("adopted, not read yet: %q", got)
	}
}

func TestShort(t *testing.T) {
	for d, want := range map[time.Duration]string{
		5 * time.Second: "5s", 90 * time.Second: "1m30s", 25 * time.Minute: "25m", 2*time.Hour + 5*time.Minute: "2h5m",
		30 * time.Hour: "30h", 50 * time.Hour: "2d2h", 90 * 24 * time.Hour: "90d",
	} {
		if got := short(d); got != want {
			t.Errorf("short(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestGenerateName(t *testing.T) {
	spec := v1.RequestSpec{GroupID: "6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f", PrincipalID: "0f9e8d7c-6b5a-4c3d-8e1f-a2b3c4d5e6f7", AccessID: v1.AccessOwner}
	for who, want := range map[string]string{
		"Alice.Smith@contoso.com":              "alice-smith-owner-6b1f3c9e-",
		"system:serviceaccount:ci:deployer":    "deployer-owner-6b1f3c9e-",
		"":                                     "0f9e8d7c-owner-6b1f3c9e-",
		"0f9e8d7c-6b5a-4c3d-8e1f-a2b3c4d5e6f7": "0f9e8d7c-owner-6b1f3c9e-",
		"a-very-long-user-name-indeed@example.org": "a-very-long-user-nam-owner-6b1f3c9e-",
	} {
		if got := generateName(who, spec); got != want {
			t.Errorf("generateName(%q) = %q, want %q", who, got, want)
		}
	}
}

// The flags become exactly the spec the CRD admits.
func TestRequestSpec(t *testing.T) {
	r := &requestOptions{options: &options{}, duration: "90d", justification: "Team lead", ticket: "ServiceNow:CHG1",
		owner: true, start: "2h", principal: "5C4B3A29-1807-4F6E-9D5C-4B3A29180706"}
	spec, err := r.spec("6B1F3C9E-2D4A-4F1B-9C3E-0A1B2C3D4E5F", now)
	if err != nil {
		t.Fatal(err)
	}
	if spec.GroupID != "6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f" || spec.PrincipalID != "5c4b3a29-1807-4f6e-9d5c-4b3a29180706" ||
		spec.AccessID != v1.AccessOwner || spec.Ticket.System != "ServiceNow" || spec.Ticket.Number != "CHG1" ||
		spec.Schedule.Expiration.Duration.String() != "2160h" || spec.Schedule.StartDateTime.String() != "2026-12-01T14:00:00Z" {
		t.Errorf("spec %+v, schedule %+v", spec, spec.Schedule)
	}
	for _, bad := range []requestOptions{
		{duration: "0s", justification: "x"},
		{duration: "1.5s", justification: "x"},
		{duration: "8h", justification: "  "},
		{duration: "8h", justification: strings.Repeat("x", 401)},
		{duration: "8h", justification: "x", ticket: ":CHG1"},
		{duration: "8h", justification: "x", start: "tomorrow"},
		{duration: "8h", justification: "x", principal: "alice"},
	} {
		bad.options = &options{}
		if _, err := bad.spec("6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f", now); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestParseStart(t *testing.T) {
	for in, want := range map[string]string{
		"2026-12-24T08:00:00Z":      "2026-12-24T08:00:00Z",
		"2026-12-24T09:00:00+01:00": "2026-12-24T08:00:00Z",
		"+90m":                      "2026-12-01T13:30:00Z",
	} {
		got, err := parseStart(in, now)
		if err != nil || got.UTC().Format(time.RFC3339) != want {
			t.Errorf("parseStart(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
}

func TestKindNamed(t *testing.T) {
	for in, want := range map[string]string{
		"pimar": "PIMAssignmentRequest", "pimassignmentrequests": "PIMAssignmentRequest",
		"PIMEligibilityRequest": "PIMEligibilityRequest", "pimer": "PIMEligibilityRequest",
		"pimeligibilityrequests.access.pim-operator.dev": "PIMEligibilityRequest",
	} {
		if k, ok := kindNamed(in); !ok || k.Name != want {
			t.Errorf("kindNamed(%q) = %s, %v", in, k.Name, ok)
		}
	}
	if _, ok := kindNamed("pods"); ok {
		t.Error("pods is a request kind")
	}
}

func TestGitOpsManager(t *testing.T) {
	for want, obj := range map[string]*v1.PIMAssignmentRequest{
		"Flux":    {ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"kustomize.toolkit.fluxcd.io/name": "apps"}}},
		"Argo CD": {ObjectMeta: metav1.ObjectMeta{ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "argocd-controller"}}}},
		"":        {ObjectMeta: metav1.ObjectMeta{ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl-client-side-apply"}}}},
	} {
		if got := gitOpsManager(obj); got != want {
			t.Errorf("gitOpsManager = %q, want %q", got, want)
		}
	}
}

// why puts the reason in words, the policy verdict and Graph's own message.
func TestExplain(t *testing.T) {
	msg := "graph createRequest: UserFixable (HTTP 400 Bad Request): RoleAssignmentRequestPolicyValidationFailed: " +
		"The following policy rules failed: [\"ExpirationRule\"] [request-id 1b2c]"
	o := assignment(func(o *v1.PIMAssignmentRequest) {
		o.Status.Conditions = []metav1.Condition{
			cond("Stalled", "True", "GraphRejected", msg), cond("Ready", "False", "GraphRejected", msg),
			cond("Permitted", "True", "Permitted", `permitted by PIMAccessPolicy "team-a"`),
		}
	})
	events := []corev1.Event{{Type: "Warning", Reason: "GraphRejected", Message: msg, LastTimestamp: metav1.NewTime(now.Add(-time.Minute))}}
	var b bytes.Buffer
	explain(&b, controllers.AssignmentKind, o, events, nil, now)
	out := b.String()
	for _, want := range []string{
		"pimassignmentrequest/alice-member-6b1f3c9e-x7k2p in namespace team-a",
		"asks for: member of group 6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f for 0f9e8d7c-6b5a-4c3d-8e1f-a2b3c4d5e6f7, until 2026-12-01 19:00 UTC (in 7h)",
		"state:    Stalled: GraphRejected",
		"GraphRejected (Stalled=True): Microsoft Graph refused the request as written",
		`Policy verdict: permitted — permitted by PIMAccessPolicy "team-a"`,
		"Last Graph error: GraphRejected — graph createRequest: UserFixable (HTTP 400 Bad Request): RoleAssignmentRequestPolicyValidationFailed",
		"[request-id 1b2c]",
		"1m    Warning   GraphRejected",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
	// A request submitted before a policy change: the access stays, the verdict says so.
	o.Status.RequestID = "r1"
	o.Status.Conditions[2] = cond("Permitted", "False", "NotPermitted", "no PIMAccessPolicy selects namespace \"team-a\"")
	if v := verdict(o); !strings.HasPrefix(v, "no longer permitted") || !strings.Contains(v, "the access already granted stays") {
		t.Errorf("verdict %q", v)
	}
}

// Every reason the operator can stall an object with is explained.
func TestEveryStallReasonExplained(t *testing.T) {
	for _, r := range []string{v1.ReasonNotPermitted, v1.ReasonGraphRejected, v1.ReasonForbidden, v1.ReasonUnauthenticated,
		v1.ReasonDuplicateAssignment, v1.ReasonAmbiguousCreate, v1.ReasonRequestGone, v1.ReasonDenied, v1.ReasonFailed,
		v1.ReasonInvalidSpec, v1.ReasonForeignRequest, v1.ReasonGroupPolicyViolation} {
		if e, ok := explanations[r]; !ok || e.means == "" || e.todo == "" {
			t.Errorf("reason %s has no explanation", r)
		}
	}
}

// On a terminal the wait draws a spinner with the state and the time waited, and clears it
// before the outcome is printed; in a log it prints one line per state instead.
func TestWaitProgress(t *testing.T) {
	for _, tty := range []bool{true, false} {
		obj := assignment(nil)
		c := fake.NewClientBuilder().WithScheme(controllers.NewScheme()).WithObjects(obj).WithStatusSubresource(obj).Build()
		go func() {
			time.Sleep(700 * time.Millisecond)
			o := assignment(nil)
			_ = c.Get(context.Background(), client.ObjectKeyFromObject(o), o)
			o.Status.Conditions = []metav1.Condition{cond("Ready", "True", "Provisioned", "x"), cond("Active", "True", "Provisioned", "x")}
			o.Status.ObservedGeneration = o.Generation
			_ = c.Status().Update(context.Background(), o)
		}()
		var errOut bytes.Buffer
		o := &options{streams: streams{ErrOut: &errOut}, tty: tty, now: time.Now}
		got, err := o.wait(t.Context(), c, controllers.AssignmentKind, assignment(nil), 10*time.Second, "waiting", func(o controllers.Object) bool {
			done, _ := settled(o)
			return done
		})
		if err != nil {
			t.Fatal(err)
		}
		if state(controllers.AssignmentKind, got) != "Active" {
			t.Errorf("the wait ended at %q", state(controllers.AssignmentKind, got))
		}
		out := errOut.String()
		if tty {
			if !strings.Contains(out, "\r\033[K⠙ pimassignmentrequest/alice-member-6b1f3c9e-x7k2p: waiting: New (") ||
				!strings.HasSuffix(out, "\r\033[K") {
				t.Errorf("terminal output %q: want a spinner line, cleared at the end", out)
			}
		} else if out != "pimassignmentrequest/alice-member-6b1f3c9e-x7k2p: waiting: New\n" {
			t.Errorf("log output %q: want one line for the one state seen", out)
		}
	}
}

// A refusal names the role that grants the resource the API server refused, not always the
// assignment role.
func TestRoleHint(t *testing.T) {
	gr := func(resource string) schema.GroupResource {
		return schema.GroupResource{Group: v1.GroupVersion.Group, Resource: resource}
	}
	for resource, want := range map[string]string{
		"pimassignmentrequests":  "pimassignmentrequest-editor-role",
		"pimeligibilityrequests": "pimeligibilityrequest-editor-role",
		"pimaccesspolicies":      "pimaccesspolicy-viewer-role",
	} {
		err := explainAPIError(apierrors.NewForbidden(gr(resource), "x", errors.New("no")), "reading x")
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %q does not name %s", resource, err, want)
		}
	}
}
