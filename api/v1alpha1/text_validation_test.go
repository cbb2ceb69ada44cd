package v1alpha1_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	accessv1alpha1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

// The API server rejects what the operator cannot decode, and what Graph cannot take, with a
// message that says what to write. Both request kinds share the spec, so every case runs on
// both.

var requestKinds = []schema.GroupVersionKind{
	accessv1alpha1.GroupVersion.WithKind("PIMAssignmentRequest"),
	accessv1alpha1.GroupVersion.WithKind("PIMEligibilityRequest"),
}

const (
	notADuration = `: not a duration: write whole hours, minutes and seconds in that order, such as 8h, 90m, 1h30m or 720h ` +
		`(no days or weeks: a day is 24h, a week 168h; at most 99999h)`
	notATime = `: not an RFC 3339 time: write a real date and time with an upper-case T and Z or an offset, ` +
		`such as 2026-12-31T18:00:00Z or 2026-12-31T18:00:00.5+01:00 (years 1000 to 9998)`
	tooShort   = `expiration.duration must be at least 5m, Graph's shortest access: write 5m or longer, such as 8h`
	endTooSoon = `spec.schedule.expiration.endDateTime: Invalid value: expiration.endDateTime must be at least ` +
		`5 minutes after startDateTime (Graph's shortest access): move endDateTime later or startDateTime earlier`
)

func withSchedule(schedule map[string]any) func() map[string]any {
	return func() map[string]any { s := createNow(); s["schedule"] = schedule; return s }
}

