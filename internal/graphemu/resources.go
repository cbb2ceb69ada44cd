package graphemu

import (
	"reflect"
	"strings"
	"time"
)

// A resource is one of the six entity sets the emulator serves under
// /identityGovernance/privilegedAccess/group/: requests, schedules and instances, each for
// assignments and eligibilities. One list handler and one GET handler serve them all; what
// differs is which entities a set holds and how they look on the wire.
type resource struct {
	kind string
	// set is the URL segment, also the @odata.context name.
	set string
	// entity is the type's name without "microsoft.graph.", for messages.
	entity        string
	getOp, listOp string
	// filters are the $filter operators Graph documents per property (see filterRules).
	filters filterRules
	// wireType is the JSON type of one entity; its properties are the CSDL type's.
	wireType reflect.Type
	// find is the entity GET by id answers, or nil.
	find func(e *Emulator, id string) entity
	// all are the entities a filtered list may show now, oldest first.
	all func(e *Emulator, now time.Time) []entity
}

// An entity is one request, schedule or instance as a resource serves it.
type entity interface {
	// property is the value $filter compares, "" for null.
	property(name string) string
	wire(style wireStyle) any
}

// The $filter operators per property are those of each resource page's property table
// (Supports $filter: eq, ne, and "eq on null values" written here as null), plus the eq on
// principalId and groupId that every list page requires even where the table omits it.
var (
	requestFilters = filterRules{
		"createdBy": {"eq", "ne", "null"}, "id": {"eq", "ne"}, "principalId": {"eq", "ne"},
		"status": {"eq", "ne"}, "targetScheduleId": {"eq", "ne"}, "groupId": {"eq"},
	}
	eligibilityRequestFilters = filterRules{
		"createdBy": {"eq", "ne", "null"}, "id": {"eq", "ne"}, "status": {"eq", "ne"},
		"principalId": {"eq"}, "groupId": {"eq"},
	}
	scheduleFilters = filterRules{
		"accessId": {"eq"}, "assignmentType": {"eq"}, "createdUsing": {"eq", "ne", "null"}, "groupId": {"eq"},
		"id": {"eq", "ne"}, "memberType": {"eq"}, "principalId": {"eq"}, "status": {"eq", "ne"},
	}
	eligibilityScheduleFilters = filterRules{
		"accessId": {"eq"}, "createdUsing": {"eq", "ne", "null"}, "groupId": {"eq"},
		"id": {"eq", "ne"}, "memberType": {"eq"}, "principalId": {"eq"}, "status": {"eq", "ne"},
	}
	instanceFilters = filterRules{
		"accessId": {"eq"}, "assignmentScheduleId": {"eq", "ne"}, "assignmentType": {"eq"}, "groupId": {"eq"},
		"id": {"eq", "ne"}, "memberType": {"eq"}, "principalId": {"eq"},
	}
	eligibilityInstanceFilters = filterRules{
		"accessId": {"eq"}, "eligibilityScheduleId": {"eq", "ne"}, "groupId": {"eq"},
		"id": {"eq", "ne"}, "memberType": {"eq"}, "principalId": {"eq"},
	}
)

// resources are the entity sets, each under its URL segment.
var resources = []*resource{
	requestResource(KindAssignment, "assignmentScheduleRequests", requestFilters),
	requestResource(KindEligibility, "eligibilityScheduleRequests", eligibilityRequestFilters),
	scheduleResource(KindAssignment, "assignmentSchedules", "privilegedAccessGroupAssignmentSchedule",
		scheduleFilters, reflect.TypeFor[assignmentScheduleJSON]()),
	scheduleResource(KindEligibility, "eligibilitySchedules", "privilegedAccessGroupEligibilitySchedule",
		eligibilityScheduleFilters, reflect.TypeFor[scheduleJSON]()),
	instanceResource(KindAssignment, "assignmentScheduleInstances", "privilegedAccessGroupAssignmentScheduleInstance",
		instanceFilters, reflect.TypeFor[assignmentInstanceJSON]()),
	instanceResource(KindEligibility, "eligibilityScheduleInstances", "privilegedAccessGroupEligibilityScheduleInstance",
		eligibilityInstanceFilters, reflect.TypeFor[eligibilityInstanceJSON]()),
}

// resourceFor is the entity set a URL segment names; Graph's segments are case-insensitive.
func resourceFor(segment string) *resource {
	for _, r := range resources {
		if strings.EqualFold(r.set, segment) {
			return r
		}
	}
	return nil
}

