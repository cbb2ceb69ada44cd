package v1alpha1

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The duration and time fields of the spec keep the text the user wrote and decode whatever
// is stored. The CRD checks that text (pattern and CEL) to exactly what Get reads; an object
// written under an older CRD, before it did, still decodes, so one such object cannot stop
// the cache — and with it the operator — for every namespace. Get says what is wrong with it,
// and the operator reports that on the object.

// Duration is a Kubernetes duration as written: whole hours, minutes and seconds, in that
// order ("8h", "90m", "1h30m", "720h").
// +kubebuilder:validation:Type=string
// +kubebuilder:validation:MinLength=2
// +kubebuilder:validation:MaxLength=24
// +kubebuilder:validation:Pattern=`^([0-9]{1,5}h)?([0-9]{1,7}m)?([0-9]{1,9}s)?$`
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

// Time is an RFC 3339 time as written ("2026-12-31T18:00:00Z").
// +kubebuilder:validation:Type=string
// +kubebuilder:validation:Format=date-time
// +kubebuilder:validation:MaxLength=40
// +kubebuilder:validation:Pattern=`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$`
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
