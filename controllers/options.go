package controllers

import "time"

// Options are the reconciler's timings. main sets them from flags (DESIGN §5a); tests shorten
// them. The zero value of a field means its default.
type Options struct {
	// PollInterval is the first wait while Graph is still processing a request or a pending
	// approval is being followed; the wait grows with the time spent waiting, up to
	// MaxPollInterval (--poll-interval).
	PollInterval time.Duration
	// MaxPollInterval caps the growing poll.
	MaxPollInterval time.Duration
	// ResyncPeriod is how often a settled, live assignment is read again (--resync-period).
	ResyncPeriod time.Duration
	// CreateSettlePeriod is how long a create-pending marker without a matching request in
	// Graph's eventually consistent list must age before another POST is allowed
	// (--create-settle-period).
	CreateSettlePeriod time.Duration
	// MinActiveAge is Graph's minimum age of an active assignment before adminRemove is
	// accepted (5 minutes; --min-active-age).
	MinActiveAge time.Duration
	// StalledBackoff is the first wait after a user-fixable failure; it doubles with every
	// consecutive failure (status.failures) up to MaxStalledBackoff.
	StalledBackoff    time.Duration
	MaxStalledBackoff time.Duration
	// ReplicationGrace is how long after its creation a request that Graph answers 404 for is
	// taken to be not replicated yet rather than gone.
	ReplicationGrace time.Duration
	// GraphTimeout bounds each Graph call.
	GraphTimeout time.Duration
	// StartupReadSpread spreads the first Graph read of settled objects after the controller
	// starts (a new process or a new leader) over this long (startup.go;
	// --startup-read-spread). Zero reads every object at once, as it comes.
	StartupReadSpread time.Duration
}

// The defaults of Options.
const (
	DefaultPollInterval       = 10 * time.Second
	DefaultMaxPollInterval    = 5 * time.Minute
	DefaultResyncPeriod       = time.Hour
	DefaultCreateSettlePeriod = 2 * time.Minute
	DefaultMinActiveAge       = 5 * time.Minute
	DefaultStalledBackoff     = time.Minute
	DefaultMaxStalledBackoff  = 4 * time.Hour
	DefaultReplicationGrace   = 2 * time.Minute
	DefaultGraphTimeout       = 30 * time.Second
	// DefaultStartupReadSpread is --startup-read-spread's default; Options has none.
	DefaultStartupReadSpread = 5 * time.Minute
)

// withDefaults fills in every zero field.
func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.PollInterval, DefaultPollInterval)
	def(&o.MaxPollInterval, DefaultMaxPollInterval)
	def(&o.ResyncPeriod, DefaultResyncPeriod)
	def(&o.CreateSettlePeriod, DefaultCreateSettlePeriod)
	def(&o.MinActiveAge, DefaultMinActiveAge)
	def(&o.StalledBackoff, DefaultStalledBackoff)
	def(&o.MaxStalledBackoff, DefaultMaxStalledBackoff)
	def(&o.ReplicationGrace, DefaultReplicationGrace)
	def(&o.GraphTimeout, DefaultGraphTimeout)
	o.MaxPollInterval = max(o.MaxPollInterval, o.PollInterval)
	o.MaxStalledBackoff = max(o.MaxStalledBackoff, o.StalledBackoff)
	return o
}
