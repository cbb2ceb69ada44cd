package envtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
	"github.com/pim-operator/pim-operator/internal/graphemu"
	"github.com/pim-operator/pim-operator/internal/graphtest"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

// currentCRDs are the CRDs of config/crd/bases.
func currentCRDs(t *testing.T) []*apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "config", "crd", "bases", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("CRDs: %v", err)
	}
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(b, crd); err != nil {
			t.Fatal(err)
		}
		out = append(out, crd)
	}
	return out
}

// lenient is crd as it was before the CRD checked durations and times on the raw text: the
// API server's own format checks only, which accept what the operator cannot decode.
func lenient(crd *apiextensionsv1.CustomResourceDefinition) *apiextensionsv1.CustomResourceDefinition {
	out := crd.DeepCopy()
	var walk func(name string, p *apiextensionsv1.JSONSchemaProps)
	walk = func(name string, p *apiextensionsv1.JSONSchemaProps) {
		switch name {
		case "duration", "maxDuration", "maxStartDelay":
			p.Pattern, p.XValidations, p.Format, p.MinLength = "", nil, "duration", nil
		case "startDateTime", "endDateTime":
			p.Pattern, p.XValidations = "", nil
		case "schedule", "spec":
			p.XValidations = nil // the rules across fields (end after start)
		}
		for k, child := range p.Properties {
			walk(k, &child)
			p.Properties[k] = child
		}
		if p.Items != nil && p.Items.Schema != nil {
			walk("", p.Items.Schema)
		}
	}
	for i := range out.Spec.Versions {
		walk("", out.Spec.Versions[i].Schema.OpenAPIV3Schema)
	}
	return out
}

