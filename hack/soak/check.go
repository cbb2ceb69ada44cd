package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// The checks: pure functions of what the driver did (records), what the API server holds
// (views, by viewKey) and what Graph holds (the emulator's requests and schedules).

// finding is one object that fails a check, with what the soak knows about it.
type finding struct {
	Check  string
	Key    string // kind namespace/name
	UID    string
	Detail string
	// Conditions are the object's conditions as the API server had them (none when gone).
	Conditions []string
	// Principal and RequestIDs select the Graph calls that concern the object.
	Principal  string
	RequestIDs []string
}

// evaluation is the outcome of the checks at one moment.
type evaluation struct {
	Duplicates, Orphaned, LostRevocations, NotConverged, Ownership []finding
	// LeftByOrphan counts the live access that deleted objects with deletionPolicy Orphan left
	// in place, as asked; Live counts the live access objects hold as they should.
	LeftByOrphan, Live int
	// NeverCreated counts planned objects the driver did not create (see record.Skipped).
	NeverCreated int
}

func (e evaluation) converged() bool {
	return len(e.Orphaned) == 0 && len(e.LostRevocations) == 0 && len(e.NotConverged) == 0
}

// markerRE reads the object UID out of the marker the operator appends to every justification
// (internal/pim.Marker: "[pim-operator.dev <namespace>/<name> uid=<uid>]").
var markerRE = regexp.MustCompile(`\[pim-operator\.dev [^\]]* uid=([0-9a-fA-F-]{36})\]`)

func markerUID(justification string) string {
	m := markerRE.FindAllStringSubmatch(justification, -1)
	if len(m) == 0 {
		return ""
	}
	return strings.ToLower(m[len(m)-1][1])
}

const actionAdminAssign, actionAdminRemove = "adminAssign", "adminRemove"

// graphIndex is the emulator's state indexed the ways the checks look it up.
type graphIndex struct {
	reqByID map[string]emuRequest
	// assigns and removals are the adminAssign and adminRemove requests by the UID in their marker.
	assigns, removals map[string][]emuRequest
}

func indexGraph(gs graphState) graphIndex {
	ix := graphIndex{reqByID: map[string]emuRequest{}, assigns: map[string][]emuRequest{}, removals: map[string][]emuRequest{}}
	for _, r := range gs.Requests {
		ix.reqByID[strings.ToLower(r.ID)] = r
		uid := markerUID(r.Justification)
		switch {
		case uid == "":
		case strings.EqualFold(r.Action, actionAdminAssign):
			ix.assigns[uid] = append(ix.assigns[uid], r)
		case strings.EqualFold(r.Action, actionAdminRemove):
			ix.removals[uid] = append(ix.removals[uid], r)
		}
	}
	return ix
}

