package graphemu

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCallLog(t *testing.T) {
	h := newHarness(t, Options{MinActiveAge: -1})
	r := h.create(assignBody())
	h.emu.Advance(time.Minute)
	h.list(requestsPath, tripleFilter(principalA, groupA))
	h.getRequest(r.str("id"))
	h.getSchedule(r.str("targetScheduleId"))
	h.list(schedulesPath, tripleFilter(principalA, groupA))
	h.create(removeBody(principalA, groupA, "member"))
	h.cancel(r.str("id"))

	calls := h.emu.Calls()
	wantOps := []string{OpCreateRequest, OpListRequests, OpGetRequest, OpGetSchedule, OpListSchedules, OpCreateRequest, OpCancelRequest}
	wantStatuses := []int{201, 200, 200, 200, 200, 201, 400}
	if len(calls) != len(wantOps) {
		t.Fatalf("%d calls, want %d: %+v", len(calls), len(wantOps), calls)
	}
	for i, c := range calls {
		if c.Operation != wantOps[i] || c.Status != wantStatuses[i] {
			t.Errorf("call %d = %s %d, want %s %d", i, c.Operation, c.Status, wantOps[i], wantStatuses[i])
		}
		if !guidRE.MatchString(c.RequestID) {
			t.Errorf("call %d request id %q", i, c.RequestID)
		}
	}
	if c := calls[0]; c.Method != http.MethodPost || c.Action != ActionAdminAssign || !strings.Contains(c.RequestBody, `"principalId":"`+principalA+`"`) || !c.Time.Equal(t0) {
		t.Errorf("create call = %+v", c)
	}
	if c := calls[1]; !strings.HasPrefix(c.Path, requestsPath+"?%24filter=principalId%20eq%20") || !c.Time.Equal(t0.Add(time.Minute)) {
		t.Errorf("list call = %+v", c)
	}
	if calls[5].Action != ActionAdminRemove {
		t.Errorf("remove call action %q", calls[5].Action)
	}
	for op, want := range map[string]int{OpCreateRequest: 2, OpListRequests: 1, OpCancelRequest: 1, "": 7} {
		if got := h.emu.CountCalls(op); got != want {
			t.Errorf("CountCalls(%q) = %d, want %d", op, got, want)
		}
	}
	if got := h.emu.CountCallsWithAction(OpCreateRequest, ActionAdminAssign); got != 1 {
		t.Errorf("adminAssign creates = %d", got)
	}
	h.emu.ResetCalls()
	if len(h.emu.Calls()) != 0 {
		t.Fatal("ResetCalls kept calls")
	}
}

// TestConcurrentUse exercises every path at once; run with -race.
func TestConcurrentUse(t *testing.T) {
	h := newHarness(t, Options{Now: time.Now, ListLag: time.Millisecond, MinActiveAge: -1})
	h.emu.AddFault(Fault{Operation: OpListRequests, Status: 429, Rate: 0.2})
	principals := []string{
		"10000000-0000-4000-8000-000000000001", "10000000-0000-4000-8000-000000000002",
		"10000000-0000-4000-8000-000000000003", "10000000-0000-4000-8000-000000000004",
		"10000000-0000-4000-8000-000000000005", "10000000-0000-4000-8000-000000000006",
	}
	if _, err := h.emu.SeedEligibility(Eligibility{PrincipalID: principals[0], GroupID: groupB}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, p := range principals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				h.do(http.MethodPost, requestsPath, assignBody(with("principalId", p)))
				h.list(requestsPath, "principalId eq '"+p+"'")
				h.list(schedulesPath, "principalId eq '"+p+"'")
				h.do(http.MethodPost, requestsPath, removeBody(p, groupA, "member"))
				h.do(http.MethodPost, eligibilityRequestsPath, assignBody(with("principalId", p)))
				h.list(instancesPath, "principalId eq '"+p+"'")
				h.list(eligibilityInstancesPath, "principalId eq '"+p+"'")
				h.do(http.MethodPost, eligibilityRequestsPath, removeBody(p, groupA, "member"))
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 20 {
			h.emu.Advance(time.Second)
			_ = h.emu.Requests()
			_ = h.emu.Schedules()
			_, _ = h.emu.SeedActivation(Activation{PrincipalID: principals[0], GroupID: groupB})
		}
	}()
	wg.Wait()
	if n := h.emu.CountKindCalls(KindAssignment, OpCreateRequest, ActionAdminAssign); n != len(principals)*5 {
		t.Fatalf("%d adminAssign calls recorded, want %d", n, len(principals)*5)
	}
}
