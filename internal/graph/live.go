package graph

import (
	"slices"
	"time"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// endedStatuses are the statuses of a schedule that no longer grants access. Any other status
// counts as live: Graph reports Provisioned for current access and Granted or ScheduleCreated
// around a future start, and a status this code does not know must not make live access look
// gone (that would let the reconciler finish without removing it).
var endedStatuses = map[pim.Status]bool{
	pim.StatusCanceled: true,
	pim.StatusDenied:   true,
	pim.StatusFailed:   true,
	pim.StatusRevoked:  true,
	"Expired":          true,
}

// liveSchedules keeps the schedules of the access kind that are not ended, newest first; one
// whose access Graph does not say is kept too (dropping it could hide live access). Which of
// them is whose is the caller's decision: Graph may list an activation, an inherited
// membership and an admin assignment for one triple.
func liveSchedules(all []*wireAccess, access pim.AccessID) []pim.Schedule {
	out := []pim.Schedule{}
	for _, w := range all {
		s := w.schedule()
		if (s.Triple.AccessID == access || s.Triple.AccessID == "") && !endedStatuses[s.Status] {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b pim.Schedule) int { return created(b).Compare(created(a)) })
	return out
}

// created orders schedules; one without a creation time sorts last.
func created(s pim.Schedule) time.Time {
	if s.Created == nil {
		return time.Time{}
	}
	return *s.Created
}
