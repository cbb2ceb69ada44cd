package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	accessv1alpha1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
	"github.com/pim-operator/pim-operator/internal/childproc"
	"github.com/pim-operator/pim-operator/internal/graphemu"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

const (
	// group is the PIM-governed group of the samples.
	group = "6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f"
	// portalPrincipal makes the portal activation that the flow adopts.
	portalPrincipal = "3cce9d87-3986-4f19-8335-7ed075408ca2"
	// eligiblePrincipal is made eligible by the flow, and activates that in the portal.
	eligiblePrincipal = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
	// minActiveAge shortens Graph's 5-minute minimum age of an active assignment, in the
	// emulator and in the manager alike.
	minActiveAge = "3s"
)

// The objects of the flow: the samples, and one made by the test.
const (
	now       = "oncall-alice"       // config/samples/..._now.yaml: Provisioned at once
	future    = "maintenance-bob"    // ..._future.yaml: starts in 2030, Granted
	calledOff = "called-off-carol"   // ..._cancelled.yaml: cancelled before anything was sent
	adopted   = "adopted-activation" // ..._adopt.yaml: adopts a portal activation by requestId
	doomed    = "short-lived"        // deleted, with the default deletion policy (Cancel)
	eligible  = "eligible-erin"      // a PIMEligibilityRequest made by the test
)

