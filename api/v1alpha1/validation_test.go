package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1alpha1 "github.com/pim-operator/pim-operator/api/v1alpha1"

	"github.com/pim-operator/pim-operator/internal/testenv"
)

// These tests run the CRD's validation (OpenAPI schema and CEL rules) in a real
// kube-apiserver: that is where users meet it.

var env *testenv.Env

func TestMain(m *testing.M) {
	var err error
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = env.Stop()
	os.Exit(code)
}

const (
	group     = "6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f"
	principal = "0f9e8d7c-6b5a-4c3d-8e1f-a2b3c4d5e6f7"
	request   = "9c8b7a6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
)

func createNow() map[string]any {
	return map[string]any{
		"groupId":       group,
		"principalId":   principal,
		"accessId":      "member",
		"justification": "on call",
		"ticket":        map[string]any{"system": "ServiceNow", "number": "CHG1"},
		"schedule": map[string]any{
			"expiration": map[string]any{"type": "afterDuration", "duration": "8h"},
		},
	}
}

func futureStart() map[string]any {
	s := createNow()
	s["schedule"] = map[string]any{
		"startDateTime": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339),
		"expiration": map[string]any{
			"type":        "afterDateTime",
			"endDateTime": time.Now().Add(52 * time.Hour).UTC().Format(time.RFC3339),
		},
	}
	return s
}

func adopt() map[string]any { return map[string]any{"requestId": request} }

func object(name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(testenv.GVK)
	u.SetNamespace("default")
	u.SetName(name)
	u.Object["spec"] = spec
	return u
}

var seq int

func uniqueName(prefix string) string {
	seq++
	return fmt.Sprintf("%s-%d", strings.ToLower(prefix), seq)
}

func TestCreateValidation(t *testing.T) {
	cases := []struct {
		name    string
		spec    func() map[string]any
		wantErr string // empty: admitted
	}{
		{"create now", createNow, ""},
		{"future start", futureStart, ""},
		{"adopt", adopt, ""},
		{"no expiration", func() map[string]any {
			s := createNow()
			s["schedule"] = map[string]any{"expiration": map[string]any{"type": "noExpiration"}}
			return s
		}, ""},
		{"non-GUID groupId", func() map[string]any { s := createNow(); s["groupId"] = "not-a-guid"; return s }, "spec.groupId"},
		{"non-GUID principalId", func() map[string]any { s := createNow(); s["principalId"] = "1234"; return s }, "spec.principalId"},
		{"non-GUID requestId", func() map[string]any { return map[string]any{"requestId": "abc"} }, "spec.requestId"},
		{"accessId admin", func() map[string]any { s := createNow(); s["accessId"] = "admin"; return s }, `Unsupported value: "admin"`},
		{"duration with afterDateTime", func() map[string]any {
			s := createNow()
			s["schedule"] = map[string]any{"expiration": map[string]any{
				"type": "afterDateTime", "endDateTime": "2030-01-01T00:00:00Z", "duration": "8h"}}
			return s
		}, "expiration.duration is only allowed with type afterDuration"},
		{"afterDateTime without endDateTime", func() map[string]any {
			s := createNow()
			s["schedule"] = map[string]any{"expiration": map[string]any{"type": "afterDateTime"}}
			return s
		}, "expiration.type afterDateTime needs expiration.endDateTime"},
		{"afterDuration without duration", func() map[string]any {
			s := createNow()
			s["schedule"] = map[string]any{"expiration": map[string]any{"type": "afterDuration"}}
			return s
		}, "expiration.type afterDuration needs expiration.duration"},
		{"endDateTime with noExpiration", func() map[string]any {
			s := createNow()
			s["schedule"] = map[string]any{"expiration": map[string]any{"type": "noExpiration", "endDateTime": "2030-01-01T00:00:00Z"}}
			return s
		}, "expiration.endDateTime is only allowed with type afterDateTime"},
		{"half a ticket", func() map[string]any {
			s := createNow()
			s["ticket"] = map[string]any{"system": "ServiceNow"}
			return s
		}, "ticket needs both system and number"},
		{"401-character justification", func() map[string]any {
			s := createNow()
			s["justification"] = strings.Repeat("x", 401)
			return s
		}, "spec.justification: Too long"},
		{"400-character justification", func() map[string]any {
			s := createNow()
			s["justification"] = strings.Repeat("x", 400)
			return s
		}, ""},
		{"no schedule without requestId", func() map[string]any { s := createNow(); delete(s, "schedule"); return s },
			"set groupId, principalId and schedule to create a request, or requestId to adopt an existing one"},
		{"neither groupId nor requestId", func() map[string]any { s := createNow(); delete(s, "groupId"); return s },
			"set groupId, principalId and schedule to create a request, or requestId to adopt an existing one"},
		{"requestId with groupId", func() map[string]any { s := adopt(); s["groupId"] = group; return s },
			"requestId adopts an existing request as it is: remove groupId, principalId, accessId and schedule"},
		{"requestId with accessId", func() map[string]any { s := adopt(); s["accessId"] = "member"; return s },
			"requestId adopts an existing request as it is"},
		{"deletionPolicy Keep", func() map[string]any { s := createNow(); s["deletionPolicy"] = "Keep"; return s }, `Unsupported value: "Keep"`},
		{"bad duration", func() map[string]any {
			s := createNow()
			s["schedule"] = map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "a week"}}
			return s
		}, "spec.schedule.expiration.duration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := env.Client.Create(context.Background(), object(uniqueName("create"), tc.spec()))
			checkErr(t, err, tc.wantErr)
		})
	}
}