func afterDuration(d string) func() map[string]any {
	return withSchedule(map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": d}})
}

func startingAt(start string) func() map[string]any {
	return withSchedule(map[string]any{"startDateTime": start, "expiration": map[string]any{"type": "afterDuration", "duration": "8h"}})
}

func endingAt(end string) func() map[string]any {
	return withSchedule(map[string]any{"expiration": map[string]any{"type": "afterDateTime", "endDateTime": end}})
}

func window(start, end string) func() map[string]any {
	return withSchedule(map[string]any{"startDateTime": start, "expiration": map[string]any{"type": "afterDateTime", "endDateTime": end}})
}

func withTicket(system, number string) func() map[string]any {
	return func() map[string]any {
		s := createNow()
		s["ticket"] = map[string]any{"system": system, "number": number}
		return s
	}
}

func TestScheduleTextValidation(t *testing.T) {
	// The API server names the field and quotes the value: "Invalid value: "1d": ...".
	const durationField = `spec.schedule.expiration.duration: Invalid value: `
	const startField = `spec.schedule.startDateTime: Invalid value: `
	const endField = `spec.schedule.expiration.endDateTime: Invalid value: `
	cases := []struct {
		name    string
		spec    func() map[string]any
		wantErr string // the whole message of the one error expected; empty: admitted
	}{
		// The forms people write, and the largest: nothing admitted overflows.
		{"8h", afterDuration("8h"), ""},
		{"90m", afterDuration("90m"), ""},
		{"1h30m", afterDuration("1h30m"), ""},
		{"720h", afterDuration("720h"), ""},
		{"8h0m0s", afterDuration("8h0m0s"), ""},
		{"5m, Graph's shortest", afterDuration("5m"), ""},
		{"300s", afterDuration("300s"), ""},
		{"the largest", afterDuration("99999h9999999m999999999s"), ""},

		// What Go does not read, or reads as something else than whole units.
		{"1d", afterDuration("1d"), durationField + `"1d"` + notADuration},
		{"1w", afterDuration("1w"), durationField + `"1w"` + notADuration},
		{"8hours", afterDuration("8hours"), durationField + `"8hours"` + notADuration},
		{"9999999999h overflows", afterDuration("9999999999h"), durationField + `"9999999999h"` + notADuration},
		{"100000h", afterDuration("100000h"), durationField + `"100000h"` + notADuration},
		{"1.5h", afterDuration("1.5h"), durationField + `"1.5h"` + notADuration},
		{"-8h", afterDuration("-8h"), durationField + `"-8h"` + notADuration},
		{"8H", afterDuration("8H"), durationField + `"8H"` + notADuration},
		{"30m1h: out of order", afterDuration("30m1h"), durationField + `"30m1h"` + notADuration},
		{"1h1h", afterDuration("1h1h"), durationField + `"1h1h"` + notADuration},
		{"1000ms", afterDuration("1000ms"), durationField + `"1000ms"` + notADuration},
		{"a bare number", afterDuration("28800"), durationField + `"28800"` + notADuration},
		{"padded", afterDuration(" 8h"), durationField + `" 8h"` + notADuration},
		{"empty", afterDuration(""), durationField + `""` + notADuration},
		// The length check stops the CEL rules, and the API server says so in a second error.
		{"too long", afterDuration("0000000000000000000000001h"),
			`spec.schedule.expiration.duration: Too long: may not be more than 24 bytes, <nil>: Invalid value: null: ` +
				`some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]`},

		// Graph's shortest access.
		{"0s", afterDuration("0s"), durationField + `"0s": ` + tooShort},
		{"4m59s", afterDuration("4m59s"), durationField + `"4m59s": ` + tooShort},
		{"299s", afterDuration("299s"), durationField + `"299s": ` + tooShort},

		// Times.
		{"UTC", startingAt("2026-12-31T18:00:00Z"), ""},
		{"fraction and offset", startingAt("2026-12-31T18:00:00.5+01:00"), ""},
		{"nanoseconds, negative offset", endingAt("2026-12-31T18:00:00.123456789-05:30"), ""},
		{"a leap day", startingAt("2028-02-29T00:00:00Z"), ""},
		{"a leap day of a 400th year", startingAt("2000-02-29T00:00:00Z"), ""},
		{"the earliest", startingAt("1000-01-01T00:00:00+23:59"), ""},
		{"the latest", endingAt("9998-12-31T23:59:59.999999999-23:59"), ""},
		{"lower-case t and z", startingAt("2030-01-01t00:00:00z"), startField + `"2030-01-01t00:00:00z"` + notATime},
		{"lower-case z", endingAt("2030-01-01T00:00:00z"), endField + `"2030-01-01T00:00:00z"` + notATime},
		{"a space for T", startingAt("2030-01-01 00:00:00Z"), startField + `"2030-01-01 00:00:00Z"` + notATime},
		{"a date alone", endingAt("2030-01-01"), endField + `"2030-01-01"` + notATime},
		{"no zone", startingAt("2030-01-01T00:00:00"), startField + `"2030-01-01T00:00:00"` + notATime},
		{"zone without colon", startingAt("2030-01-01T00:00:00+0100"), startField + `"2030-01-01T00:00:00+0100"` + notATime},
		{"offset of 24 hours", startingAt("2030-01-01T00:00:00+24:00"), startField + `"2030-01-01T00:00:00+24:00"` + notATime},
		{"30 February", endingAt("2030-02-30T00:00:00Z"), endField + `"2030-02-30T00:00:00Z"` + notATime},
		{"29 February of a common year", endingAt("2029-02-29T00:00:00Z"), endField + `"2029-02-29T00:00:00Z"` + notATime},
		{"29 February of 2100", endingAt("2100-02-29T00:00:00Z"), endField + `"2100-02-29T00:00:00Z"` + notATime},
		{"31 April", endingAt("2030-04-31T00:00:00Z"), endField + `"2030-04-31T00:00:00Z"` + notATime},
		{"month 13", startingAt("2030-13-01T00:00:00Z"), startField + `"2030-13-01T00:00:00Z"` + notATime},
		{"hour 24", startingAt("2030-01-01T24:00:00Z"), startField + `"2030-01-01T24:00:00Z"` + notATime},
		{"a leap second", startingAt("2030-12-31T23:59:60Z"), startField + `"2030-12-31T23:59:60Z"` + notATime},
		{"a comma for the fraction", startingAt("2030-01-01T00:00:00,5Z"), startField + `"2030-01-01T00:00:00,5Z"` + notATime},
		{"ten fraction digits", startingAt("2030-01-01T00:00:00.1234567890Z"), startField + `"2030-01-01T00:00:00.1234567890Z"` + notATime},
		{"year 999", startingAt("0999-12-31T00:00:00Z"), startField + `"0999-12-31T00:00:00Z"` + notATime},
		{"year 9999", endingAt("9999-01-01T00:00:00Z"), endField + `"9999-01-01T00:00:00Z"` + notATime},

		// The window: at least five minutes, compared as instants whatever the offsets.
		{"a 4h window", window("2026-12-31T18:00:00Z", "2026-12-31T22:00:00Z"), ""},
		{"exactly 5 minutes", window("2026-12-31T18:00:00Z", "2026-12-31T18:05:00Z"), ""},
		{"10 minutes across offsets", window("2026-12-31T18:00:00+01:00", "2026-12-31T17:10:00Z"), ""},
		{"the widest window", window("1000-01-01T00:00:00+23:59", "9998-12-31T23:59:59.999999999-23:59"), ""},
		{"end before start", window("2026-12-31T18:00:00Z", "2026-12-31T17:00:00Z"), endTooSoon},
		{"end at start", window("2026-12-31T18:00:00Z", "2026-12-31T18:00:00Z"), endTooSoon},
		{"4m59.9s", window("2026-12-31T18:00:00Z", "2026-12-31T18:04:59.9Z"), endTooSoon},
		{"end at start across offsets", window("2026-12-31T18:00:00+01:00", "2026-12-31T17:00:00Z"), endTooSoon},
		// A malformed time gets the format message alone, not an evaluation error on top.
		{"malformed start in a window", window("2026-12-31t18:00:00z", "2026-12-31T22:00:00Z"),
			startField + `"2026-12-31t18:00:00z"` + notATime},
		{"malformed end in a window", window("2026-12-31T18:00:00Z", "2027-02-29T00:00:00Z"),
			endField + `"2027-02-29T00:00:00Z"` + notATime},

		// Blank paperwork is refused, not only empty.
		{"a ticket", withTicket("ServiceNow", "CHG0012345"), ""},
		{"blank ticket system", withTicket("  ", "CHG1"),
			`spec.ticket.system: Invalid value: "  ": ticket.system must not be blank: name the ticketing system, such as ServiceNow`},
		{"blank ticket number", withTicket("Jira", "\t \n"),
			`spec.ticket.number: Invalid value: "\t \n": ticket.number must not be blank: write the ticket's number, such as CHG0012345`},
		{"empty ticket number", withTicket("Jira", ""),
			`spec.ticket.number: Invalid value: "": ticket.number must not be blank: write the ticket's number, such as CHG0012345`},
	}
	for _, gvk := range requestKinds {
		for _, tc := range cases {
			t.Run(gvk.Kind+"/"+tc.name, func(t *testing.T) {
				obj := object(uniqueName("text"), tc.spec())
				obj.SetGroupVersionKind(gvk)
				checkOnlyErr(t, env.Client.Create(context.Background(), obj), tc.wantErr)
			})
		}
	}
}

// checkOnlyErr holds err to exactly one field error with message want (empty: admitted).
func checkOnlyErr(t *testing.T, err error, want string) {
	t.Helper()
	checkErr(t, err, want)
	if err == nil || want == "" {
		return
	}
	// The API server lists several errors as "[a, b]".
	if msg := err.Error(); strings.Contains(msg, ": [") != strings.HasSuffix(want, "]") || !strings.HasSuffix(msg, want) {
		t.Fatalf("want exactly one error, %q; got %v", want, err)
	}
}

// Every copy of the two patterns in the generated CRDs is the one text_types.go documents, and
// each admits nothing the operator's Go cannot read, nor an instant outside CEL's timestamps.
func TestPatternsAreGos(t *testing.T) {
	matches := regexp.MustCompile(`matches\('([^']*)'\)`)
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "config", "crd", "bases", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs: %v", err)
	}
	counts := map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var crd map[string]any
		if err := yaml.Unmarshal(data, &crd); err != nil {
			t.Fatal(err)
		}
		for _, rule := range rules(crd) {
			for _, m := range matches.FindAllStringSubmatch(rule, -1) {
				switch m[1] {
				case accessv1alpha1.DurationPattern, accessv1alpha1.TimePattern:
					counts[m[1]]++
				default:
					if strings.Contains(rule, "duration(") || strings.Contains(rule, "timestamp(") {
						t.Errorf("%s: a rule checks durations or times with a pattern text_types.go does not know: %s", filepath.Base(f), m[1])
					}
				}
			}
		}
	}
	if counts[accessv1alpha1.DurationPattern] == 0 || counts[accessv1alpha1.TimePattern] == 0 {
		t.Fatalf("the CRDs use the patterns %v times", counts)
	}

	duration := regexp.MustCompile(accessv1alpha1.DurationPattern)
	for _, s := range durationCorpus() {
		if !duration.MatchString(s) {
			continue
		}
		if _, err := (accessv1alpha1.Duration{Text: s}).Get(); err != nil {
			t.Errorf("the CRD admits duration %q, which Get refuses: %v", s, err)
		}
	}

	tm := regexp.MustCompile(accessv1alpha1.TimePattern)
	// CEL's timestamps run from year 1 to 9999; the CRD adds five minutes to a start.
	minCEL := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxCEL := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	admitted := 0
	for _, s := range timeCorpus() {
		v, err := (accessv1alpha1.Time{Text: s}).Get()
		if !tm.MatchString(s) {
			continue
		}
		admitted++
		if err != nil {
			t.Errorf("the CRD admits time %q, which Get refuses: %v", s, err)
			continue
		}
		if v.Before(minCEL) || v.Add(5*time.Minute).After(maxCEL) {
			t.Errorf("the CRD admits time %q, outside CEL's timestamps", s)
		}
	}
	if admitted < 1000 {
		t.Fatalf("only %d times admitted: the corpus tests nothing", admitted)
	}
}

