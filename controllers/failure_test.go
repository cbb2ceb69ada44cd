package controllers

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/meta"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// TestFailed maps Graph failures onto conditions and requeues.
func TestFailed(t *testing.T) {
	o := observe(active, nil)
	pre := decide(o, testOpt)

	throttled := &pim.Error{Op: "createRequest", Class: pim.ClassThrottled, HTTPStatus: 429, RetryAfter: 42 * time.Second, RequestID: "rid-1"}
	d := failed(pre, "create", throttled, o, testOpt)
	if d.Err != nil || d.After != 42*time.Second {
		t.Errorf("throttled: After %s Err %v, want 42s and no error (an error discards RequeueAfter)", d.After, d.Err)
	}
	obj := recordOn(o, d)
	checkConds(t, obj.Status.Conditions, "Reconciling=True/Throttled,Ready=False/Throttled,Submitted=False/NotSubmitted")
	if kstatusOf(t, obj) != inProgress {
		t.Error("throttled must be InProgress")
	}

	rejected := &pim.Error{Op: "createRequest", Class: pim.ClassUserFixable, HTTPStatus: 400,
		Code: pim.CodePolicyValidationFailed, Message: "The following policy rules failed: [\"ExpirationRule\"]", RequestID: "rid-2"}
	d = failed(pre, "create", rejected, o, testOpt)
	obj = recordOn(o, d)
	checkConds(t, obj.Status.Conditions, "Stalled=True/GraphRejected,Ready=False/GraphRejected")
	msg := meta.FindStatusCondition(obj.Status.Conditions, v1.ConditionStalled).Message
	for _, s := range []string{pim.CodePolicyValidationFailed, "ExpirationRule", "rid-2"} {
		if !strings.Contains(msg, s) {
			t.Errorf("Stalled message %q lacks %q", msg, s)
		}
	}
	if obj.Status.Failures != 1 || d.Err != nil || d.After != testOpt.StalledBackoff || kstatusOf(t, obj) != failedKS {
		t.Errorf("user-fixable: failures %d After %s Err %v", obj.Status.Failures, d.After, d.Err)
	}
	o.Status.Failures = 3
	if d2 := failed(pre, "create", rejected, o, testOpt); d2.After != 8*testOpt.StalledBackoff {
		t.Errorf("fourth failure: After %s, want %s", d2.After, 8*testOpt.StalledBackoff)
	}

	forbidden := &pim.Error{Class: pim.ClassForbidden, HTTPStatus: 403}
	obj = recordOn(o, failed(pre, "create", forbidden, o, testOpt))
	if c := meta.FindStatusCondition(obj.Status.Conditions, v1.ConditionStalled); c == nil || !strings.Contains(c.Message, "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup") {
		t.Errorf("403 must name the permission: %+v", c)
	}

	transient := &pim.Error{Class: pim.ClassTransient, HTTPStatus: 503}
	d = failed(pre, "create", transient, o, testOpt)
	obj = recordOn(o, d)
	if d.Err == nil || kstatusOf(t, obj) != inProgress {
		t.Errorf("transient: want an error for the rate limiter and InProgress")
	}
	checkConds(t, obj.Status.Conditions, "Reconciling=True/GraphUnavailable")

	o = observe(cancelled, withRequest(pim.StatusProvisioned))
	o.Status.CreatedDateTime = mt(t0.Add(-time.Minute))
	tooShort := &pim.Error{Class: pim.ClassTransient, HTTPStatus: 400, Code: pim.CodeActiveDurationTooShort}
	d = failed(decide(o, testOpt), "remove", tooShort, o, testOpt)
	// One second past created+MinActiveAge: status keeps whole seconds, Graph does not.
	if d.Err != nil || d.After != testOpt.MinActiveAge-time.Minute+time.Second {
		t.Errorf("ActiveDurationTooShort: After %s Err %v, want created+%s+1s", d.After, d.Err, testOpt.MinActiveAge)
	}

	dup := &errDuplicate{err: &pim.Error{Class: pim.ClassAssignmentExists, Code: pim.CodeRoleAssignmentExists}, triple: pim.Triple{PrincipalID: "p"}}
	obj = recordOn(o, failed(pre, "create", dup, o, testOpt))
	checkConds(t, obj.Status.Conditions, "Stalled=True/DuplicateAssignment")

	plain := errors.New("conflict")
	if d := failed(pre, "create", plain, o, testOpt); d.Err == nil {
		t.Error("an API-server failure must go back to the rate limiter")
	}
}

// TestFailedWithoutLeaks: an authentication failure tells the namespace a fixed sentence (the
// details go to the log); a cancel refused while the request still looks cancellable waits a
// poll interval instead of the rate limiter's milliseconds; messages are bounded.
func TestFailedWithoutLeaks(t *testing.T) {
	o := observe(active, nil)
	pre := decide(o, testOpt)
	secret := &pim.Error{Class: pim.ClassUnauthenticated, Detail: "ClientSecretCredential: tenant 72f9… file /var/run/secrets/azure/tokens: AADSTS7000215"}
	d := failed(pre, "create", secret, o, testOpt)
	obj := recordOn(o, d)
	st := meta.FindStatusCondition(obj.Status.Conditions, v1.ConditionStalled)
	if st == nil || st.Message != unauthenticatedMessage || strings.Contains(st.Message, "AADSTS") || !strings.Contains(d.LogDetail, "AADSTS") {
		t.Errorf("Unauthenticated: condition %+v, log detail %q", st, d.LogDetail)
	}

	o = observe(cancelled, withRequest(pim.StatusPendingApproval))
	refused := &pim.Error{Class: pim.ClassNotCancellable, HTTPStatus: 400}
	if d := failed(decide(o, testOpt), "cancel", refused, o, testOpt); d.Err != nil || d.After < testOpt.PollInterval {
		t.Errorf("cancel refused twice: After %s Err %v, want a poll interval and no error", d.After, d.Err)
	}

	long := &pim.Error{Class: pim.ClassUserFixable, HTTPStatus: 400, Message: strings.Repeat("é", 3000)}
	obj = recordOn(o, failed(pre, "create", long, o, testOpt))
	for _, c := range obj.Status.Conditions {
		if len(c.Message) > maxMessage || !utf8.ValidString(c.Message) {
			t.Errorf("%s message: %d bytes (valid UTF-8: %v)", c.Type, len(c.Message), utf8.ValidString(c.Message))
		}
	}
}