func TestUpdateValidation(t *testing.T) {
	cases := []struct {
		name    string
		initial func() map[string]any
		change  func(spec map[string]any)
		wantErr string
	}{
		{"cancel", createNow, func(s map[string]any) { s["cancelled"] = true }, ""},
		{"set deletionPolicy", createNow, func(s map[string]any) { s["deletionPolicy"] = "Orphan" }, ""},
		{"change deletionPolicy", func() map[string]any { s := createNow(); s["deletionPolicy"] = "Orphan"; return s },
			func(s map[string]any) { s["deletionPolicy"] = "Cancel" }, ""},
		{"cancel adopted", adopt, func(s map[string]any) { s["cancelled"] = true }, ""},
		{"cancelled true to false", func() map[string]any { s := createNow(); s["cancelled"] = true; return s },
			func(s map[string]any) { s["cancelled"] = false }, "cancelled cannot go back to false"},
		{"cancelled true to unset", func() map[string]any { s := createNow(); s["cancelled"] = true; return s },
			func(s map[string]any) { delete(s, "cancelled") }, "cancelled cannot go back to false"},
		{"change groupId", createNow, func(s map[string]any) { s["groupId"] = "11111111-2222-4333-8444-555555555555" },
			"groupId cannot be added, changed or removed after creation"},
		{"change principalId", createNow, func(s map[string]any) { s["principalId"] = "11111111-2222-4333-8444-555555555555" },
			"principalId cannot be added, changed or removed after creation"},
		{"change accessId", createNow, func(s map[string]any) { s["accessId"] = "owner" },
			"accessId cannot be added, changed or removed after creation"},
		{"add accessId", func() map[string]any { s := createNow(); delete(s, "accessId"); return s },
			func(s map[string]any) { s["accessId"] = "member" }, "accessId cannot be added, changed or removed after creation"},
		{"change schedule", createNow, func(s map[string]any) {
			s["schedule"] = map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "9h"}}
		}, "schedule cannot be added, changed or removed after creation"},
		{"remove schedule", createNow, func(s map[string]any) { delete(s, "schedule") },
			"schedule cannot be added, changed or removed after creation"},
		{"change justification", createNow, func(s map[string]any) { s["justification"] = "other" },
			"justification cannot be added, changed or removed after creation"},
		{"remove ticket", createNow, func(s map[string]any) { delete(s, "ticket") },
			"ticket cannot be added, changed or removed after creation"},
		{"change requestId", adopt, func(s map[string]any) { s["requestId"] = "11111111-2222-4333-8444-555555555555" },
			"requestId cannot be added, changed or removed after creation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			obj := object(uniqueName("update"), tc.initial())
			if err := env.Client.Create(ctx, obj); err != nil {
				t.Fatalf("creating the initial object: %v", err)
			}
			spec, _, _ := unstructured.NestedMap(obj.Object, "spec")
			tc.change(spec)
			obj.Object["spec"] = spec
			checkErr(t, env.Client.Update(ctx, obj), tc.wantErr)
		})
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("want admitted, got %v", err)
	case want != "" && err == nil:
		t.Fatalf("want rejected with %q, got admitted", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("want an error containing %q, got %v", want, err)
	}
}

// The Go types and the CRD's schema agree: a typed object survives a round trip unchanged.
func TestTypedRoundTrip(t *testing.T) {
	ctx := context.Background()
	start := metav1.NewTime(time.Now().Add(time.Hour).UTC().Truncate(time.Second))
	want := &accessv1alpha1.PIMAssignmentRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: uniqueName("typed")},
		Spec: accessv1alpha1.RequestSpec{
			GroupID: group, PrincipalID: principal, AccessID: accessv1alpha1.AccessOwner,
			Justification: "drill", Ticket: &accessv1alpha1.Ticket{System: "Jira", Number: "OPS-1"},
			Schedule: &accessv1alpha1.Schedule{StartDateTime: accessv1alpha1.TimeOf(start.Time), Expiration: accessv1alpha1.Expiration{
				Type: accessv1alpha1.ExpirationAfterDuration, Duration: accessv1alpha1.DurationOf(720 * time.Hour)}},
			DeletionPolicy: accessv1alpha1.DeletionPolicyOrphan,
		},
	}
	if err := env.Client.Create(ctx, want.DeepCopy()); err != nil {
		t.Fatal(err)
	}
	got := &accessv1alpha1.PIMAssignmentRequest{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(want), got); err != nil {
		t.Fatal(err)
	}
	if !equality.Semantic.DeepEqual(got.Spec, want.Spec) {
		t.Fatalf("spec changed in a round trip:\n got %+v\nwant %+v", got.Spec, want.Spec)
	}
}
