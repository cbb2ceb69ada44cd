package graphemu

import (
	"testing"
	"time"
)

func TestExtendScheduleMovesItsEnd(t *testing.T) {
	e := New(Options{Now: func() time.Time { return time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC) }})
	req, err := e.SeedAssignment(Assignment{PrincipalID: "0f9e8d7c-6b5a-4c3d-8e1f-a2b3c4d5e6f7",
		GroupID: "6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f", Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ExtendSchedule(req.TargetScheduleID, e.Now().Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.Advance(2 * time.Hour)
	if s, ok := e.Schedule(req.TargetScheduleID); !ok || !s.Live() {
		t.Fatal("an extended schedule outlives its request's end")
	}
	e.Advance(2 * time.Hour)
	if s, _ := e.Schedule(req.TargetScheduleID); s.Live() {
		t.Fatal("and ends at its new end")
	}
	if err := e.ExtendSchedule(req.TargetScheduleID, e.Now().Add(time.Hour)); err == nil {
		t.Fatal("an ended schedule cannot be extended")
	}
}
