package graph

import (
	"strings"
	"testing"
	"time"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// The spellings Graph's documentation shows, read as the CSDL spells them.
func TestEnumsInAnyCase(t *testing.T) {
	w, err := decodeEntity[wireRequest]("request", []byte(`{"id":"x","action":"SelfActivate","accessId":"Member",`+
		`"scheduleInfo":{"expiration":{"type":"AfterDuration","duration":"PT8H"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	r := w.request()
	if r.Action != pim.ActionSelfActivate || r.Triple.AccessID != pim.AccessMember || r.Schedule.Expiration.Type != pim.ExpirationAfterDuration {
		t.Errorf("got action %q access %q expiration %q", r.Action, r.Triple.AccessID, r.Schedule.Expiration.Type)
	}
	for in, want := range map[string]string{"AdminAssign": "adminAssign", "adminassign": "adminAssign", "selfExtend": "selfExtend", "somethingNew": "somethingNew", "unknownFutureValue": ""} {
		if got := actions.normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDateTimes(t *testing.T) {
	utc := func(ns int) *time.Time { return ptr(time.Date(2025, 1, 2, 10, 0, 0, ns, time.UTC)) }
	for in, want := range map[string]*time.Time{
		`"2025-01-02T10:00:00Z"`:         utc(0),
		`"2025-01-02T10:00:00"`:          utc(0),
		`"2025-01-02T10:00:00.1234567Z"`: utc(123456700),
		`"2025-01-02T10:00:00.1234567"`:  utc(123456700),
		`"2025-01-02T11:00:00.5+01:00"`:  utc(500000000),
		`null`:                           nil,
		`""`:                             nil,
	} {
		var d dateTime
		if err := d.UnmarshalJSON([]byte(in)); err != nil || !sameTime(d.ptr(), want) {
			t.Errorf("%s: %v, %v; want %v", in, d.ptr(), err, want)
		}
	}
	for _, bad := range []string{`"yesterday"`, `"2025-01-02"`, `12`, `{}`} {
		var d dateTime
		if err := d.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("%s read as %v", bad, d.ptr())
		}
	}
}

func TestDecodeBodies(t *testing.T) {
	for body, want := range map[string]string{
		`{"value":{"id":"wrapped","futureProperty":[1,{"x":null}]}}`: "wrapped",
		` {"id":"plain","ID":"plain"} `:                              "plain",
		`{"id":"g_member_6aacaee8-4089-4048-9510-3119367fc943"}`:     "g_member_6aacaee8-4089-4048-9510-3119367fc943",
	} {
		w, err := decodeEntity[wireAccess]("schedule", []byte(body))
		if err != nil || w.ID != want {
			t.Errorf("%s: %+v, %v", body, w, err)
		}
	}
	for body, want := range map[string]string{
		``:                         "without the expected object",
		`[]`:                       "not a JSON object",
		`<html>Bad Gateway</html>`: `"<html>Bad Gateway</html>"`,
		`{"id":"x"} trailing`:      "decoding the schedule",
		`{"status":["x"]}`:         "decoding the schedule",
	} {
		if _, err := decodeEntity[wireAccess]("schedule", []byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error saying %q", body, err, want)
		}
	}
}
