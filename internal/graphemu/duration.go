package graphemu

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// isoDurationPattern is the xsd:duration form Graph (OData Edm.Duration, parsed by .NET's
// XmlConvert.ToTimeSpan) accepts: years, months, days, then a time part. There is no week
// designator: "P4W2D", what kiota's ISODuration.String() writes, is rejected.
var isoDurationPattern = regexp.MustCompile(`^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// parseISODuration parses an ISO 8601 duration as Graph does. Years count 365 days and
// months 30, as XmlConvert.ToTimeSpan counts them.
func parseISODuration(s string) (time.Duration, error) {
	m := isoDurationPattern.FindStringSubmatch(s)
	if m == nil || s == "P" || strings.HasSuffix(s, "T") {
		return 0, fmt.Errorf("the value '%s' is not a valid ISO 8601 duration", s)
	}
	if m[2] == "" && m[3] == "" && m[4] == "" && m[5] == "" && m[6] == "" && m[7] == "" {
		return 0, fmt.Errorf("the value '%s' is not a valid ISO 8601 duration", s)
	}
	var total float64 // seconds
	units := []struct {
		text    string
		seconds float64
	}{
		{m[2], 365 * 24 * 3600},
		{m[3], 30 * 24 * 3600},
		{m[4], 24 * 3600},
		{m[5], 3600},
		{m[6], 60},
		{m[7], 1},
	}
	for _, u := range units {
		if u.text == "" {
			continue
		}
		v, err := strconv.ParseFloat(u.text, 64)
		if err != nil {
			return 0, fmt.Errorf("the value '%s' is not a valid ISO 8601 duration", s)
		}
		total += v * u.seconds
	}
	if total*float64(time.Second) > math.MaxInt64 {
		return 0, fmt.Errorf("the value '%s' is out of range", s)
	}
	d := time.Duration(total * float64(time.Second))
	if m[1] == "-" {
		d = -d
	}
	return d, nil
}

// formatISODuration writes d the way Graph writes durations: whole days as "P30D", otherwise
// hours, minutes and seconds ("PT8H", "P1DT2H30M").
func formatISODuration(d time.Duration) string {
	if d <= 0 {
		return "PT0S"
	}
	var b strings.Builder
	b.WriteString("P")
	if days := d / (24 * time.Hour); days > 0 {
		fmt.Fprintf(&b, "%dD", days)
		d -= days * 24 * time.Hour
	}
	if d == 0 {
		return b.String()
	}
	b.WriteString("T")
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dH", h)
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%dM", m)
		d -= m * time.Minute
	}
	if d > 0 {
		b.WriteString(strconv.FormatFloat(d.Seconds(), 'f', -1, 64))
		b.WriteString("S")
	}
	return b.String()
}
