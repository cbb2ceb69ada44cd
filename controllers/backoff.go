package controllers

import "time"

// pollAfter is the wait before the next look at a request Graph is still processing, or a
// pending approval being followed. It grows with the time already spent waiting (since): half
// of it, at least PollInterval and at most MaxPollInterval — so the polls of a long wait are
// geometrically spaced without any state beyond the condition's transition time.
func pollAfter(o Options, since, now time.Time) time.Duration {
	d := o.PollInterval
	if !since.IsZero() && now.After(since) {
		d = max(d, now.Sub(since)/2)
	}
	return min(d, o.MaxPollInterval)
}

// stalledAfter is the wait after the n-th consecutive user-fixable failure (n ≥ 1):
// StalledBackoff, doubling, at most MaxStalledBackoff.
func stalledAfter(o Options, n int32) time.Duration {
	d := o.StalledBackoff
	for i := int32(1); i < n && d < o.MaxStalledBackoff; i++ {
		d *= 2
	}
	return min(d, o.MaxStalledBackoff)
}

// until is the wait until t, at least a millisecond (a zero RequeueAfter means "never").
func until(now, t time.Time) time.Duration {
	return max(t.Sub(now), time.Millisecond)
}