// The date part of the pattern is exact: for the years it admits, it admits a date exactly
// when Go reads it.
func TestTimePatternIsExactOnDates(t *testing.T) {
	tm := regexp.MustCompile(accessv1alpha1.TimePattern)
	for _, year := range []int{1000, 1004, 1100, 1200, 1900, 2000, 2024, 2026, 2028, 2100, 2400, 9600, 9996, 9998} {
		for month := 0; month <= 13; month++ {
			for day := 0; day <= 32; day++ {
				s := fmt.Sprintf("%04d-%02d-%02dT12:00:00Z", year, month, day)
				_, err := time.Parse(time.RFC3339, s)
				if got, want := tm.MatchString(s), err == nil; got != want {
					t.Errorf("%s: pattern admits %v, Go reads %v", s, got, want)
				}
			}
		}
	}
	for _, year := range []int{0, 1, 999, 9999} {
		if s := fmt.Sprintf("%04d-06-15T12:00:00Z", year); tm.MatchString(s) {
			t.Errorf("%s admitted: offsets could take it outside CEL's timestamps", s)
		}
	}
}

// rules are the CEL rules of a CRD, wherever they are in its schema.
func rules(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		if list, ok := v["x-kubernetes-validations"].([]any); ok {
			for _, r := range list {
				if m, ok := r.(map[string]any); ok {
					if s, ok := m["rule"].(string); ok {
						out = append(out, s)
					}
				}
			}
		}
		for _, c := range v {
			out = append(out, rules(c)...)
		}
	case []any:
		for _, c := range v {
			out = append(out, rules(c)...)
		}
	}
	return out
}

