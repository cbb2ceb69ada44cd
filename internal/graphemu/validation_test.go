package graphemu

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCreateValidation(t *testing.T) {
	bad := []struct {
		name string
		body any
		code string
	}{
		{"malformed JSON", `{"action": "adminAssign",`, CodeBadRequest},
		{"empty body", "", CodeBadRequest},
		{"wrong type", assignBody(with("principalId", 42)), CodeBadRequest},
		{"missing action", assignBody(with("action", nil)), CodeInvalidRequest},
		{"unknown action", assignBody(with("action", "adminPromote")), CodeBadRequest},
		{"unknownFutureValue action", assignBody(with("action", "unknownFutureValue")), CodeInvalidRequest},
		{"missing accessId", assignBody(with("accessId", nil)), CodeInvalidRequest},
		{"bad accessId", assignBody(with("accessId", "guest")), CodeBadRequest},
		{"missing principalId", assignBody(with("principalId", nil)), CodeInvalidRequest},
		{"principalId not a GUID", assignBody(with("principalId", "alice@contoso.com")), CodeInvalidRequest},
		{"groupId not a GUID", assignBody(with("groupId", "2b5ed229-4072-478d-9504")), CodeInvalidRequest},
		{"missing scheduleInfo", assignBody(with("scheduleInfo", nil)), CodeInvalidRequest},
		{"bad expiration type", assignBody(withExpiration(map[string]any{"type": "whenever"})), CodeBadRequest},
		{"weeks duration", assignBody(withExpiration(map[string]any{"type": "afterDuration", "duration": "P4W2D"})), CodeBadRequest},
		{"weeks only", assignBody(withExpiration(map[string]any{"type": "afterDuration", "duration": "P4W"})), CodeBadRequest},
		{"Go duration", assignBody(withExpiration(map[string]any{"type": "afterDuration", "duration": "8h"})), CodeBadRequest},
		{"zero duration", assignBody(withExpiration(map[string]any{"type": "afterDuration", "duration": "PT0S"})), CodeInvalidRequest},
		{"afterDuration without duration", assignBody(withExpiration(map[string]any{"type": "afterDuration"})), CodeInvalidRequest},
		{"afterDateTime without end", assignBody(withExpiration(map[string]any{"type": "afterDateTime"})), CodeInvalidRequest},
		{"end in the past", assignBody(withExpiration(map[string]any{"type": "afterDateTime", "endDateTime": t0.Add(-time.Hour).Format(time.RFC3339)})), CodeInvalidRequest},
		{"end before a future start", assignBody(withStart(t0.Add(2*time.Hour)), withExpiration(map[string]any{"type": "afterDateTime", "endDateTime": t0.Add(time.Hour).Format(time.RFC3339)})), CodeInvalidRequest},
		{"bad start", assignBody(func(b map[string]any) { b["scheduleInfo"].(map[string]any)["startDateTime"] = "tomorrow" }), CodeBadRequest},
		{"recurrence", assignBody(func(b map[string]any) {
			b["scheduleInfo"].(map[string]any)["recurrence"] = map[string]any{"pattern": map[string]any{"type": "daily"}}
		}), CodeInvalidRequest},
		{"justification over 500", assignBody(with("justification", strings.Repeat("é", 501))), CodeInvalidRequest},
		// Graph's types are closed, and OData property names are case-sensitive.
		{"unknown property", assignBody(with("reason", "x")), CodeBadRequest},
		{"property in the wrong case", assignBody(with("justification", nil), with("Justification", "x")), CodeBadRequest},
		{"unknown nested property", assignBody(func(b map[string]any) { b["scheduleInfo"].(map[string]any)["endDateTime"] = "2026-03-03T00:00:00Z" }), CodeBadRequest},
		{"unknown expiration property", assignBody(withExpiration(map[string]any{"type": "afterDuration", "duration": "PT1H", "length": "PT1H"})), CodeBadRequest},
		{"unknown ticket property", assignBody(with("ticketInfo", map[string]any{"ticketNumber": "1", "ticketUrl": "https://x"})), CodeBadRequest},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			r := h.do(http.MethodPost, requestsPath, tc.body)
			wantError(t, r, http.StatusBadRequest, tc.code)
			if r.str("error", "message") == "" {
				t.Fatal("no message")
			}
			if n := len(h.emu.Requests()); n != 0 {
				t.Fatalf("a refused create stored %d requests", n)
			}
		})
	}

	good := []struct {
		name         string
		body         map[string]any
		wantType     string
		wantDuration string
	}{
		{"P30D", assignBody(withExpiration(map[string]any{"type": "afterDuration", "duration": "P30D"})), "afterDuration", "P30D"},
		{"PT8H", assignBody(), "afterDuration", "PT8H"},
		{"P1DT2H30M", assignBody(withExpiration(map[string]any{"type": "afterDuration", "duration": "P1DT2H30M"})), "afterDuration", "P1DT2H30M"},
		{"noExpiration", assignBody(withExpiration(map[string]any{"type": "noExpiration"})), "noExpiration", ""},
		{"notSpecified", assignBody(withExpiration(map[string]any{"type": "notSpecified"})), "notSpecified", ""},
		{"no expiration object", assignBody(with("scheduleInfo", map[string]any{})), "notSpecified", ""},
		// Graph reads enum values without regard to case and answers in its own spelling.
		{"AfterDuration", assignBody(withExpiration(map[string]any{"type": "AfterDuration", "duration": "PT2H"})), "afterDuration", "PT2H"},
		{"AdminAssign and Member", assignBody(with("action", "AdminAssign"), with("accessId", "Member")), "afterDuration", "PT8H"},
		{"justification of 500", assignBody(with("justification", strings.Repeat("x", 500))), "afterDuration", "PT8H"},
		{"null recurrence and ticket", assignBody(with("ticketInfo", nil), func(b map[string]any) { b["scheduleInfo"].(map[string]any)["recurrence"] = nil }), "afterDuration", "PT8H"},
		// Annotations are not properties: the SDK sends @odata.type on every object.
		{"annotations", assignBody(with("@odata.type", "#microsoft.graph.privilegedAccessGroupAssignmentScheduleRequest"), func(b map[string]any) {
			b["scheduleInfo"].(map[string]any)["@odata.type"] = "#microsoft.graph.requestSchedule"
		}), "afterDuration", "PT8H"},
		{"read-only properties of the type", assignBody(with("status", "Granted"), with("createdBy", map[string]any{"user": map[string]any{"id": principalB}})), "afterDuration", "PT8H"},
	}
	for _, tc := range good {
		t.Run("accepted/"+tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			r := h.create(tc.body)
			if r.str("action") != "adminAssign" || r.str("accessId") != "member" {
				t.Fatalf("action %q accessId %q", r.str("action"), r.str("accessId"))
			}
			if got := r.str("scheduleInfo", "expiration", "type"); got != tc.wantType {
				t.Fatalf("expiration.type = %q, want %q", got, tc.wantType)
			}
			if got := r.str("scheduleInfo", "expiration", "duration"); got != tc.wantDuration {
				t.Fatalf("expiration.duration = %q, want %q", got, tc.wantDuration)
			}
		})
	}
}

