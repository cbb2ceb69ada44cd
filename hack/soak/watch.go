package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// objView is what the soak reads of an object: the fields the checks need, decoded from the
// API server's JSON into the soak's own struct (so the soak does not depend on the Go types
// of an API under change).
type objView struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name              string            `json:"name"`
		Namespace         string            `json:"namespace"`
		UID               string            `json:"uid"`
		Generation        int64             `json:"generation"`
		DeletionTimestamp *metav1.Time      `json:"deletionTimestamp"`
		Finalizers        []string          `json:"finalizers"`
		Annotations       map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		Cancelled      bool   `json:"cancelled"`
		DeletionPolicy string `json:"deletionPolicy"`
	} `json:"spec"`
	Status struct {
		RequestID          string             `json:"requestId"`
		TargetScheduleID   string             `json:"targetScheduleId"`
		GraphStatus        string             `json:"graphStatus"`
		RemovalRequestID   string             `json:"removalRequestId"`
		RemovalStatus      string             `json:"removalStatus"`
		DeletionPolicy     string             `json:"deletionPolicy"`
		ObservedGeneration int64              `json:"observedGeneration"`
		Conditions         []metav1.Condition `json:"conditions"`
	} `json:"status"`
	// Kstatus is what kstatus (Flux, kubectl wait, cli-utils) computes for the object.
	Kstatus string `json:"-"`
}

func decodeView(u *unstructured.Unstructured) (objView, error) {
	var v objView
	if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &v); err != nil {
		return v, err
	}
	v.Kind = u.GetKind()
	res, err := kstatus.Compute(u)
	if err != nil {
		v.Kstatus = "Unknown (" + err.Error() + ")"
	} else {
		v.Kstatus = string(res.Status)
	}
	return v, nil
}

func (v objView) cond(t string) *metav1.Condition {
	return meta.FindStatusCondition(v.Status.Conditions, t)
}

func (v objView) isTrue(t string) bool { return meta.IsStatusConditionTrue(v.Status.Conditions, t) }

// condSummary is the conditions as one line each: Type=Status/Reason: message.
func (v objView) condSummary() []string {
	var out []string
	for _, c := range v.Status.Conditions {
		out = append(out, fmt.Sprintf("%s=%s/%s: %s", c.Type, c.Status, c.Reason, c.Message))
	}
	return out
}

func viewKey(kind, ns, name string) string { return kind + " " + ns + "/" + name }

// histEntry is one change of what kstatus says about an object, as the watch saw it.
type histEntry struct {
	At            time.Time
	Kstatus       string
	StalledReason string
	Generation    int64
	Deleting      bool
}

// watcher follows every object of the soak's namespaces through its own informers (not the
// managers'): the latest view of each, the history of its kstatus, and a count of updates.
type watcher struct {
	mu      sync.Mutex
	views   map[string]objView
	history map[string][]histEntry
	updates atomic.Int64
	stopped context.CancelFunc
}

func startWatcher(ctx context.Context, cfg *rest.Config, namespaces []string) (*watcher, error) {
	nss := map[string]cache.Config{}
	for _, n := range namespaces {
		nss[n] = cache.Config{}
	}
	c, err := cache.New(cfg, cache.Options{DefaultNamespaces: nss})
	if err != nil {
		return nil, err
	}
	w := &watcher{views: map[string]objView{}, history: map[string][]histEntry{}}
	for _, kind := range []string{kindAssignment, kindEligibility} {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk(kind))
		inf, err := c.GetInformer(ctx, u)
		if err != nil {
			return nil, err
		}
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { w.seen(obj, false) },
			UpdateFunc: func(_, obj any) { w.updates.Add(1); w.seen(obj, false) },
			DeleteFunc: func(obj any) {
				if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
					obj = d.Obj
				}
				w.seen(obj, true)
			},
		}); err != nil {
			return nil, err
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	w.stopped = cancel
	go func() { _ = c.Start(cctx) }()
	syncCtx, syncCancel := context.WithTimeout(ctx, 2*time.Minute)
	defer syncCancel()
	if !c.WaitForCacheSync(syncCtx) {
		cancel()
		return nil, fmt.Errorf("the soak's watch did not sync")
	}
	return w, nil
}

func (w *watcher) stop() { w.stopped() }

func (w *watcher) seen(obj any, deleted bool) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	v, err := decodeView(u)
	if err != nil {
		return
	}
	key := viewKey(v.Kind, v.Metadata.Namespace, v.Metadata.Name)
	w.mu.Lock()
	defer w.mu.Unlock()
	if deleted {
		delete(w.views, key)
		w.history[key] = append(w.history[key], histEntry{At: time.Now(), Kstatus: "Gone", Generation: v.Metadata.Generation, Deleting: true})
		return
	}
	w.views[key] = v
	e := histEntry{At: time.Now(), Kstatus: v.Kstatus, Generation: v.Metadata.Generation, Deleting: v.Metadata.DeletionTimestamp != nil}
	if c := v.cond("Stalled"); c != nil && c.Status == metav1.ConditionTrue {
		e.StalledReason = c.Reason
	}
	h := w.history[key]
	if n := len(h); n > 0 && h[n-1].Kstatus == e.Kstatus && h[n-1].StalledReason == e.StalledReason &&
		h[n-1].Generation == e.Generation && h[n-1].Deleting == e.Deleting {
		return
	}
	w.history[key] = append(h, e)
}

func (w *watcher) view(kind, ns, name string) (objView, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	v, ok := w.views[viewKey(kind, ns, name)]
	return v, ok
}

func (w *watcher) historyOf(key string) []histEntry {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]histEntry(nil), w.history[key]...)
}

// stalledFlaps are the objects whose Stalled condition went away and came back with the same
// reason while nothing about the object changed (same generation, not being deleted): kstatus
// flapping between Failed and InProgress, which DESIGN §4b forbids.
func stalledFlaps(h []histEntry) int {
	flaps := 0
	for i := 0; i < len(h); i++ {
		if h[i].StalledReason == "" {
			continue
		}
		for j := i + 1; j < len(h); j++ {
			if h[j].Generation != h[i].Generation || h[j].Deleting != h[i].Deleting {
				break
			}
			if h[j].StalledReason == "" {
				continue
			}
			if h[j].StalledReason == h[i].StalledReason && j > i+1 {
				flaps++
			}
			break
		}
	}
	return flaps
}