// Every object of `kustomize build config/default` is admitted by a real API server (server-side
// dry run); the RBAC objects among them were installed for real by TestMain.
func TestManifestsAreAdmitted(t *testing.T) {
	objs := s.requireManifests(t)
	ctx := t.Context()
	kinds := map[string]int{}
	for _, obj := range objs {
		kinds[obj.GetKind()]++
		err := s.env.Client.Patch(ctx, obj.DeepCopy(), client.Apply, client.DryRunAll,
			client.FieldOwner(fieldOwner), client.ForceOwnership)
		if err != nil {
			t.Errorf("%s %s/%s not admitted: %v", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
		}
	}
	for _, kind := range []string{"Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole",
		"ClusterRoleBinding", "Role", "RoleBinding", "Deployment", "Service"} {
		if kinds[kind] == 0 {
			t.Errorf("kustomize build config/default has no %s; kinds: %v", kind, kinds)
		}
	}
	for _, obj := range objs {
		if obj.GetKind() == "Deployment" && obj.GetNamespace() != operatorNamespace {
			t.Errorf("the Deployment is in namespace %q, want %s", obj.GetNamespace(), operatorNamespace)
		}
	}
}

// The identity the manager runs as has what config/rbac grants it and nothing more: it is not
// an administrator by accident, so TestOperatorFlow proves the shipped RBAC sufficient.
func TestRestrictedIdentity(t *testing.T) {
	s.requireManifests(t)
	k := kubectl{t: t, path: s.env.KubectlPath(), kubeconfig: s.restrictedKubeconfig}
	if who := strings.TrimSpace(k.must("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")); who != operatorUser {
		t.Errorf("the manager's kubeconfig authenticates as %q, want %q", who, operatorUser)
	}
	canI := func(want bool, args ...string) {
		t.Helper()
		out, _ := k.run("", append([]string{"auth", "can-i"}, args...)...) // exit 1 means "no"
		if got := strings.TrimSpace(out) == "yes"; got != want {
			t.Errorf("kubectl auth can-i %s as the manager: %q, want %v", strings.Join(args, " "), strings.TrimSpace(out), want)
		}
	}
	// What no PIM operator needs.
	canI(false, "list", "secrets", "--all-namespaces")
	canI(false, "create", "pods", "--namespace", "default")
	canI(false, "create", "clusterrolebindings")
	canI(false, "delete", "customresourcedefinitions")
	// What the reconcilers need, and no more: their objects everywhere, read and patched (never
	// updated), their status patched, leader election and the seal key in its own namespace.
	for _, resource := range []string{"pimassignmentrequests", "pimeligibilityrequests"} {
		for _, verb := range []string{"get", "list", "watch", "patch"} {
			canI(true, verb, resource+".access.pim-operator.dev", "--all-namespaces")
		}
		canI(false, "update", resource+".access.pim-operator.dev", "--all-namespaces")
		canI(false, "delete", resource+".access.pim-operator.dev", "--all-namespaces")
		canI(true, "patch", resource+".access.pim-operator.dev", "--subresource=status", "--all-namespaces")
		canI(false, "update", resource+".access.pim-operator.dev", "--subresource=status", "--all-namespaces")
		canI(false, "update", resource+".access.pim-operator.dev", "--subresource=finalizers", "--all-namespaces")
	}
	canI(false, "update", "pimaccesspolicies.access.pim-operator.dev")
	for _, verb := range []string{"get", "create", "update"} {
		canI(true, verb, "leases.coordination.k8s.io", "--namespace", operatorNamespace)
	}
	canI(true, "get", "secrets/"+controllers.SealSecretName, "--namespace", operatorNamespace)
	canI(false, "get", "secrets", "--namespace", "default")
	// Events go to the objects' namespaces (mgr.GetEventRecorder: the events.k8s.io API).
	canI(true, "create", "events.events.k8s.io", "--all-namespaces")
}

// The walkthrough of hack/demo.sh: the built manager, authenticated as its restricted
// ServiceAccount, against the Graph emulator, driven by the real kubectl.
func TestOperatorFlow(t *testing.T) {
	s.requireManifests(t)
	emulatorBin := s.binary(t, "graph-emulator")
	managerBin := s.binary(t, "manager")
	started := time.Now()

	// A namespace of its own, so that -count=N runs do not meet each other's objects.
	ns := fmt.Sprintf("e2e-%d", time.Now().UnixNano()%1_000_000)
	admin := kubectl{t: t, path: s.env.KubectlPath(), kubeconfig: s.adminKubeconfig, namespace: ns}
	admin.must("create", "namespace", ns)
	// Access is denied by default (PIMAccessPolicy); this policy permits the flow. It exists
	// before the manager starts, so the manager's first look at a request already sees it.
	admin.apply(accessPolicy(ns))
	leasesBefore := leaseHolders(t)

	emu := startEmulator(t, emulatorBin, "--min-active-age", minActiveAge)
	manager := startLogged(t, "manager", managerBin,
		"--kubeconfig", s.restrictedKubeconfig,
		"--graph-base-url", emu.graphURL(),
		"--graph-auth", "none",
		"--poll-interval", "1s",
		"--min-active-age", minActiveAge,
		"--create-settle-period", "3s",
		"--graph-timeout", "2s",
		"--leader-elect",
		"--leader-election-namespace", operatorNamespace,
		"--operator-namespace", operatorNamespace,
		"--health-probe-bind-address", "127.0.0.1:0",
		"--metrics-bind-address", "0",
	)
	k := admin
	k.manager = manager
	// A step's failure ends the flow (later steps build on it); a check's does not.
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	check := func(name string, f func(t *testing.T)) {
		t.Helper()
		t.Run(name, f)
	}
	// Subtests log through their own t; kubectl and the emulator follow them.
	sub := func(t *testing.T) (kubectl, *emulator) {
		kk := k
		kk.t = t
		ee := *emu
		ee.t = t
		return kk, &ee
	}
	// The manager reconciles only once it leads: wait for its Lease (and fail at once, with its
	// log, if it exits instead).
	step("the manager starts and takes the leader election lease", func(t *testing.T) {
		waitForLeader(t, manager, leasesBefore)
	})

	uids := map[string]string{}
	requestIDs := map[string]string{}

	step("apply the samples", func(t *testing.T) {
		k, _ := sub(t)
		for _, sample := range []string{"now", "future", "cancelled"} {
			k.must("apply", "-f", samplePath(sample))
		}
		k.waitCondition(accessv1alpha1.ConditionReady, now, future)
		k.waitCondition(accessv1alpha1.ConditionCancelled, calledOff)
		for _, name := range []string{now, future, calledOff} {
			obj := k.get(name)
			uids[name] = string(obj.UID)
			requestIDs[name] = obj.Status.RequestID
		}
	})

	// The spec belongs to the user (and to Git): the operator writes metadata and status only.
	// A full-object Update from the typed struct would re-encode spec, e.g. a duration "8h" as
	// "8h0m0s": GitOps tools then see drift, and the generation moves with no user change.
	check("the operator leaves the spec as the user wrote it", func(t *testing.T) {
		k, _ := sub(t)
		for name, wantDuration := range map[string]string{now: "8h", future: ""} {
			out := k.must("get", "pimassignmentrequest", name, "-o",
				`jsonpath={.metadata.generation} {.spec.schedule.expiration.duration}`)
			if got := strings.TrimSpace(out); got != strings.TrimSpace("1 "+wantDuration) {
				managers, _ := k.exec(true, "", "get", "pimassignmentrequest", name, "--show-managed-fields", "-o",
					`jsonpath={range .metadata.managedFields[*]}{.manager} {.operation} {.subresource}{"\n"}{end}`)
				t.Errorf("%s: generation and spec.schedule.expiration.duration are %q, want %q: something other "+
					"than the user wrote its spec; field managers:\n%s", name, got, strings.TrimSpace("1 "+wantDuration), managers)
			}
		}
	})

	check("kubectl get shows the printer columns", func(t *testing.T) {
		k, _ := sub(t)
		tb := parseTable(t, k.must("get", "pimar"))
		want := []string{"NAME", "GROUP", "PRINCIPAL", "ACCESS", "GRAPH STATUS", "ACTIVE", "READY", "AGE"}
		if strings.Join(tb.headers, "|") != strings.Join(want, "|") {
			t.Errorf("columns %q, want %q", tb.headers, want)
		}
		expectRow := func(name string, want map[string]string) {
			t.Helper()
			row, ok := tb.rows[name]
			if !ok {
				t.Errorf("kubectl get pimar has no row %s", name)
				return
			}
			for col, v := range want {
				if row[col] != v {
					t.Errorf("%s: %s is %q, want %q", name, col, row[col], v)
				}
			}
		}
		expectRow(now, map[string]string{"GROUP": group, "PRINCIPAL": "0f9e8d7c-6b5a-4c3d-8e1f-a2b3c4d5e6f7",
			"ACCESS": "member", "GRAPH STATUS": graphemu.StatusProvisioned, "ACTIVE": "True", "READY": "True"})
		expectRow(future, map[string]string{"GROUP": group, "PRINCIPAL": "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d",
			"ACCESS": "owner", "GRAPH STATUS": graphemu.StatusGranted, "ACTIVE": "False", "READY": "True"})
		expectRow(calledOff, map[string]string{"READY": "True"})
	})

	check("a request cancelled before it was sent is never sent", func(t *testing.T) {
		k, _ := sub(t)
		obj := k.get(calledOff)
		expectCondition(t, obj, accessv1alpha1.ConditionCancelled, metav1.ConditionTrue, "")
		if obj.Status.RequestID != "" {
			t.Errorf("%s has status.requestId %q: a request was sent for an object created cancelled", calledOff, obj.Status.RequestID)
		}
	})

	step("an active assignment is ended by adminRemove", func(t *testing.T) {
		k, emu := sub(t)
		obj := k.get(now)
		expectCondition(t, obj, accessv1alpha1.ConditionActive, metav1.ConditionTrue, "")
		if obj.Status.TargetScheduleID == "" {
			t.Errorf("%s has no status.targetScheduleId", now)
		}
		// Graph refuses adminRemove for minActiveAge after activation (ActiveDurationTooShort),
		// and this comes right after the assignment became active: the manager retries when
		// the age is reached.
		k.patchCancelled(now)
		k.waitCondition(accessv1alpha1.ConditionCancelled, now)
		obj = k.get(now)
		c := expectCondition(t, obj, accessv1alpha1.ConditionCancelled, metav1.ConditionTrue, accessv1alpha1.ReasonRemoved)
		if created := obj.Status.CreatedDateTime; created == nil {
			t.Errorf("%s has no status.createdDateTime", now)
		} else if age, _ := time.ParseDuration(minActiveAge); c.LastTransitionTime.Time.Before(created.Add(age)) {
			t.Errorf("%s was removed at %s, before the minimum active age (%s after %s)", now,
				c.LastTransitionTime.UTC().Format(time.RFC3339), minActiveAge, created.UTC().Format(time.RFC3339))
		}
		expectCondition(t, obj, accessv1alpha1.ConditionActive, metav1.ConditionFalse, "")
		if obj.Status.RemovalRequestID == "" {
			t.Fatalf("%s has no status.removalRequestId", now)
		}
		removal := emu.request(obj.Status.RemovalRequestID)
		if removal.Action != graphemu.ActionAdminRemove || removal.Status != graphemu.StatusRevoked {
			t.Errorf("removal request %s is %s/%s, want %s/%s", removal.ID, removal.Action, removal.Status,
				graphemu.ActionAdminRemove, graphemu.StatusRevoked)
		}
		if obj.Status.RemovalStatus != graphemu.StatusRevoked {
			t.Errorf("status.removalStatus %q, want %s", obj.Status.RemovalStatus, graphemu.StatusRevoked)
		}
		// adminRemove ends the assignment; the original request stays Provisioned in Graph.
		if got := emu.request(requestIDs[now]).Status; got != graphemu.StatusProvisioned {
			t.Errorf("the original request of %s is %s in Graph, want %s", now, got, graphemu.StatusProvisioned)
		}
	})

	step("a future start is Granted, and cancelling it answers 204", func(t *testing.T) {
		k, emu := sub(t)
		obj := k.get(future)
		if obj.Status.GraphStatus != graphemu.StatusGranted {
			t.Errorf("graphStatus %q, want %s", obj.Status.GraphStatus, graphemu.StatusGranted)
		}
		expectCondition(t, obj, accessv1alpha1.ConditionActive, metav1.ConditionFalse, accessv1alpha1.ReasonNotStarted)
		if obj.Status.DeletionPolicy != accessv1alpha1.DeletionPolicyCancel {
			t.Errorf("status.deletionPolicy %q, want %s for a request the operator created", obj.Status.DeletionPolicy, accessv1alpha1.DeletionPolicyCancel)
		}

		k.patchCancelled(future)
		k.waitCondition(accessv1alpha1.ConditionCancelled, future)
		obj = k.get(future)
		c := expectCondition(t, obj, accessv1alpha1.ConditionCancelled, metav1.ConditionTrue, accessv1alpha1.ReasonCancelSucceeded)
		if !strings.Contains(c.Message, "204") {
			t.Errorf("the Cancelled condition's message %q does not mention Graph's 204", c.Message)
		}
		expectCondition(t, obj, accessv1alpha1.ConditionReady, metav1.ConditionTrue, "")
		if got := emu.request(requestIDs[future]).Status; got != graphemu.StatusCanceled {
			t.Errorf("Graph request %s of %s is %s, want %s", requestIDs[future], future, got, graphemu.StatusCanceled)
		}
		// The reconciler emits an event with the condition's reason and message (events.k8s.io).
		events := parseTable(t, k.must("events", "--for", "pimassignmentrequest/"+future))
		found := false
		for _, row := range events.list {
			found = found || (row["TYPE"] == "Normal" && row["REASON"] == accessv1alpha1.ReasonCancelSucceeded &&
				strings.Contains(row["MESSAGE"], "204"))
		}
		if !found {
			t.Errorf("kubectl events --for pimassignmentrequest/%s lists no Normal %s event mentioning 204",
				future, accessv1alpha1.ReasonCancelSucceeded)
		}
	})

	step("a pending portal activation is adopted and cancelled", func(t *testing.T) {
		k, emu := sub(t)
		emu.control(http.MethodPut, "/_emulator/groups/"+group+"/approval", map[string]bool{"required": true}, nil, http.StatusNoContent)
		// Entra lets a user activate only what they are eligible for.
		emu.control(http.MethodPost, "/_emulator/eligibilities", map[string]string{
			"principalId": portalPrincipal, "groupId": group, "accessId": "member",
			"justification": "Eligible for on-call", "duration": "720h",
		}, nil, http.StatusCreated)
		var activation graphemu.Request
		emu.control(http.MethodPost, "/_emulator/activations", map[string]string{
			"principalId": portalPrincipal, "groupId": group, "accessId": "member",
			"justification": "Portal activation", "duration": "2h",
		}, &activation, http.StatusCreated)
		if activation.Status != graphemu.StatusPendingApproval {
			t.Fatalf("the seeded activation is %s, want %s", activation.Status, graphemu.StatusPendingApproval)
		}
		requestIDs[adopted] = activation.ID

		k.apply(adoptSample(t, activation.ID))
		k.waitCondition(accessv1alpha1.ConditionSubmitted, adopted)
		k.waitCondition(accessv1alpha1.ConditionReady, adopted)
		obj := k.get(adopted)
		uids[adopted] = string(obj.UID)
		if obj.Status.RequestID != activation.ID || obj.Status.GraphStatus != graphemu.StatusPendingApproval {
			t.Errorf("status requestId %q graphStatus %q, want %s %s", obj.Status.RequestID, obj.Status.GraphStatus,
				activation.ID, graphemu.StatusPendingApproval)
		}
		if obj.Status.PrincipalID != portalPrincipal || obj.Status.GroupID != group {
			t.Errorf("status principalId %q groupId %q, want the activation's %s %s", obj.Status.PrincipalID, obj.Status.GroupID, portalPrincipal, group)
		}
		if obj.Status.DeletionPolicy != accessv1alpha1.DeletionPolicyOrphan {
			t.Errorf("status.deletionPolicy %q, want %s for an adopted request", obj.Status.DeletionPolicy, accessv1alpha1.DeletionPolicyOrphan)
		}
		expectCondition(t, obj, accessv1alpha1.ConditionSubmitted, metav1.ConditionTrue, accessv1alpha1.ReasonAdopted)

		k.patchCancelled(adopted)
		k.waitCondition(accessv1alpha1.ConditionCancelled, adopted)
		obj = k.get(adopted)
		c := expectCondition(t, obj, accessv1alpha1.ConditionCancelled, metav1.ConditionTrue, accessv1alpha1.ReasonCancelSucceeded)
		if !strings.Contains(c.Message, "204") {
			t.Errorf("the Cancelled condition's message %q does not mention Graph's 204", c.Message)
		}
		if got := emu.request(activation.ID).Status; got != graphemu.StatusCanceled {
			t.Errorf("the adopted activation is %s in Graph, want %s", got, graphemu.StatusCanceled)
		}
	})

	step("an eligibility is made, activated in the portal, and removed", func(t *testing.T) {
		k, emu := sub(t)
		k.apply(eligibilityObject)
		k.must("wait", "--for=condition="+accessv1alpha1.ConditionEligible, fmt.Sprintf("--timeout=%ds", int(waitTimeout.Seconds())),
			"pimeligibilityrequest/"+eligible)
		tb := parseTable(t, k.must("get", "pimer"))
		want := []string{"NAME", "GROUP", "PRINCIPAL", "ACCESS", "GRAPH STATUS", "ELIGIBLE", "READY", "AGE"}
		if strings.Join(tb.headers, "|") != strings.Join(want, "|") {
			t.Errorf("columns %q, want %q", tb.headers, want)
		}
		if row := tb.rows[eligible]; row["ELIGIBLE"] != "True" || row["GRAPH STATUS"] != graphemu.StatusProvisioned {
			t.Errorf("kubectl get pimer: %v", row)
		}
		// The principal activates it in the portal: Entra allows that only while it is eligible.
		emu.control(http.MethodPut, "/_emulator/groups/"+group+"/approval", map[string]bool{"required": false}, nil, http.StatusNoContent)
		emu.control(http.MethodPost, "/_emulator/activations", map[string]string{
			"principalId": eligiblePrincipal, "groupId": group, "accessId": "member", "justification": "paged", "duration": "1h",
		}, nil, http.StatusCreated)
		k.must("patch", "pimeligibilityrequest", eligible, "--type", "merge", "-p", `{"spec":{"cancelled":true}}`)
		k.must("wait", "--for=condition="+accessv1alpha1.ConditionCancelled, fmt.Sprintf("--timeout=%ds", int(waitTimeout.Seconds())),
			"pimeligibilityrequest/"+eligible)
		out := k.must("get", "pimeligibilityrequest", eligible, "-o", `jsonpath={.status.conditions[?(@.type=="Cancelled")].reason}`)
		if strings.TrimSpace(out) != accessv1alpha1.ReasonRemoved {
			t.Errorf("Cancelled reason %q, want %s (adminRemove of the eligibility)", out, accessv1alpha1.ReasonRemoved)
		}
		// With the eligibility gone, Entra refuses a new activation.
		emu.control(http.MethodPost, "/_emulator/activations", map[string]string{
			"principalId": eligiblePrincipal, "groupId": group, "accessId": "owner", "justification": "paged again", "duration": "1h",
		}, nil, http.StatusConflict)
	})

	step("deleting an object cancels its request first", func(t *testing.T) {
		k, emu := sub(t)
		k.apply(doomedObject)
		k.waitCondition(accessv1alpha1.ConditionReady, doomed)
		obj := k.get(doomed)
		uids[doomed] = string(obj.UID)
		requestIDs[doomed] = obj.Status.RequestID
		if obj.Status.RequestID == "" {
			t.Fatalf("%s is Ready without status.requestId", doomed)
		}
		if obj.Status.DeletionPolicy != accessv1alpha1.DeletionPolicyCancel {
			t.Errorf("status.deletionPolicy %q, want %s", obj.Status.DeletionPolicy, accessv1alpha1.DeletionPolicyCancel)
		}
		if len(obj.Finalizers) == 0 {
			t.Errorf("%s has no finalizer", doomed)
		}
		k.must("delete", "pimassignmentrequest", doomed, "--wait=false")
		k.must("wait", "--for=delete", "pimassignmentrequest/"+doomed, fmt.Sprintf("--timeout=%ds", int(waitTimeout.Seconds())))
		if got := emu.request(obj.Status.RequestID).Status; got != graphemu.StatusCanceled {
			t.Errorf("Graph request %s of the deleted %s is %s, want %s", obj.Status.RequestID, doomed, got, graphemu.StatusCanceled)
		}
	})

	check("Graph saw one create per object and one cancel per cancelled request", func(t *testing.T) {
		_, emu := sub(t)
		var calls, eligibilityCalls []graphemu.Call
		for _, c := range emu.calls() {
			if c.Kind == graphemu.KindEligibility {
				eligibilityCalls = append(eligibilityCalls, c)
			} else {
				calls = append(calls, c)
			}
		}
		// The eligibility: one adminAssign, one adminRemove, each accepted.
		for _, action := range []string{graphemu.ActionAdminAssign, graphemu.ActionAdminRemove} {
			n := 0
			for _, c := range eligibilityCalls {
				if c.Operation == graphemu.OpCreateRequest && c.Action == action {
					n++
					if c.Status != http.StatusCreated {
						t.Errorf("eligibility %s answered %d", action, c.Status)
					}
				}
			}
			if n != 1 {
				t.Errorf("%d eligibility %s creates, want 1", n, action)
			}
		}
		// creates counts the accepted (201) creates of one action, those carrying uid (the
		// operator's marker in the justification) when uid is set.
		creates := func(action, uid string) int {
			n := 0
			for _, c := range calls {
				if c.Operation == graphemu.OpCreateRequest && c.Action == action && c.Status == http.StatusCreated &&
					(uid == "" || strings.Contains(c.RequestBody, uid)) {
					n++
				}
			}
			return n
		}
		attempts := 0
		for _, c := range calls {
			if c.Operation == graphemu.OpCreateRequest && c.Status != http.StatusCreated {
				attempts++
				if c.Action != graphemu.ActionAdminRemove || c.Status != http.StatusBadRequest {
					t.Errorf("unexpected refused create: %s %s -> %d", c.Action, c.Path, c.Status)
				}
			}
		}
		for name, want := range map[string]int{now: 1, future: 1, doomed: 1, calledOff: 0, adopted: 0} {
			if got := creates(graphemu.ActionAdminAssign, uids[name]); got != want {
				t.Errorf("%s (uid %s): %d adminAssign creates carry its marker, want %d", name, uids[name], got, want)
			}
		}
		if got := creates(graphemu.ActionAdminAssign, ""); got != 3 {
			t.Errorf("%d adminAssign creates in all, want 3 (%s, %s, %s)", got, now, future, doomed)
		}
		if got := creates(graphemu.ActionAdminRemove, ""); got != 1 {
			t.Errorf("%d adminRemove creates accepted, want 1 (%s)", got, now)
		}
		// adminRemove within minActiveAge of the activation is refused (400
		// ActiveDurationTooShort); the manager waits for the age, then polls: a few at most.
		if attempts > 3 {
			t.Errorf("%d adminRemove creates refused before one was accepted, want at most 3", attempts)
		}
		t.Logf("adminRemove refused %d times (ActiveDurationTooShort) before it was accepted", attempts)
		for _, name := range []string{future, adopted, doomed} {
			id, n := requestIDs[name], 0
			for _, c := range calls {
				if c.Operation == graphemu.OpCancelRequest && strings.Contains(c.Path, id) && c.Status == http.StatusNoContent {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s: %d cancels of request %s answered 204, want 1", name, n, id)
			}
		}
		if t.Failed() {
			for _, c := range calls {
				t.Logf("%s %s %s %s -> %d", c.Time.Format(time.RFC3339Nano), c.Operation, c.Action, c.Path, c.Status)
			}
		}
	})

	step("the manager stops cleanly, with no RBAC denial and no data race in its log", func(t *testing.T) {
		if done, err := manager.Exited(); done {
			t.Fatalf("the manager exited during the flow: %v", err)
		}
		manager.Stop(10 * time.Second) // SIGTERM, as the kubelet sends it
		if _, err := manager.Exited(); err != nil {
			t.Errorf("the manager did not exit cleanly on SIGTERM: %v", err)
		}
		if lines := logLines(t, manager, "forbidden", "Forbidden"); len(lines) > 0 {
			t.Errorf("the manager's log has %d forbidden errors (RBAC missing from config/rbac?):\n%s",
				len(lines), strings.Join(lines, "\n"))
		}
		if lines := logLines(t, manager, "WARNING: DATA RACE"); len(lines) > 0 {
			t.Errorf("the manager (built with -race) reported %d data races; its log follows the test", len(lines))
		}
	})
	t.Logf("the flow took %v", time.Since(started).Round(100*time.Millisecond))
}

// leaseHolders are the holders of the Leases in the operator's namespace.
func leaseHolders(t *testing.T) map[string]bool {
	t.Helper()
	var leases coordinationv1.LeaseList
	if err := s.env.Client.List(t.Context(), &leases, client.InNamespace(operatorNamespace)); err != nil {
		t.Fatal(err)
	}
	holders := map[string]bool{}
	for _, l := range leases.Items {
		if l.Spec.HolderIdentity != nil && *l.Spec.HolderIdentity != "" {
			holders[l.Name+"/"+*l.Spec.HolderIdentity] = true
		}
	}
	return holders
}

// waitForLeader waits until a Lease in the operator's namespace has a holder it did not have
// before (the new manager's identity), failing early when the manager exits.
func waitForLeader(t *testing.T, manager *childproc.Child, before map[string]bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		if done, err := manager.Exited(); done {
			t.Fatalf("the manager exited before it took the leader election lease: %v", err)
		}
		for h := range leaseHolders(t) {
			if !before[h] {
				t.Logf("Lease %s/%s", operatorNamespace, h)
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the manager holds no Lease in %s after %v", operatorNamespace, waitTimeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// requireManifests fails the test when config/default did not build or its RBAC did not apply.
func (st *suite) requireManifests(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	if st.manifestsErr != nil {
		t.Fatal(st.manifestsErr)
	}
	return st.manifests
}

func samplePath(name string) string {
	return filepath.Join(testenv.RepoRoot(), "config", "samples", "access_v1alpha1_pimassignmentrequest_"+name+".yaml")
}

// adoptSample is config/samples' adoption sample with the seeded activation's id.
func adoptSample(t *testing.T, requestID string) string {
	t.Helper()
	b, err := os.ReadFile(samplePath("adopt"))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(b, &obj); err != nil {
		t.Fatal(err)
	}
	spec, ok := obj["spec"].(map[string]any)
	if !ok || spec["requestId"] == nil {
		t.Fatalf("the adoption sample has no spec.requestId:\n%s", b)
	}
	if name, _, _ := unstructured.NestedString(obj, "metadata", "name"); name != adopted {
		t.Fatalf("the adoption sample is named %q, want %s", name, adopted)
	}
	spec["requestId"] = requestID
	out, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// accessPolicy permits the flow's requests in namespace ns.
func accessPolicy(ns string) string {
	return `apiVersion: access.pim-operator.dev/v1alpha1
kind: PIMAccessPolicy
metadata:
  name: ` + ns + `
spec:
  namespaces: [` + ns + `]
  groups:
  - groupId: ` + group + `
    accessIds: [member, owner]
  maxDuration: 720h
  eligibility:
    groups:
    - groupId: ` + group + `
      accessIds: [member]
    maxDuration: 2160h
`
}

// eligibilityObject makes a principal eligible for membership for 30 days.
var eligibilityObject = `apiVersion: access.pim-operator.dev/v1alpha1
kind: PIMEligibilityRequest
metadata:
  name: ` + eligible + `
spec:
  groupId: ` + group + `
  principalId: ` + eligiblePrincipal + `
  justification: eligible for on-call
  schedule:
    expiration:
      type: afterDuration
      duration: 720h
`

// doomedObject starts in the future (Granted), so deleting it cancels a request.
var doomedObject = `apiVersion: access.pim-operator.dev/v1alpha1
kind: PIMAssignmentRequest
metadata:
  name: ` + doomed + `
spec:
  groupId: ` + group + `
  principalId: 4d5e6f7a-8b9c-4d0e-8f1a-2b3c4d5e6f7a
  schedule:
    startDateTime: "2031-01-01T00:00:00Z"
    expiration:
      type: afterDuration
      duration: 4h
`
