package controllers

import (
	"hash/fnv"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// A controller that starts — a new process, or a new leader after a failover — reconciles
// every object at once, and a settled one would cost Graph reads (its request and schedule)
// whatever was read a minute before: 20,000 reads in a minute at 10,000 objects. Its status
// already says what Graph last said, sealed, so the first read of such an object may wait its
// turn: each object's comes at an offset of its own within Options.StartupReadSpread.
//
// Only what steady state would leave unread for as long may wait: live access not due to end
// and a start not due to come before the offset, with nothing asked of it (no spec change, no
// cancel, no delete) and nothing in doubt (a sealed status, no missing schedule). Anything
// else is read at once, and so is every later reconcile of the object: a watch event, a poke.
type startupSpread struct {
	spread time.Duration

	once    sync.Once
	started time.Time
	mu      sync.Mutex
	seen    map[types.UID]bool // objects reconciled since start, while the spread lasts
}

// firstSince reports whether this is the object's first reconcile since the controller started,
// and when it started. Past the spread it forgets what it saw: every object is then read as
// it comes.
func (s *startupSpread) firstSince(uid types.UID, now time.Time) (first bool, started time.Time) {
	s.once.Do(func() { s.started, s.seen = now, map[types.UID]bool{} })
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		return false, s.started
	}
	if now.Sub(s.started) > s.spread {
		s.seen = nil
		return false, s.started
	}
	first = !s.seen[uid]
	s.seen[uid] = true
	return first, s.started
}

// deferral is how long the first reconcile since start may put off the Graph read it would
// make (what), and 0 when it must read now.
func (s *startupSpread) deferral(o observation, what graphRead, uid types.UID, generationObserved bool) time.Duration {
	if s == nil || s.spread <= 0 {
		return 0
	}
	first, started := s.firstSince(uid, o.Now)
	if !first {
		return 0
	}
	return readDeferral(o, what, generationObserved, started.Add(spreadOffset(uid, s.spread)))
}

// readDeferral is the wait until due, for an object whose read may wait that long.
func readDeferral(o observation, what graphRead, generationObserved bool, due time.Time) time.Duration {
	st := o.Status
	if !due.After(o.Now) || !generationObserved || !o.Sealed || o.Deleting || o.wantEnded() ||
		st.ScheduleMissingSince != nil || o.CreatePending != nil && st.RequestID == "" {
		return 0
	}
	switch phaseOf(o) {
	case phaseLive:
		if what != readLive || st.EndDateTime != nil && !st.EndDateTime.After(due) {
			return 0
		}
	case phasePending:
		if what != readRequest || pim.Status(st.GraphStatus) != pim.StatusGranted ||
			st.StartDateTime == nil || !st.StartDateTime.After(due) {
			return 0
		}
	default:
		return 0
	}
	return due.Sub(o.Now)
}

// spreadOffset is the object's place in the spread, the same in every replica.
func spreadOffset(uid types.UID, spread time.Duration) time.Duration {
	h := fnv.New64a()
	_, _ = h.Write([]byte(uid))
	return time.Duration(h.Sum64() % uint64(spread))
}
