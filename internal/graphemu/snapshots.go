package graphemu

// Snapshots of the emulator's state for tests. Each settles the clock first.

// Request returns a snapshot of one request; false when it is unknown or purged.
func (e *Emulator) Request(id string) (Request, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settleLocked(e.clock.now())
	rec := e.requests[id]
	if rec == nil {
		return Request{}, false
	}
	return rec.Request, true
}

// Requests returns snapshots of every request not purged, oldest first.
func (e *Emulator) Requests() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settleLocked(e.clock.now())
	out := []Request{}
	for _, id := range e.requestOrder {
		if rec := e.requests[id]; rec != nil {
			out = append(out, rec.Request)
		}
	}
	return out
}

// Schedules returns snapshots of every schedule, ended ones included (see Schedule.Live),
// oldest first.
func (e *Emulator) Schedules() []Schedule {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settleLocked(e.clock.now())
	out := []Schedule{}
	for _, id := range e.scheduleOrder {
		out = append(out, *e.schedules[id])
	}
	return out
}

// Schedule returns a snapshot of one schedule, ended or not.
func (e *Emulator) Schedule(id string) (Schedule, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settleLocked(e.clock.now())
	s := e.schedules[id]
	if s == nil {
		return Schedule{}, false
	}
	return *s, true
}
