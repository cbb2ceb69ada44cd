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
		{"unknown action", assignBody(with("action", "adminPromote")), CodeInvalidRequest},
		{"selfActivate not modelled over HTTP", assignBody(with("action", "selfActivate")), CodeInvalidRequest},
		{"adminUpdate not modelled", assignBody(with("action", "adminUpdate")), CodeInvalidRequest},
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
		{"unknown properties ignored", assignBody(with("@odata.type", "#microsoft.graph.privilegedAccessGroupAssignmentScheduleRequest")), "afterDuration", "PT8H"},
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

func TestAdminRemoveNeedsNoScheduleInfo(t *testing.T) {
	h := newHarness(t, Options{MinActiveAge: -1})
	h.create(assignBody())
	r := h.create(removeBody(principalA, groupA, "member"))
	if r.str("scheduleInfo", "expiration", "type") != "notSpecified" || r.str("scheduleInfo", "startDateTime") != gt(t0) {
		t.Fatalf("removal scheduleInfo = %v", r.get("scheduleInfo"))
	}
	if r.str("targetScheduleId") != groupA+"_member_"+r.str("id") {
		t.Fatalf("removal targetScheduleId = %q", r.str("targetScheduleId"))
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
