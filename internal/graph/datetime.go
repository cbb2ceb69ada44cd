package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// dateTime is an Edm.DateTimeOffset on the wire. Graph's times are UTC, but its examples show
// them with and without a zone and with up to seven fractional digits (.NET's precision); a
// time without a zone is read as UTC, never in the pod's local zone.
type dateTime struct{ time.Time }

// dateTimeOut has at most the seven fractional digits .NET can read; Go would write nine.
const dateTimeOut = "2006-01-02T15:04:05.9999999Z07:00"

// Go accepts any number of fractional digits after the seconds when parsing, whether or not
// the layout has them.
var dateTimeIn = []string{time.RFC3339, "2006-01-02T15:04:05"}

func (d dateTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.UTC().Format(dateTimeOut))
}

func (d *dateTime) UnmarshalJSON(b []byte) error {
	*d = dateTime{}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a date-time must be a string, not %s", clip(string(b), maxSnippetLen))
	}
	if s == "" {
		return nil
	}
	for _, layout := range dateTimeIn {
		if t, err := time.Parse(layout, s); err == nil {
			*d = dateTime{t.UTC()}
			return nil
		}
	}
	return fmt.Errorf("%q is not a date-time", clip(s, maxSnippetLen))
}

// ptr is the time, or nil for an absent one.
func (d dateTime) ptr() *time.Time {
	if d.IsZero() {
		return nil
	}
	t := d.Time
	return &t
}

func toDateTime(t *time.Time) dateTime {
	if t == nil {
		return dateTime{}
	}
	return dateTime{t.UTC()}
}
