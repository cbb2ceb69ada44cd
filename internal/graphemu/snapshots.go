package graphemu

// Snapshots of the emulator's state for tests. Each settles the clock first.

// Request returns a snapshot of one request of either kind; false when it is unknown or purged.
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

// Requests returns snapshots of every assignment request not purged, oldest first.
func (e *Emulator) Requests() []Request { return e.requestsOf(KindAssignment) }

// EligibilityRequests returns snapshots of every eligibility request not purged, oldest first.
func (e *Emulator) EligibilityRequests() []Request { return e.requestsOf(KindEligibility) }

func (e *Emulator) requestsOf(kind string) []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settleLocked(e.clock.now())
	out := []Request{}
	for _, id := range e.requestOrder {
		if rec := e.requests[id]; rec != nil && rec.Kind == kind {
			out = append(out, rec.Request)
		}
	}
	return out
}

// Schedule returns a snapshot of one schedule of either kind, ended or not.
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

// Schedules returns snapshots of every assignment schedule, ended ones included (see
// Schedule.Live), oldest first.
func (e *Emulator) Schedules() []Schedule { return e.schedulesOf(KindAssignment) }

// EligibilitySchedules returns snapshots of every eligibility schedule, ended ones included.
func (e *Emulator) EligibilitySchedules() []Schedule { return e.schedulesOf(KindEligibility) }

func (e *Emulator) schedulesOf(kind string) []Schedule {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settleLocked(e.clock.now())
	out := []Schedule{}
	for _, id := range e.scheduleOrder {
		if s := e.schedules[id]; s.Kind == kind {
			out = append(out, *s)
		}
	}
	return out
}
