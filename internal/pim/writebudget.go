package pim

import (
	"sync"
	"time"
)

// GraphWriteWindow is the window of Graph's write quota for identity and access: 3,000 writes
// per 150 seconds per app and tenant (docs/graph.md, "Throttling").
const GraphWriteWindow = 150 * time.Second

// writeBudgetSlot is the resolution of the window count. The count is conservative by at most
// one slot: at 20/s it admits 3,000 writes per 150.1 s.
const writeBudgetSlot = 100 * time.Millisecond

// writeBudget admits at most limit writes in any window of its length, however they bunch.
// A token bucket of rate r and burst b lets b + r×w writes through in a window w, which is more
// than Graph's quota when r is the quota's rate; this bound is what keeps the operator's own
// writes from being answered 429. Memory is one counter per slot, whatever the rate.
type writeBudget struct {
	mu     sync.Mutex
	limit  int
	epoch  time.Time
	counts []int // counts[s % len] holds the writes admitted in slot s
	newest int64 // the latest slot counted
	total  int   // the sum of counts
}

func newWriteBudget(limit int, window time.Duration, now time.Time) *writeBudget {
	// One slot more than the window holds, so that every window ending now lies inside the
	// slots counted.
	return &writeBudget{limit: max(limit, 1), epoch: now, counts: make([]int, int(window/writeBudgetSlot)+1)}
}

// admit counts a write at now when the window has room, and otherwise says how long to wait
// before asking again.
func (b *writeBudget) admit(now time.Time) (wait time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	slot := int64(now.Sub(b.epoch) / writeBudgetSlot)
	b.advance(slot)
	if b.total < b.limit {
		b.counts[slot%int64(len(b.counts))]++
		b.total++
		return 0
	}
	n := int64(len(b.counts))
	for s := slot - n + 1; s <= slot; s++ {
		if s >= 0 && b.counts[s%n] > 0 {
			leaves := b.epoch.Add(time.Duration(s+n) * writeBudgetSlot)
			return max(leaves.Sub(now), time.Millisecond)
		}
	}
	return writeBudgetSlot // unreachable while total ≥ limit ≥ 1
}

// advance forgets the slots that fell out of the window by slot.
func (b *writeBudget) advance(slot int64) {
	n := int64(len(b.counts))
	if slot <= b.newest {
		return
	}
	from := max(b.newest+1, slot-n+1)
	for s := from - n; s < slot-n+1; s++ {
		if s >= 0 {
			b.total -= b.counts[s%n]
			b.counts[s%n] = 0
		}
	}
	b.newest = slot
}