// evaluate runs every check. now decides whether a start in the future has come.
func evaluate(records []record, views map[string]objView, gs graphState, now time.Time) evaluation {
	var ev evaluation
	ix := indexGraph(gs)
	byUID := map[string]*record{}
	for i := range records {
		if records[i].UID != "" {
			byUID[strings.ToLower(records[i].UID)] = &records[i]
		}
	}
	newFinding := func(check string, r *record, detail string) finding {
		f := finding{Check: check, Key: r.key(), UID: r.UID, Detail: detail, Principal: r.Principal}
		if v, ok := views[r.key()]; ok {
			f.Conditions = v.condSummary()
		}
		for _, q := range ix.assigns[strings.ToLower(r.UID)] {
			f.RequestIDs = append(f.RequestIDs, q.ID)
		}
		for _, q := range ix.removals[strings.ToLower(r.UID)] {
			f.RequestIDs = append(f.RequestIDs, q.ID)
		}
		return f
	}

	// Duplicates: more than one adminAssign applied for one object.
	for i := range records {
		r := &records[i]
		if qs := ix.assigns[strings.ToLower(r.UID)]; r.UID != "" && len(qs) > 1 {
			var parts []string
			for _, q := range qs {
				parts = append(parts, fmt.Sprintf("%s (%s, created %s)", q.ID, q.Status, q.CreatedDateTime.Format(time.RFC3339Nano)))
			}
			ev.Duplicates = append(ev.Duplicates, newFinding("duplicate create", r,
				fmt.Sprintf("%d adminAssign requests carry this object's marker: %s", len(qs), strings.Join(parts, "; "))))
		}
	}

	// Every live schedule must belong to an object that wants it.
	liveOf := map[string]bool{} // request id → its schedule is live
	for _, s := range gs.Schedules {
		if !s.live() {
			continue
		}
		liveOf[strings.ToLower(s.CreatedUsing)] = true
		req := ix.reqByID[strings.ToLower(s.CreatedUsing)]
		uid := markerUID(req.Justification)
		r := byUID[uid]
		what := fmt.Sprintf("live %s schedule %s (%s) for principal %s, created by request %s", s.Kind, s.ID, s.Status, s.PrincipalID, s.CreatedUsing)
		if r == nil {
			f := finding{Check: "orphaned access", Key: "(no object)", Principal: s.PrincipalID, RequestIDs: []string{s.CreatedUsing},
				Detail: what + ", whose marker names no object of the soak (uid " + orNone(uid) + ")"}
			ev.Orphaned = append(ev.Orphaned, f)
			continue
		}
		v, exists := views[r.key()]
		if exists && !strings.EqualFold(v.Metadata.UID, r.UID) {
			exists = false // a later object of the same name: not the one the marker names
		}
		switch {
		case !exists && r.Deleted.IsZero():
			ev.Orphaned = append(ev.Orphaned, newFinding("orphaned access", r, what+"; the object is gone though the soak never deleted it"))
		case !exists && r.Orphan && r.Cancelled.IsZero():
			ev.LeftByOrphan++
		case !exists:
			ev.LostRevocations = append(ev.LostRevocations, newFinding("lost revocation", r,
				fmt.Sprintf("deleted at %s (effective deletionPolicy Cancel%s), yet Graph still holds its access: %s",
					stamp(r.Deleted), cancelledNote(r), what)))
		case !r.Cancelled.IsZero():
			ev.LostRevocations = append(ev.LostRevocations, newFinding("lost revocation", r,
				fmt.Sprintf("spec.cancelled set at %s, yet Graph still holds its access: %s", stamp(r.Cancelled), what)))
		case !strings.EqualFold(v.Status.RequestID, s.CreatedUsing):
			ev.Orphaned = append(ev.Orphaned, newFinding("orphaned access", r,
				fmt.Sprintf("%s, which the object does not record (status.requestId %q)", what, v.Status.RequestID)))
		default:
			ev.Live++
		}
	}

	// Removals must end only the remover's own access.
	for _, s := range gs.Schedules {
		if s.live() || s.EndReason != "removed" {
			continue
		}
		owner := markerUID(ix.reqByID[strings.ToLower(s.CreatedUsing)].Justification)
		for uid, rms := range ix.removals {
			for _, rm := range rms {
				if rm.Kind != s.Kind || !strings.EqualFold(rm.PrincipalID, s.PrincipalID) || !strings.EqualFold(rm.GroupID, s.GroupID) ||
					rm.AccessID != s.AccessID || s.EndedDateTime == nil || absDur(rm.CreatedDateTime.Sub(*s.EndedDateTime)) > time.Second {
					continue
				}
				if uid == owner {
					continue
				}
				r := byUID[uid]
				if r == nil {
					continue
				}
				ownerKey := "no object of the soak"
				if o := byUID[owner]; o != nil {
					ownerKey = o.key()
				}
				ev.Ownership = append(ev.Ownership, newFinding("removed another object's access", r,
					fmt.Sprintf("adminRemove request %s ended schedule %s, which request %s created for %s", rm.ID, s.ID, s.CreatedUsing, ownerKey)))
			}
		}
	}

	// Every object must be where its spec says, as the API server shows it.
	for i := range records {
		r := &records[i]
		if r.Created.IsZero() {
			ev.NeverCreated++
			continue
		}
		v, exists := views[r.key()]
		if exists && !strings.EqualFold(v.Metadata.UID, r.UID) {
			exists = false
		}
		nc := func(detail string) { ev.NotConverged = append(ev.NotConverged, newFinding("not converged", r, detail)) }
		if !r.Deleted.IsZero() {
			if exists {
				nc(fmt.Sprintf("deleted at %s, still present (finalizers %v, kstatus %s)", stamp(r.Deleted), v.Metadata.Finalizers, v.Kstatus))
			}
			continue
		}
		if !exists {
			nc("gone, though the soak never deleted it")
			continue
		}
		if v.Status.ObservedGeneration != v.Metadata.Generation {
			nc(fmt.Sprintf("status.observedGeneration %d, generation %d", v.Status.ObservedGeneration, v.Metadata.Generation))
			continue
		}
		live := liveCondition(r.Kind)
		switch {
		case r.Denied && r.Cancelled.IsZero():
			if c := v.cond("Stalled"); c == nil || c.Status != "True" || c.Reason != "NotPermitted" || v.Kstatus != "Failed" {
				nc(fmt.Sprintf("no policy permits it: want Stalled=True/NotPermitted and kstatus Failed, have kstatus %s", v.Kstatus))
			}
		case !r.Cancelled.IsZero():
			// Denied or not: there is nothing, or nothing more, to end.
			if !v.isTrue("Cancelled") || !v.isTrue("Ready") || v.Kstatus != "Current" {
				nc(fmt.Sprintf("cancelled at %s: want Cancelled=True, Ready=True, kstatus Current; have kstatus %s", stamp(r.Cancelled), v.Kstatus))
			}
		default:
			var problems []string
			if v.Status.RequestID == "" {
				problems = append(problems, "no status.requestId")
			}
			if !v.isTrue("Ready") || v.Kstatus != "Current" {
				problems = append(problems, "want Ready=True and kstatus Current, have kstatus "+v.Kstatus)
			}
			if v.Status.RequestID != "" && !liveOf[strings.ToLower(v.Status.RequestID)] {
				problems = append(problems, fmt.Sprintf("Graph has no live schedule of its request %s", v.Status.RequestID))
			}
			started := r.Start == startNow || (r.Start == startSoon && now.After(r.StartAt.Add(5*time.Second)))
			switch c := v.cond(live); {
			case started && (c == nil || c.Status != "True"):
				problems = append(problems, fmt.Sprintf("its access has started (%s): want %s=True", r.Start, live))
			case r.Start == startFar && (c == nil || c.Status != "False" || c.Reason != "NotStarted"):
				problems = append(problems, fmt.Sprintf("its access starts at %s: want %s=False/NotStarted", stamp(r.StartAt), live))
			}
			if len(problems) > 0 {
				nc(strings.Join(problems, "; "))
			}
		}
	}
	sortFindings(ev.Duplicates, ev.Orphaned, ev.LostRevocations, ev.NotConverged, ev.Ownership)
	return ev
}

func sortFindings(lists ...[]finding) {
	for _, l := range lists {
		sort.SliceStable(l, func(i, j int) bool { return l[i].Key < l[j].Key })
	}
}

func cancelledNote(r *record) string {
	switch {
	case !r.Cancelled.IsZero():
		return ", cancelled at " + stamp(r.Cancelled)
	case r.Orphan:
		return "" // unreachable: an Orphan deletion without cancel leaves access on purpose
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func stamp(t time.Time) string { return t.UTC().Format("15:04:05.000") }

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
