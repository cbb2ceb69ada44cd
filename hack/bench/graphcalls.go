package main

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/pim-operator/pim-operator/internal/graphemu"
)

// graphStats is what the emulator's call log says about a stretch of the run.
type graphStats struct {
	Total int
	// ByOp counts calls by operation; createRequest is split by action
	// ("createRequest/adminAssign", "createRequest/adminRemove").
	ByOp map[string]int
	// Polls are getRequest calls for an id already read in the same stretch; the first read of
	// each id is the read the decision needs (the guard before a cancel, or a status check).
	Polls int
	// NotOK counts answers by HTTP status outside 2xx (0: no answer).
	NotOK map[int]int
}

func opKey(c graphemu.Call) string {
	if c.Operation == graphemu.OpCreateRequest && c.Action != "" {
		return c.Operation + "/" + c.Action
	}
	if c.Operation == "" {
		return "unknown " + c.Method
	}
	return c.Operation
}

func analyzeCalls(calls []graphemu.Call) graphStats {
	s := graphStats{Total: len(calls), ByOp: map[string]int{}, NotOK: map[int]int{}}
	readIDs := map[string]bool{}
	for _, c := range calls {
		s.ByOp[opKey(c)]++
		if c.Status < 200 || c.Status > 299 {
			s.NotOK[c.Status]++
		}
		if c.Operation == graphemu.OpGetRequest {
			id := pathID(c.Path)
			if readIDs[id] {
				s.Polls++
			}
			readIDs[id] = true
		}
	}
	return s
}

// pathID is the last segment of the call's path, without the query.
func pathID(uri string) string {
	p, _, _ := strings.Cut(uri, "?")
	p = strings.TrimRight(p, "/")
	return strings.ToLower(p[strings.LastIndex(p, "/")+1:])
}

// markerUID finds the object UID in the operator's justification marker (pim.Marker).
var markerUID = regexp.MustCompile(`uid=([0-9a-fA-F-]{36})\]`)

// rateStats measures the Graph writes (every POST: create, adminRemove, cancel) in a stretch of
// the call log against a token bucket of qps with burst.
type rateStats struct {
	Posts     int
	Throttled int // POSTs answered 429
	// MaxIn1s and MaxIn5s are the most POSTs that arrived within any 1 s and any 5 s window;
	// a token bucket allows at most burst + qps × window.
	MaxIn1s, MaxIn5s int
	// Span is first to last POST; Avg is (Posts − 1) ÷ Span.
	Span time.Duration
	Avg  float64
	// MinRetryGap is the shortest time between a create answered 429 and the same object's next
	// create (0 when no object was retried).
	MinRetryGap time.Duration
	Retried     int
}

func analyzeRate(calls []graphemu.Call) rateStats {
	var times []time.Time
	byUID := map[string][]graphemu.Call{}
	var s rateStats
	for _, c := range calls {
		if c.Method != http.MethodPost {
			continue
		}
		times = append(times, c.Time)
		if c.Status == http.StatusTooManyRequests {
			s.Throttled++
		}
		if c.Operation == graphemu.OpCreateRequest {
			if m := markerUID.FindStringSubmatch(c.RequestBody); m != nil {
				byUID[strings.ToLower(m[1])] = append(byUID[strings.ToLower(m[1])], c)
			}
		}
	}
	s.Posts = len(times)
	if s.Posts == 0 {
		return s
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	s.MaxIn1s, s.MaxIn5s = maxInWindow(times, time.Second), maxInWindow(times, 5*time.Second)
	s.Span = times[len(times)-1].Sub(times[0])
	if s.Span > 0 {
		s.Avg = float64(s.Posts-1) / s.Span.Seconds()
	}
	for _, cs := range byUID {
		sort.Slice(cs, func(i, j int) bool { return cs[i].Time.Before(cs[j].Time) })
		for i := 0; i+1 < len(cs); i++ {
			if cs[i].Status != http.StatusTooManyRequests {
				continue
			}
			gap := cs[i+1].Time.Sub(cs[i].Time)
			if s.Retried == 0 || gap < s.MinRetryGap {
				s.MinRetryGap = gap
			}
			s.Retried++
		}
	}
	return s
}

// maxInWindow is the largest number of sorted times within any half-open window [t, t+w).
func maxInWindow(times []time.Time, w time.Duration) int {
	best, lo := 0, 0
	for hi := range times {
		for times[hi].Sub(times[lo]) >= w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// postsBetween counts the POSTs that arrived in [from, to).
func postsBetween(calls []graphemu.Call, from, to time.Time) int {
	n := 0
	for _, c := range calls {
		if c.Method == http.MethodPost && !c.Time.Before(from) && c.Time.Before(to) {
			n++
		}
	}
	return n
}
