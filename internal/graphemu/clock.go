package graphemu

import "time"

// clockResolution is the precision of Graph's DateTimeOffset values (.NET ticks). Every time
// the emulator stores is truncated to it, so a snapshot equals what the wire carries.
const clockResolution = 100 * time.Nanosecond

// clock is the emulator's movable clock: a time source (real time unless Options.Now says
// otherwise) plus an offset that Advance grows. With a source that returns a fixed time the
// clock moves only when a test advances it. It is guarded by the emulator's mutex.
type clock struct {
	source func() time.Time
	offset time.Duration
}

func newClock(source func() time.Time) clock {
	if source == nil {
		source = time.Now
	}
	return clock{source: source}
}

// now is the emulator's current time, in UTC, at Graph's precision.
func (c *clock) now() time.Time {
	return graphTime(c.source().Add(c.offset))
}

// advance moves the clock forward; a negative d is ignored (Graph's time never runs back).
func (c *clock) advance(d time.Duration) {
	if d > 0 {
		c.offset += d
	}
}

// graphTime brings t to UTC at Graph's precision.
func graphTime(t time.Time) time.Time {
	return t.UTC().Truncate(clockResolution)
}