// durationCorpus is every string of up to five characters over the characters that matter,
// the largest admitted values, and random strings built of number-unit pieces.
func durationCorpus() []string {
	alphabet := []string{"0", "9", "h", "m", "s", ".", "-", "d"}
	var out []string
	var grow func(prefix string, n int)
	grow = func(prefix string, n int) {
		out = append(out, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			grow(prefix+c, n-1)
		}
	}
	grow("", 5)
	out = append(out, "99999h", "9999999m", "999999999s", "99999h9999999m", "9999999m999999999s",
		"99999h999999999s", "99999h9999999m999999999s", "00000h0000000m000000000s")
	r := rand.New(rand.NewSource(1))
	units := []string{"h", "m", "s", "ms", "us", "ns", "d"}
	for range 20000 {
		var b strings.Builder
		for range 1 + r.Intn(3) {
			fmt.Fprintf(&b, "%s%s", strings.Repeat("9", 1+r.Intn(10)), units[r.Intn(len(units))])
		}
		out = append(out, b.String())
	}
	return out
}

// timeCorpus varies every part of a time around its edges, and adds random combinations.
func timeCorpus() []string {
	years := []string{"0000", "0001", "0999", "1000", "1970", "2000", "2026", "2100", "9998", "9999"}
	dates := []string{"01-01", "02-28", "02-29", "02-30", "04-30", "04-31", "12-31", "13-01", "00-10", "06-00"}
	clocks := []string{"00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "9:00:00"}
	fractions := []string{"", ".5", ".123456789", ".1234567890", ".", ",5"}
	zones := []string{"Z", "z", "+00:00", "-00:00", "+23:59", "-23:59", "+24:00", "+12:60", "+0100", ""}
	var out []string
	for _, y := range years {
		for _, d := range dates {
			for _, c := range clocks {
				for _, f := range fractions {
					for _, z := range zones {
						out = append(out, y+"-"+d+"T"+c+f+z)
					}
				}
			}
		}
	}
	r := rand.New(rand.NewSource(2))
	for range 20000 {
		out = append(out, fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d%s%s",
			r.Intn(10000), r.Intn(14), r.Intn(33), r.Intn(25), r.Intn(61), r.Intn(61),
			fractions[r.Intn(len(fractions))], zones[r.Intn(len(zones))]))
	}
	return out
}

// An object stored before the CRD checked its schedule still decodes, so the informer keeps
// working; Get says what is wrong.
func TestUnreadableTextDecodes(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{
		"groupId": group, "principalId": principal,
		"schedule": map[string]any{"startDateTime": "2030-01-01t00:00:00z",
			"expiration": map[string]any{"type": "afterDuration", "duration": 8}},
	}}}
	data, err := u.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var obj accessv1alpha1.PIMEligibilityRequest
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatalf("an unreadable schedule must still decode: %v", err)
	}
	if _, err := obj.Spec.Schedule.StartDateTime.Get(); err == nil || !strings.Contains(err.Error(), `"2030-01-01t00:00:00z" is not an RFC 3339 time`) {
		t.Errorf("start: %v", err)
	}
	if _, err := obj.Spec.Schedule.Expiration.Duration.Get(); err == nil || !strings.Contains(err.Error(), `"8" is not a duration`) {
		t.Errorf("duration: %v", err)
	}
}
