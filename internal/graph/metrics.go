package graph

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// OutcomeSuccess is the outcome label of a call that succeeded; a failed call is labelled with
// its pim.ErrorClass.
const OutcomeSuccess = "success"

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		reg = crmetrics.Registry
	}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pim_operator_graph_requests_total",
		Help: "Microsoft Graph calls by kind (assignment, eligibility; policy for a group's PIM settings), operation and outcome (success, or the error class).",
	}, []string{"kind", "operation", "outcome"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "pim_operator_graph_request_duration_seconds",
		Help: "Duration of Microsoft Graph calls, including the SDK's retries of GETs.",
		// Up to a minute: a GET may wait out a short Retry-After inside the call.
		Buckets: []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"kind", "operation"})
	var err error
	if requests, err = register(reg, requests); err != nil {
		return nil, err
	}
	if duration, err = register(reg, duration); err != nil {
		return nil, err
	}
	return &metrics{requests: requests, duration: duration}, nil
}

// register tolerates a second client in the same registry (tests; a restarted manager in one
// process) by sharing the collectors already there.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

func (m *metrics) observe(kind, op string, start time.Time, err *pim.Error) {
	outcome := OutcomeSuccess
	if err != nil {
		outcome = string(err.Class)
	}
	m.requests.WithLabelValues(kind, op, outcome).Inc()
	m.duration.WithLabelValues(kind, op).Observe(time.Since(start).Seconds())
}
