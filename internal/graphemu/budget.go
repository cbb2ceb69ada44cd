package graphemu

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Graph's throttling of identity writes: a budget of writes per app and tenant in a sliding
// window (DESIGN §5: 3,000 per 150 s, 20/s on average). Off unless set: the emulator answers
// 429 only when a fault or this budget says so, so a 429 without Call.Fault is one the client
// caused by writing too fast.

// Graph's identity write budget, per app and tenant.
const (
	GraphWriteBudget       = 3000
	GraphWriteBudgetWindow = 150 * time.Second
)

// writeBudget counts the writes (POSTs) admitted in the last window, oldest first.
type writeBudget struct {
	limit  int
	window time.Duration
	times  []time.Time
}

// SetWriteBudget makes Graph answer a write (every POST: creates, cancels) with 429
// TooManyRequests once limit writes were admitted in the last window, with Retry-After until
// the oldest leaves it. A limit of 0 turns the budget off. Admitted writes count whatever their
// answer; refused ones do not.
func (e *Emulator) SetWriteBudget(limit int, window time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.budget = writeBudget{limit: max(limit, 0), window: window}
}

// overBudget answers the call with 429 when it is a write over the budget.
func (e *Emulator) overBudget(w http.ResponseWriter, c *Call) bool {
	if c.Method != http.MethodPost {
		return false
	}
	e.mu.Lock()
	b := &e.budget
	if b.limit == 0 || b.window <= 0 {
		e.mu.Unlock()
		return false
	}
	now := e.clock.now()
	drop := 0
	for drop < len(b.times) && !b.times[drop].After(now.Add(-b.window)) {
		drop++
	}
	b.times = b.times[drop:]
	if len(b.times) < b.limit {
		b.times = append(b.times, now)
		e.mu.Unlock()
		return false
	}
	wait := b.times[0].Add(b.window).Sub(now)
	e.mu.Unlock()
	c.Throttled = true
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	writeGraphError(w, now, &apiError{status: http.StatusTooManyRequests, code: CodeTooManyRequests,
		message: "Too many requests: the application's write budget for this tenant is spent. Retry after the interval in Retry-After."})
	return true
}
