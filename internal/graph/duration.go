package graph

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// formatDuration writes d the way Graph accepts it: days and a time part, never weeks. kiota's
// ISODuration.String() normalises 30 days to "P4W2D", which Graph rejects, so request bodies
// are this package's own JSON (wire.go), never kiota's. Sub-second parts are dropped: Graph
// schedules are not that fine.
func formatDuration(d time.Duration) (string, error) {
	secs := int64(d / time.Second)
	if secs <= 0 {
		return "", fmt.Errorf("duration %s is not positive", d)
	}
	days := secs / 86400
	secs %= 86400
	h, m, s := secs/3600, secs%3600/60, secs%60
	var b strings.Builder
	b.WriteString("P")
	if days > 0 {
		fmt.Fprintf(&b, "%dD", days)
	}
	if h > 0 || m > 0 || s > 0 {
		b.WriteString("T")
		if h > 0 {
			fmt.Fprintf(&b, "%dH", h)
		}
		if m > 0 {
			fmt.Fprintf(&b, "%dM", m)
		}
		if s > 0 {
			fmt.Fprintf(&b, "%dS", s)
		}
	}
	return b.String(), nil
}

// parseDuration reads an ISO 8601 duration as Graph may send it: PnYnMnWnDTnHnMnS, any part
// optional, decimal fractions (dot or comma) allowed, weeks mixed with days ("P4W2D"). kiota's
// own parser cannot be trusted with responses: it reads "PT30S" and "PT1.5H" as zero and
// "P4W2D" as four weeks. Years and months have no fixed length; they count as 365 and 30 days,
// which Graph does not use for PIM schedules anyway.
func parseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	neg := false
	switch {
	case strings.HasPrefix(in, "-"):
		neg, in = true, in[1:]
	case strings.HasPrefix(in, "+"):
		in = in[1:]
	}
	if len(in) < 2 || (in[0] != 'P' && in[0] != 'p') {
		return 0, fmt.Errorf("invalid ISO 8601 duration %q", s)
	}
	in = in[1:]
	const day = 24 * float64(time.Hour)
	var total float64
	inTime, parts, last := false, 0, -1
	// unit order: Y M W D | H M S; each may appear once, in order.
	for len(in) > 0 {
		if in[0] == 'T' || in[0] == 't' {
			if inTime {
				return 0, fmt.Errorf("invalid ISO 8601 duration %q", s)
			}
			inTime, in = true, in[1:]
			if len(in) == 0 {
				return 0, fmt.Errorf("invalid ISO 8601 duration %q: empty time part", s)
			}
			continue
		}
		i := 0
		for i < len(in) && (in[i] >= '0' && in[i] <= '9' || in[i] == '.' || in[i] == ',') {
			i++
		}
		if i == 0 || i == len(in) {
			return 0, fmt.Errorf("invalid ISO 8601 duration %q", s)
		}
		n, err := strconv.ParseFloat(strings.Replace(in[:i], ",", ".", 1), 64)
		if err != nil {
			return 0, fmt.Errorf("invalid ISO 8601 duration %q", s)
		}
		var unit float64
		var rank int
		switch u := in[i] | 0x20; {
		case !inTime && u == 'y':
			unit, rank = 365*day, 0
		case !inTime && u == 'm':
			unit, rank = 30*day, 1
		case !inTime && u == 'w':
			unit, rank = 7*day, 2
		case !inTime && u == 'd':
			unit, rank = day, 3
		case inTime && u == 'h':
			unit, rank = float64(time.Hour), 4
		case inTime && u == 'm':
			unit, rank = float64(time.Minute), 5
		case inTime && u == 's':
			unit, rank = float64(time.Second), 6
		default:
			return 0, fmt.Errorf("invalid ISO 8601 duration %q: unexpected %q", s, in[i])
		}
		if rank <= last {
			return 0, fmt.Errorf("invalid ISO 8601 duration %q: units out of order", s)
		}
		last = rank
		total += n * unit
		parts++
		in = in[i+1:]
	}
	if parts == 0 {
		return 0, fmt.Errorf("invalid ISO 8601 duration %q", s)
	}
	if total >= math.MaxInt64 {
		return 0, fmt.Errorf("ISO 8601 duration %q is too long", s)
	}
	d := time.Duration(math.Round(total))
	if neg {
		d = -d
	}
	return d, nil
}
