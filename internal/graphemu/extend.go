package graphemu

import (
	"fmt"
	"time"
)

// ExtendSchedule moves the end of a live schedule, as an administrator's extension in the
// portal does (adminExtend, which the emulator does not serve over HTTP): the schedule then ends
// at end, while the request that created it keeps its own scheduleInfo.
func (e *Emulator) ExtendSchedule(id string, end time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.schedules[id]
	if s == nil {
		return ErrNotFound
	}
	if !s.Live() {
		return fmt.Errorf("%w: schedule %s has ended", ErrInvalidState, id)
	}
	end = graphTime(end)
	s.EndDateTime = &end
	s.ScheduleInfo.Expiration = Expiration{Type: ExpirationAfterDateTime, EndDateTime: &end}
	s.ModifiedDateTime = timePtr(e.clock.now())
	e.eventsChangedLocked()
	return nil
}
