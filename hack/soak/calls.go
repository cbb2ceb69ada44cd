package main

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Graph calls by object: the emulator's call log, attributed to the objects the calls concern.

var guidRE = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// attribution maps calls to records: by a request id of theirs (in the path, or in a schedule
// id, which embeds the creating request's id), or by their principal (lists, creates; an
// original and its twin share one).
type attribution struct {
	byRequest   map[string]int   // request id → record index
	byPrincipal map[string][]int // principal → record indexes
}

func newAttribution(records []record, gs graphState) attribution {
	a := attribution{byRequest: map[string]int{}, byPrincipal: map[string][]int{}}
	byUID := map[string]int{}
	for i, r := range records {
		if r.UID != "" {
			byUID[strings.ToLower(r.UID)] = i
		}
		p := strings.ToLower(r.Principal)
		a.byPrincipal[p] = append(a.byPrincipal[p], i)
	}
	for _, q := range gs.Requests {
		if i, ok := byUID[markerUID(q.Justification)]; ok {
			a.byRequest[strings.ToLower(q.ID)] = i
		}
	}
	return a
}

// of is the records a call concerns: the one whose request it names, else those of its principal.
func (a attribution) of(c emuCall) []int {
	ids := guidRE.FindAllString(c.Path+" "+c.RequestBody, -1)
	for _, id := range ids {
		if i, ok := a.byRequest[strings.ToLower(id)]; ok {
			return []int{i}
		}
	}
	for _, id := range ids {
		if is, ok := a.byPrincipal[strings.ToLower(id)]; ok {
			return is
		}
	}
	return nil
}

func opKey(c emuCall) string {
	switch {
	case c.Operation == "createRequest" && c.Action != "":
		return c.Kind + " createRequest/" + c.Action
	case c.Operation == "":
		return "unknown " + c.Method + " " + c.Path
	}
	return c.Kind + " " + c.Operation
}

// floor is the fewest Graph calls the object's life can take with nothing failing: one create;
// a read of the request when a future start comes; to end it (spec.cancelled, or deletion with
// policy Cancel), one read of the request and a cancel (not started yet) or one read of the
// triple's live schedules (the ownership guard) and one adminRemove. A twin's create is
// refused (RoleAssignmentExists) and followed by one list (find-my-request), and its deletion
// lists once more. Denied objects must make none.
func floor(r record) int {
	switch {
	case r.Created.IsZero(), r.Denied:
		return 0
	case r.TwinOf >= 0:
		return 3
	}
	n := 1
	endAt := r.Cancelled
	if endAt.IsZero() && !r.Orphan {
		endAt = r.Deleted
	}
	startedBefore := func(t time.Time) bool { return r.Start == startSoon && r.StartAt.Before(t) }
	if endAt.IsZero() {
		if startedBefore(time.Now()) {
			n++
		}
		return n
	}
	notStarted := r.Start != startNow && endAt.Before(r.StartAt)
	if startedBefore(endAt) {
		n++
	}
	if notStarted {
		return n + 2
	}
	return n + 3
}

// callStats is the call log summed up.
type callStats struct {
	Total, Faulted, Unattributed int
	ByOp                         map[string]int
	// FaultsByAnswer counts the calls a fault fired on, by what the client got.
	FaultsByAnswer map[string]int
	// Floor is the sum of every object's floor; PerRecord the calls attributed to each record
	// (an original and its twin share the calls made for their principal).
	Floor     int
	PerRecord []int
	// Excess are the records with the most calls beyond their floor.
	Excess []excess
	// DeniedCalls are calls attributed to objects no policy permits (must be none).
	DeniedCalls []emuCall
}

type excess struct {
	Index, Calls, Floor int
}

func summarizeCalls(records []record, gs graphState, calls []emuCall) callStats {
	a := newAttribution(records, gs)
	s := callStats{ByOp: map[string]int{}, FaultsByAnswer: map[string]int{}, PerRecord: make([]int, len(records))}
	for _, c := range calls {
		s.Total++
		s.ByOp[opKey(c)]++
		if c.Fault {
			s.Faulted++
			s.FaultsByAnswer[faultAnswer(c)]++
		}
		is := a.of(c)
		if len(is) == 0 {
			s.Unattributed++
			continue
		}
		// Shared calls (an original and its twin) count once, for the first of them.
		s.PerRecord[is[0]]++
		for _, i := range is {
			if records[i].Denied {
				s.DeniedCalls = append(s.DeniedCalls, c)
				break
			}
		}
	}
	for i, r := range records {
		s.Floor += floor(r)
		if f := floorOfGroup(records, a, i); s.PerRecord[i] > f {
			s.Excess = append(s.Excess, excess{Index: i, Calls: s.PerRecord[i], Floor: f})
		}
	}
	sort.Slice(s.Excess, func(i, j int) bool {
		return s.Excess[i].Calls-s.Excess[i].Floor > s.Excess[j].Calls-s.Excess[j].Floor
	})
	return s
}

// floorOfGroup is the floor of record i plus, when it is the first record of its principal,
// the floors of the others (its twin), whose shared calls it was given.
func floorOfGroup(records []record, a attribution, i int) int {
	group := a.byPrincipal[strings.ToLower(records[i].Principal)]
	if len(group) == 0 || group[0] != i {
		return floor(records[i])
	}
	f := 0
	for _, j := range group {
		f += floor(records[j])
	}
	return f
}

func faultAnswer(c emuCall) string {
	switch {
	case c.Status == 0:
		return "no answer (connection dropped after apply, reset before apply, or the client gave up during latency)"
	case c.Status == http.StatusTooManyRequests, c.Status == http.StatusServiceUnavailable,
		c.Status == http.StatusInternalServerError, c.Status == http.StatusBadGateway:
		return fmt.Sprintf("%d %s", c.Status, http.StatusText(c.Status))
	}
	return "answered after added latency"
}

// callsConcerning are the calls that concern one finding's object, in order.
func callsConcerning(f finding, calls []emuCall) []emuCall {
	keys := map[string]bool{}
	if f.Principal != "" {
		keys[strings.ToLower(f.Principal)] = true
	}
	for _, id := range f.RequestIDs {
		keys[strings.ToLower(id)] = true
	}
	var out []emuCall
	for _, c := range calls {
		for _, id := range guidRE.FindAllString(c.Path+" "+c.RequestBody, -1) {
			if keys[strings.ToLower(id)] {
				out = append(out, c)
				break
			}
		}
	}
	return out
}
