package graphemu

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// The write budget refuses the write over it with 429 and Retry-After until the oldest write
// leaves the window; reads pass, refused writes do not count, and the call log says which 429s
// the budget (not a fault) answered.
func TestWriteBudget(t *testing.T) {
	h := newHarness(t, Options{})
	h.emu.SetWriteBudget(2, 10*time.Second)
	principal := func(p string) func(map[string]any) {
		return func(b map[string]any) { b["principalId"] = p }
	}

	h.create(assignBody(principal(principalA)))
	h.emu.Advance(4 * time.Second)
	h.create(assignBody(principal(principalB)))
	r := h.do(http.MethodPost, requestsPath, assignBody(principal("5a5a5a5a-0000-4000-8000-000000000001")))
	wantError(t, r, http.StatusTooManyRequests, CodeTooManyRequests)
	if got := r.header.Get("Retry-After"); got != "6" {
		t.Errorf("Retry-After = %q, want 6 (until the first write is 10 s old)", got)
	}
	if got := h.list(requestsPath, "principalId eq '"+principalA+"'"); got.status != http.StatusOK {
		t.Errorf("a read over the budget: %d, want 200", got.status)
	}
	h.emu.Advance(6 * time.Second)
	h.create(assignBody(principal("5a5a5a5a-0000-4000-8000-000000000001")))

	var throttled, writes int
	for _, c := range h.emu.Calls() {
		if c.Throttled {
			throttled++
			if c.Status != http.StatusTooManyRequests || c.Fault {
				t.Errorf("throttled call %+v: want 429 and no fault", c)
			}
		}
		if c.Method == http.MethodPost {
			writes++
		}
	}
	if throttled != 1 || writes != 4 {
		t.Errorf("throttled %d of %d writes, want 1 of 4", throttled, writes)
	}

	h.emu.SetWriteBudget(0, 0)
	for i := range 3 {
		h.do(http.MethodPost, fmt.Sprintf("%s/00000000-0000-4000-8000-%012d/cancel", requestsPath, i), nil)
	}
	for _, c := range h.emu.Calls()[4:] {
		if c.Throttled {
			t.Errorf("budget off, yet %s was throttled", c.Path)
		}
	}
}