// The actions an application does not send are not modelled: 501, never an answer Graph
// would not give.
func TestCreateOtherActionsAreNotModelled(t *testing.T) {
	for _, action := range []string{"selfActivate", "adminUpdate", "adminExtend", "adminRenew", "selfDeactivate", "selfExtend", "SelfRenew"} {
		t.Run(action, func(t *testing.T) {
			h := newHarness(t, Options{})
			wantError(t, h.do(http.MethodPost, requestsPath, assignBody(with("action", action))), http.StatusNotImplemented, CodeNotModelled)
			wantError(t, h.do(http.MethodPost, eligibilityRequestsPath, assignBody(with("action", action))), http.StatusNotImplemented, CodeNotModelled)
		})
	}
}

// Graph's documented removal (privilegedaccessgroupeligibilityschedulerequest-get.example1)
// answers scheduleInfo, completedDateTime and targetScheduleId as null.
func TestAdminRemoveAnswersNullsAsDocumented(t *testing.T) {
	h := newHarness(t, Options{MinActiveAge: -1})
	h.create(assignBody())
	r := h.create(removeBody(principalA, groupA, "member"))
	for _, k := range []string{"scheduleInfo", "completedDateTime", "targetScheduleId"} {
		if v, ok := r.obj[k]; !ok || v != nil {
			t.Errorf("removal %s = %v, want null", k, v)
		}
	}
	if got := h.getRequest(r.str("id")); got.get("scheduleInfo") != nil || got.str("status") != StatusRevoked {
		t.Errorf("GET removal = %s", got)
	}
	// A removal that sends a schedule has it echoed, as Graph echoes create bodies.
	h.create(assignBody(with("principalId", principalB)))
	withSchedule := removeBody(principalB, groupA, "member")
	withSchedule["scheduleInfo"] = map[string]any{"expiration": map[string]any{"type": "noExpiration"}}
	if got := h.create(withSchedule).str("scheduleInfo", "expiration", "type"); got != ExpirationNoExpiration {
		t.Errorf("echoed expiration type %q", got)
	}
}

func TestParseISODuration(t *testing.T) {
	ok := map[string]time.Duration{
		"PT8H":      8 * time.Hour,
		"P30D":      30 * 24 * time.Hour,
		"P1DT2H30M": 26*time.Hour + 30*time.Minute,
		"PT90M":     90 * time.Minute,
		"PT0.5S":    500 * time.Millisecond,
		"P1Y":       365 * 24 * time.Hour,
		"P1M":       30 * 24 * time.Hour,
		"-PT1H":     -time.Hour,
	}
	for s, want := range ok {
		got, err := parseISODuration(s)
		if err != nil || got != want {
			t.Errorf("parseISODuration(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "P", "PT", "P1DT", "P4W2D", "P4W", "p30d", "PT8h", "8h", "P1.5D", "T8H", "P8H", "PT-1H"} {
		if d, err := parseISODuration(s); err == nil {
			t.Errorf("parseISODuration(%q) = %v, want an error", s, d)
		}
	}
}

func TestFormatISODuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		8 * time.Hour:                    "PT8H",
		30 * 24 * time.Hour:              "P30D",
		26*time.Hour + 30*time.Minute:    "P1DT2H30M",
		90 * time.Second:                 "PT1M30S",
		1500 * time.Millisecond:          "PT1.5S",
		0:                                "PT0S",
		24*time.Hour + 1*time.Nanosecond: "P1DT0.000000001S",
	} {
		if got := formatISODuration(d); got != want {
			t.Errorf("formatISODuration(%v) = %q, want %q", d, got, want)
		}
		if d > 0 {
			back, err := parseISODuration(formatISODuration(d))
			if err != nil || back != d {
				t.Errorf("round trip of %v: %v, %v", d, back, err)
			}
		}
	}
}
