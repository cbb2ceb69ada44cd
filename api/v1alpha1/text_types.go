package v1alpha1

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The duration and time fields of the spec keep the text the user wrote and decode whatever
// is stored. The CRD checks that text (CEL) to no more than what Get reads; an object
// written under an older CRD, before it did, still decodes, so one such object cannot stop
// the cache — and with it the operator — for every namespace. Get says what is wrong with it,
// and the operator reports that on the object.

// DurationPattern is the form the CRD admits for a Duration: whole hours, minutes and seconds,
// in that order, at least one of them. Everything it admits time.ParseDuration reads, and the
// largest (99999h9999999m999999999s, about 62 years) stays far inside time.Duration's 292 years,
// so no admitted value overflows. The markers below repeat it (a marker cannot name a constant);
// a test holds every copy in the generated CRDs to this one.
const DurationPattern = `^([0-9]{1,5}h([0-9]{1,7}m)?([0-9]{1,9}s)?|[0-9]{1,7}m([0-9]{1,9}s)?|[0-9]{1,9}s)$`

// Duration is a Kubernetes duration as written: whole hours, minutes and seconds, in that
// order ("8h", "90m", "1h30m", "720h").
// The check is a CEL rule rather than a pattern so that the message says what to write, not
// the regular expression.
// +kubebuilder:validation:Type=string
// +kubebuilder:validation:MaxLength=24
// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]{1,5}h([0-9]{1,7}m)?([0-9]{1,9}s)?|[0-9]{1,7}m([0-9]{1,9}s)?|[0-9]{1,9}s)$')",message="not a duration: write whole hours, minutes and seconds in that order, such as 8h, 90m, 1h30m or 720h (no days or weeks: a day is 24h, a week 168h; at most 99999h)"
type Duration struct {
	// Text is the duration as written; JSON is the text itself.
	Text string `json:"-"`
}

// DurationOf is d written the way people write durations ("8h", "1h30m").
func DurationOf(d time.Duration) *Duration { return &Duration{Text: formatDuration(d)} }

// Get is the duration, or why the stored text is not one.
func (d Duration) Get() (time.Duration, error) {
	v, err := time.ParseDuration(d.Text)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (write whole hours, minutes and seconds, e.g. 8h or 1h30m)", d.Text)
	}
	return v, nil
}

// String is the text as written.
func (d Duration) String() string { return d.Text }

// UnmarshalJSON keeps any string; something else is kept as its JSON text, for Get to refuse.
func (d *Duration) UnmarshalJSON(b []byte) error {
	d.Text = textOf(b)
	return nil
}

// MarshalJSON writes the text back as it was written.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.Text) }

// TimePattern is the form the CRD admits for a Time: RFC 3339 with an upper-case T, Z or a
// ±hh:mm offset, and a date that exists (day of month and leap years included). Everything it
// admits time.Parse(time.RFC3339) reads. Years run from 1000 to 9998 so that, whatever the
// offset, the instant stays inside the range CEL's timestamp() accepts (years 1 to 9999): the
// CRD compares startDateTime and endDateTime with it, and an error there would be a message
// nobody can act on. The markers below repeat it; a test holds every copy to this one.
const TimePattern = `^(([1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)|([1-9][0-9](0[48]|[2468][048]|[13579][26])|([2468][048]|[13579][26])00)-02-29)T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`

// Time is an RFC 3339 time as written ("2026-12-31T18:00:00Z").
// No format: date-time: the API server's date-time admits lower-case t and z, which Go does
// not read. The check is a CEL rule rather than a pattern so that the message says what to
// write, not the regular expression.
// +kubebuilder:validation:Type=string
// +kubebuilder:validation:MaxLength=40
// +kubebuilder:validation:XValidation:rule="self.matches('^(([1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)|([1-9][0-9](0[48]|[2468][048]|[13579][26])|([2468][048]|[13579][26])00)-02-29)T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$')",message="not an RFC 3339 time: write a real date and time with an upper-case T and Z or an offset, such as 2026-12-31T18:00:00Z or 2026-12-31T18:00:00.5+01:00 (years 1000 to 9998)"
type Time struct {
	// Text is the time as written; JSON is the text itself.
	Text string `json:"-"`
}

// TimeOf is t in RFC 3339, UTC.
func TimeOf(t time.Time) *Time { return &Time{Text: t.UTC().Format(time.RFC3339)} }

// Get is the time, or why the stored text is not one.
func (t Time) Get() (time.Time, error) {
	v, err := time.Parse(time.RFC3339, t.Text)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time (e.g. 2026-12-31T18:00:00Z)", t.Text)
	}
	return v, nil
}

// String is the text as written.
func (t Time) String() string { return t.Text }

// UnmarshalJSON keeps any string; something else is kept as its JSON text, for Get to refuse.
func (t *Time) UnmarshalJSON(b []byte) error {
	t.Text = textOf(b)
	return nil
}

// MarshalJSON writes the text back as it was written.
func (t Time) MarshalJSON() ([]byte, error) { return json.Marshal(t.Text) }

func textOf(b []byte) string {
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	return string(b)
}

// formatDuration writes d without Go's trailing zero units ("8h", not "8h0m0s").
func formatDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