// An object the operator cannot decode, stored under an older CRD, does not take the others
// down: after the upgrade to the current CRD the manager syncs, every other object reconciles,
// and the poison one is reported on itself and in an event naming it. A policy with an
// unreadable maxDuration grants nothing.
func TestStoredPoisonDoesNotStopTheOperator(t *testing.T) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	var old []*apiextensionsv1.CustomResourceDefinition
	for _, crd := range currentCRDs(t) {
		old = append(old, lenient(crd))
	}
	env := &envtest.Environment{CRDs: old, BinaryAssetsDirectory: assets, Scheme: testenv.Scheme()}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	scheme := testenv.Scheme()
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, ns := range []string{"team", operatorNamespace} {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	g := guid()
	poison := func(kind, name string, schedule map[string]any) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": v1.GroupVersion.String(), "kind": kind,
			"metadata": map[string]any{"namespace": "team", "name": name},
			"spec":     map[string]any{"groupId": g, "principalId": guid(), "justification": "poison", "schedule": schedule},
		}}
		if err := c.Create(ctx, u); err != nil {
			t.Fatalf("the lenient CRD refused %s: %v", name, err)
		}
		return u
	}
	poison("PIMAssignmentRequest", "one-day", map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "1d"}})
	poison("PIMEligibilityRequest", "lower-case-time", map[string]any{"startDateTime": "2030-01-01t00:00:00z",
		"expiration": map[string]any{"type": "afterDuration", "duration": "720h"}})
	badPolicy := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": v1.GroupVersion.String(), "kind": "PIMAccessPolicy", "metadata": map[string]any{"name": "thirty-days"},
		"spec": map[string]any{"namespaces": []any{"team"}, "maxDuration": "30d",
			"groups": []any{map[string]any{"groupId": g, "accessIds": []any{"member"}}}},
	}}
	if err := c.Create(ctx, badPolicy); err != nil {
		t.Fatalf("the lenient CRD refused the policy: %v", err)
	}

	// The upgrade: the current CRDs, as `make install` applies them.
	for _, crd := range currentCRDs(t) {
		cur := &apiextensionsv1.CustomResourceDefinition{}
		if err := c.Get(ctx, client.ObjectKey{Name: crd.Name}, cur); err != nil {
			t.Fatal(err)
		}
		crd.ResourceVersion = cur.ResourceVersion
		if err := c.Update(ctx, crd); err != nil {
			t.Fatal(err)
		}
	}
	good := &v1.PIMAccessPolicy{ObjectMeta: metav1.ObjectMeta{Name: "eight-hours"}, Spec: v1.PIMAccessPolicySpec{
		Namespaces: []string{"team"}, MaxDuration: *v1.DurationOf(8 * time.Hour),
		Groups: []v1.AllowedGroup{{GroupID: g, AccessIDs: []v1.AccessID{v1.AccessMember}}},
	}}
	if err := c.Create(ctx, good); err != nil {
		t.Fatal(err)
	}

	graph := graphtest.New(t, graphemu.Options{MinActiveAge: time.Second})
	mgr, err := controllers.NewManager(cfg, controllers.Config{
		Graph: graph.Client, Options: suiteOptions, OperatorNamespace: operatorNamespace,
		Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0", SkipNameValidation: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mctx) }()
	t.Cleanup(func() { cancel(); <-done })

	healthy := assignment("team", "healthy", guid(), g)
	if err := c.Create(ctx, healthy); err != nil {
		t.Fatal(err)
	}
	eventually(t, settle, func() error {
		got := &v1.PIMAssignmentRequest{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(healthy), got); err != nil {
			return err
		}
		if !meta.IsStatusConditionTrue(got.Status.Conditions, v1.ConditionActive) {
			return fmt.Errorf("the healthy object did not reconcile: %+v", got.Status.Conditions)
		}
		if c := meta.FindStatusCondition(got.Status.Conditions, v1.ConditionPermitted); c == nil || !strings.Contains(c.Message, "eight-hours") {
			return fmt.Errorf("permitted by %+v, want the readable policy", c)
		}
		return nil
	})
	for _, p := range []struct {
		obj   client.Object
		field string
	}{
		{&v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "one-day"}}, "spec.schedule.expiration.duration"},
		{&v1.PIMEligibilityRequest{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "lower-case-time"}}, "spec.schedule.startDateTime"},
	} {
		eventually(t, settle, func() error {
			if err := c.Get(ctx, client.ObjectKeyFromObject(p.obj), p.obj); err != nil {
				return err
			}
			st := p.obj.(controllers.Object).GetRequestStatus()
			s := meta.FindStatusCondition(st.Conditions, v1.ConditionStalled)
			if s == nil || s.Reason != v1.ReasonInvalidSpec || !strings.Contains(s.Message, p.field) {
				return fmt.Errorf("%s: Stalled %+v, want InvalidSpec naming %s", p.obj.GetName(), s, p.field)
			}
			return eventFor(ctx, c, p.obj.GetName(), v1.ReasonInvalidSpec)
		})
	}
	if n := len(graph.Emulator.Requests()) + len(graph.Emulator.EligibilityRequests()); n != 1 {
		t.Errorf("%d requests in Graph, want the healthy object's only", n)
	}

	// Its owner can still call a poison object off and delete it: the stored value the current
	// CRD would refuse does not block an update that leaves it alone, nor the finalizer.
	for _, obj := range []client.Object{
		&v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "one-day"}},
		&v1.PIMEligibilityRequest{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "lower-case-time"}},
	} {
		u := &unstructured.Unstructured{}
		gvk, err := c.GroupVersionKindFor(obj)
		if err != nil {
			t.Fatal(err)
		}
		u.SetGroupVersionKind(gvk)
		u.SetNamespace(obj.GetNamespace())
		u.SetName(obj.GetName())
		if err := c.Patch(ctx, u, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"cancelled":true}}`))); err != nil {
			t.Errorf("%s: cancelling a stored poison object: %v", obj.GetName(), err)
		}
		if err := c.Delete(ctx, u); err != nil {
			t.Fatal(err)
		}
		eventually(t, settle, func() error {
			if err := c.Get(ctx, client.ObjectKeyFromObject(u), u); !apierrors.IsNotFound(err) {
				return fmt.Errorf("%s is still there (%v), finalizers %v", u.GetName(), err, u.GetFinalizers())
			}
			return nil
		})
	}
}

// eventFor finds an event about the named object with the reason.
func eventFor(ctx context.Context, c client.Client, name, reason string) error {
	var list corev1.EventList
	if err := c.List(ctx, &list, client.InNamespace("team")); err != nil {
		return err
	}
	for _, e := range list.Items {
		if e.InvolvedObject.Name == name && e.Reason == reason {
			return nil
		}
	}
	var names []string
	for _, e := range list.Items {
		names = append(names, e.InvolvedObject.Name+"/"+e.Reason)
	}
	return fmt.Errorf("no %s event for %s among %v", reason, name, names)
}
