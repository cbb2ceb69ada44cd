package controllers

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// The gauges below are computed when Prometheus scrapes, from what the manager already holds:
// the informer cache and its configuration. Counting at scrape time, rather than keeping
// gauges up to date from the reconcilers, means a count can never drift from the objects (a
// deleted object, a missed transition) and leaves no stale series behind.
var (
	objectsDesc = prometheus.NewDesc("pim_operator_objects",
		"Request objects in the operator's cache by kind, condition type, condition status and reason. "+
			"An object counts once for each condition it has: sum over one condition type for a count of objects. "+
			"Reported by the leader only.",
		[]string{"kind", "condition", "status", "reason"}, nil)
	cachedObjectsDesc = prometheus.NewDesc("pim_operator_cached_objects",
		"Request objects of each kind in the operator's cache, whatever their conditions (new objects have none yet). "+
			"Reported by the leader only.",
		[]string{"kind"}, nil)
	writeLimitQPSDesc = prometheus.NewDesc("pim_operator_graph_write_limit_qps",
		"The client-side limit on Graph writes per second (--graph-write-qps), shared by every worker: "+
			"Graph writes at this rate mean the limiter is what sets the pace. Reported by the leader only.",
		nil, nil)
	writeLimitBurstDesc = prometheus.NewDesc("pim_operator_graph_write_limit_burst",
		"The burst of the client-side Graph write limit (--graph-write-burst). Reported by the leader only.",
		nil, nil)
)

// objectMetricsListTimeout bounds one kind's cache read in a scrape. A cache read waits only
// for an informer that has not synced yet; a scrape must not hang on it.
const objectMetricsListTimeout = 5 * time.Second

// objects is the one collector in controller-runtime's registry. Every running manager of the
// process adds its source while it leads and removes it when it stops, so that tests (and the
// benchmark) that run several managers in one process neither fail to register nor report a
// stopped manager's stale cache. Counts of several managers add up: each caches objects of its
// own (Config.ObjectSelector).
var objects = &objectCollector{sources: map[*objectMetrics]struct{}{}}

func init() {
	metrics.Registry.MustRegister(objects)
}

type objectCollector struct {
	mu      sync.Mutex
	sources map[*objectMetrics]struct{}
}

// objectMetrics is one manager's contribution, added to the manager as a runnable.
type objectMetrics struct {
	reader     client.Reader
	kinds      []Kind
	writeQPS   float64
	writeBurst int
}

// newObjectMetrics reports the objects that reader (the manager's cache) holds and the write
// limit of cfg (after withDefaults).
func newObjectMetrics(reader client.Reader, cfg Config) *objectMetrics {
	return &objectMetrics{reader: reader, kinds: Kinds, writeQPS: cfg.GraphWriteQPS, writeBurst: cfg.GraphWriteBurst}
}

// NeedLeaderElection: only the leader runs the controllers, so only its cache is sure to hold
// the request objects. A standby that counted them would have to start informers of its own —
// a full list and watch of every request object — just to be scraped.
func (m *objectMetrics) NeedLeaderElection() bool { return true }

// Start reports the manager's objects until ctx ends.
func (m *objectMetrics) Start(ctx context.Context) error {
	objects.mu.Lock()
	objects.sources[m] = struct{}{}
	objects.mu.Unlock()
	<-ctx.Done()
	objects.mu.Lock()
	delete(objects.sources, m)
	objects.mu.Unlock()
	return nil
}

func (c *objectCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- objectsDesc
	ch <- cachedObjectsDesc
	ch <- writeLimitQPSDesc
	ch <- writeLimitBurstDesc
}

type objectKey struct{ kind, condition, status, reason string }

func (c *objectCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	sources := make([]*objectMetrics, 0, len(c.sources))
	for s := range c.sources {
		sources = append(sources, s)
	}
	c.mu.Unlock()
	if len(sources) == 0 {
		return // not leading (yet): the leader reports
	}

	byCondition := map[objectKey]int{}
	cached := map[string]int{}
	var qps float64
	var burst int
	for _, s := range sources {
		qps += s.writeQPS
		burst += s.writeBurst
		for _, k := range s.kinds {
			n, err := s.count(k, byCondition)
			if err != nil {
				// Leave this kind out rather than fail the scrape: controller-runtime's handler
				// answers 500 for the whole registry when one collector reports an error.
				ctrl.Log.WithName("objectmetrics").Error(err, "reading the cache for pim_operator_objects", "kind", k.Name)
				continue
			}
			cached[k.Name] += n
		}
	}
	for kind, n := range cached {
		ch <- prometheus.MustNewConstMetric(cachedObjectsDesc, prometheus.GaugeValue, float64(n), kind)
	}
	for key, n := range byCondition {
		ch <- prometheus.MustNewConstMetric(objectsDesc, prometheus.GaugeValue, float64(n),
			key.kind, key.condition, key.status, key.reason)
	}
	ch <- prometheus.MustNewConstMetric(writeLimitQPSDesc, prometheus.GaugeValue, qps)
	ch <- prometheus.MustNewConstMetric(writeLimitBurstDesc, prometheus.GaugeValue, float64(burst))
}

// count adds the conditions of the kind's cached objects to byCondition and returns how many
// objects there are. Nothing is counted when the read fails, so a scrape never shows a partial
// count as if it were the whole.
func (m *objectMetrics) count(k Kind, byCondition map[objectKey]int) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), objectMetricsListTimeout)
	defer cancel()
	list := k.NewList()
	// Read-only: the objects are not copied out of the cache, which keeps a scrape of 10,000
	// objects from allocating 10,000 copies.
	if err := m.reader.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		return 0, err
	}
	local := map[objectKey]int{}
	n := 0
	err := meta.EachListItem(list, func(o runtime.Object) error {
		obj, ok := o.(Object)
		if !ok {
			return nil
		}
		n++
		for _, c := range obj.GetRequestStatus().Conditions {
			local[objectKey{k.Name, c.Type, string(c.Status), c.Reason}]++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for key, v := range local {
		byCondition[key] += v
	}
	return n, nil
}