// requestType is the request entity's name for kind.
func requestType(kind string) string {
	if kind == KindEligibility {
		return "privilegedAccessGroupEligibilityScheduleRequest"
	}
	return "privilegedAccessGroupAssignmentScheduleRequest"
}

func requestResource(kind, set string, filters filterRules) *resource {
	return &resource{
		kind: kind, set: set, entity: requestType(kind), getOp: OpGetRequest, listOp: OpListRequests,
		filters: filters, wireType: reflect.TypeFor[requestJSON](),
		find: func(e *Emulator, id string) entity {
			if rec := e.requestOfKindLocked(kind, id); rec != nil {
				return requestEntity{rec}
			}
			return nil
		},
		all: func(e *Emulator, now time.Time) []entity {
			var out []entity
			for _, id := range e.requestOrder {
				// A new request stays out of lists for ListLag: Graph's list is eventually consistent.
				if rec := e.requests[id]; rec != nil && rec.Kind == kind && !now.Before(rec.visibleAt) {
					out = append(out, requestEntity{rec})
				}
			}
			return out
		},
	}
}

// Schedules are served only while live: Provisioned, or Granted for a future start. Graph's
// v1.0 documentation describes the schedules as the assignments that exist (current and future
// ones) and documents no status for an ended schedule; once one is removed, expires or is
// cancelled, the emulator answers 404 for its id and leaves it out of lists. Schedules()
// still shows ended schedules, with EndedDateTime and EndReason.
func scheduleResource(kind, set, entityName string, filters filterRules, wire reflect.Type) *resource {
	return scheduleSet(kind, set, entityName, OpGetSchedule, OpListSchedules, filters, wire, false)
}

// Instances are the access in effect now: one per Provisioned schedule (recurrence is not
// modelled), none yet for a future start. An instance is a schedule seen that way.
func instanceResource(kind, set, entityName string, filters filterRules, wire reflect.Type) *resource {
	return scheduleSet(kind, set, entityName, OpGetInstance, OpListInstances, filters, wire, true)
}

func scheduleSet(kind, set, entityName, getOp, listOp string, filters filterRules, wire reflect.Type, instances bool) *resource {
	served := func(s *Schedule) bool {
		if instances {
			return s.Kind == kind && s.inEffect()
		}
		return s.Kind == kind && s.Live()
	}
	return &resource{
		kind: kind, set: set, entity: entityName, getOp: getOp, listOp: listOp,
		filters: filters, wireType: wire,
		find: func(e *Emulator, id string) entity {
			if instances {
				id = e.instanceSchedule[id]
			}
			if s := e.schedules[id]; s != nil && served(s) {
				return scheduleEntity{s, instances}
			}
			return nil
		},
		all: func(e *Emulator, _ time.Time) []entity {
			var out []entity
			for _, id := range e.scheduleOrder {
				if s := e.schedules[id]; served(s) {
					out = append(out, scheduleEntity{s, instances})
				}
			}
			return out
		},
	}
}

type requestEntity struct{ rec *requestRecord }

func (r requestEntity) property(name string) string {
	switch name {
	case "id":
		return r.rec.ID
	case "principalId":
		return r.rec.PrincipalID
	case "groupId":
		return r.rec.GroupID
	case "status":
		return r.rec.Status
	case "targetScheduleId":
		return r.rec.TargetScheduleID
	case "createdBy":
		// An identitySet compared with a string compares its identity's id.
		return r.rec.CreatedBy
	}
	return ""
}

func (r requestEntity) wire(wireStyle) any { return toRequestJSON(r.rec) }

// scheduleEntity is a schedule, or with instance its instance.
type scheduleEntity struct {
	s        *Schedule
	instance bool
}

func (se scheduleEntity) property(name string) string {
	s := se.s
	switch name {
	case "id":
		if se.instance {
			return s.InstanceID
		}
		return s.ID
	case "assignmentScheduleId", "eligibilityScheduleId":
		return s.ID
	case "createdUsing":
		return s.CreatedUsing
	case "status":
		return s.Status
	case "principalId":
		return s.PrincipalID
	case "groupId":
		return s.GroupID
	case "accessId":
		return s.AccessID
	case "memberType":
		return s.MemberType
	case "assignmentType":
		return s.AssignmentType
	}
	return ""
}

func (se scheduleEntity) wire(style wireStyle) any {
	if se.instance {
		return style.instance(se.s)
	}
	return style.schedule(se.s)
}
