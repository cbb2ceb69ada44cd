package graph

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pim-operator/pim-operator/internal/graphdocs"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// The client against Microsoft's documented answers (internal/graphdocs): every example of an
// endpoint the operator uses is decoded, and its expected pim value is read from the
// example's own JSON, so a new fixture is checked without a code change.

// notDecoded are the examples the decoding table skips, by file name, with the reason.
var notDecoded = map[string]string{
	"privilegedaccessgroupassignmentschedulerequest-cancel.example1":  "cancel answers 204 No Content: nothing to decode (the client test replays it)",
	"privilegedaccessgroupeligibilityschedulerequest-cancel.example1": "cancel answers 204 No Content: nothing to decode (the client test replays it)",

	"privilegedaccessgroupassignmentschedulerequest-filterbycurrentuser.example1":   byCurrentUser,
	"privilegedaccessgroupeligibilityschedulerequest-filterbycurrentuser.example1":  byCurrentUser,
	"privilegedaccessgroupassignmentschedule-filterbycurrentuser.example1":          byCurrentUser,
	"privilegedaccessgroupeligibilityschedule-filterbycurrentuser.example1":         byCurrentUser,
	"privilegedaccessgroupeligibilityschedule-filterbycurrentuser.example2":         byCurrentUser,
	"privilegedaccessgroupassignmentscheduleinstance-filterbycurrentuser.example1":  byCurrentUser,
	"privilegedaccessgroupeligibilityscheduleinstance-filterbycurrentuser.example1": byCurrentUser,
}

const byCurrentUser = "filterByCurrentUser is the signed-in user's view; the operator is an application and lists by $filter"

// examplePath is an endpoint of PIM for Groups: kind, collection, item id, cancel.
var examplePath = regexp.MustCompile(`^/identityGovernance/privilegedAccess/group/(assignment|eligibility)(ScheduleRequests|Schedules|ScheduleInstances)(?:/([^/?]+))?(/cancel)?(?:\?.*)?$`)

// policyPath is an endpoint of the role management policies behind a group's PIM settings:
// the set, a policy's id, its rules.
var policyPath = regexp.MustCompile(`^/policies/(roleManagementPolicyAssignments|roleManagementPolicies)(?:/([^/?]+))?(/rules)?(?:\?.*)?$`)

// The policy collections, as documented.collection names them.
const (
	policyAssignments = "roleManagementPolicyAssignments"
	policySet         = "roleManagementPolicies"
	policyRules       = "rules"
)

// documented is an example of an endpoint the client decodes.
type documented struct {
	graphdocs.Example
	kind       pim.Kind
	collection string // ScheduleRequests, Schedules, ScheduleInstances, or one of the policy collections
	id         string // the item's id; "" for the collection
	cancel     bool
	list       bool
	policy     bool // a role management policy endpoint
}

// documentedExamples sorts the examples into the ones the client decodes and the ones on the
// skip list; one that is neither fails the test.
func documentedExamples(t *testing.T) (decoded []documented, skipped map[string]documented) {
	t.Helper()
	exs, err := graphdocs.Examples()
	if err != nil {
		t.Fatal(err)
	}
	skipped = map[string]documented{}
	for _, ex := range exs {
		d := documented{Example: ex}
		m := examplePath.FindStringSubmatch(ex.Request.Path)
		if m != nil {
			d.kind, d.collection, d.id, d.cancel = pim.Kind(m[1]), m[2], m[3], m[4] != ""
			_, d.list = ex.Response.Collection()
		}
		if pm := policyPath.FindStringSubmatch(ex.Request.Path); pm != nil {
			m, d.policy, d.collection, d.id = pm, true, pm[1], pm[2]
			if pm[3] != "" {
				d.collection = policyRules
			}
			_, d.list = ex.Response.Collection()
		}
		if _, ok := notDecoded[ex.File]; ok {
			skipped[ex.File] = d
			continue
		}
		if m == nil {
			t.Errorf("%s (%s %s) is neither decoded nor on the skip list", ex.File, ex.Request.Method, ex.Request.Path)
			continue
		}
		decoded = append(decoded, d)
	}
	for name := range notDecoded {
		if _, ok := skipped[name]; !ok {
			t.Errorf("the skip list names %s, which is no example", name)
		}
	}
	return decoded, skipped
}

// fixtureEntities are the entities of the example's body as plain JSON: the one entity, or
// the list's values. The eligibility instance GET example wraps its entity in "value" (and
// names its schedule memberEligibilityScheduleId, which is not in the CSDL); the client
// unwraps it, so the expectation does too.
func fixtureEntities(t *testing.T, d documented) []map[string]any {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(d.Response.BodyJSON(), &body); err != nil {
		t.Fatalf("fixture body: %v", err)
	}
	if !d.list {
		if inner, ok := body["value"].(map[string]any); ok {
			return []map[string]any{inner}
		}
		return []map[string]any{body}
	}
	var out []map[string]any
	for _, v := range body["value"].([]any) {
		out = append(out, v.(map[string]any))
	}
	return out
}

// decodeDocumented decodes the example's body as the client does, into pim values.
func decodeDocumented(d documented) ([]any, error) {
	body := d.Response.BodyJSON()
	var out []any
	switch d.collection {
	case policyAssignments:
		ws, err := decodeDocumentedAs[wirePolicyAssignment](d.list, body)
		for _, w := range ws {
			out = append(out, w.groupPolicy())
		}
		return out, err
	case policySet:
		ws, err := decodeDocumentedAs[wirePolicy](d.list, body)
		for _, w := range ws {
			out = append(out, w.groupPolicy())
		}
		return out, err
	case policyRules:
		// The rules of one policy: what they say together.
		ws, err := decodeDocumentedAs[wirePolicyRule](d.list, body)
		var p pim.GroupPolicy
		p.Assignment, p.Eligibility = levelRules(ws)
		return []any{p}, err
	}
	if d.collection == "ScheduleRequests" {
		ws, err := decodeDocumentedAs[wireRequest](d.list, body)
		for _, w := range ws {
			out = append(out, w.request())
		}
		return out, err
	}
	ws, err := decodeDocumentedAs[wireAccess](d.list, body)
	for _, w := range ws {
		out = append(out, w.schedule())
	}
	return out, err
}

func decodeDocumentedAs[T any](list bool, body []byte) ([]*T, error) {
	if list {
		p, err := decodePage[T]("value", body)
		if err != nil {
			return nil, err
		}
		return p.Value, nil
	}
	w, err := decodeEntity[T]("entity", body)
	return []*T{w}, err
}

func TestDocumentedAnswersDecode(t *testing.T) {
	schema, err := graphdocs.LoadSchema()
	if err != nil {
		t.Fatal(err)
	}
	decoded, skipped := documentedExamples(t)
	for name := range skipped {
		t.Run(name, func(t *testing.T) { t.Skip(notDecoded[name]) })
	}
	for _, d := range decoded {
		t.Run(d.File, func(t *testing.T) {
			if d.Response.Lenient() {
				t.Logf("published body is not JSON (%s); decoding its lenient form", d.Response.BodyJSONError)
			}
			got, err := decodeDocumented(d)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			fxs := fixtureEntities(t, d)
			if d.collection == policyRules {
				fxs = []map[string]any{{"rules": anySlice(fxs)}}
			}
			if len(got) != len(fxs) || len(got) == 0 {
				t.Fatalf("decoded %d entities, the fixture has %d", len(got), len(fxs))
			}
			for i, fx := range fxs {
				sameJSON(t, got[i], expected(t, schema, d, fx))
			}
		})
	}
}

// expected is the pim value a fixture entity stands for, read from its JSON.
func expected(t *testing.T, schema *graphdocs.Schema, d documented, fx map[string]any) any {
	x := fixture{t: t, schema: schema, m: fx}
	if d.policy {
		return x.groupPolicy()
	}
	tr := pim.Triple{PrincipalID: x.str("principalId"), GroupID: x.str("groupId"),
		AccessID: pim.AccessID(x.enum("privilegedAccessGroupRelationships", "accessId"))}
	created := x.time("createdDateTime")
	if d.collection == "ScheduleRequests" {
		r := pim.Request{ID: x.str("id"), Status: pim.Status(x.str("status")), Action: pim.Action(x.enum("scheduleRequestActions", "action")),
			Triple: tr, TargetScheduleID: x.str("targetScheduleId"), Justification: x.str("justification"),
			Created: created, Completed: x.time("completedDateTime")}
		if ti := x.sub("ticketInfo"); ti.str("ticketNumber") != "" || ti.str("ticketSystem") != "" {
			r.Ticket = &pim.Ticket{System: ti.str("ticketSystem"), Number: ti.str("ticketNumber")}
		}
		r.Schedule, r.Start, r.End = x.sub("scheduleInfo").window(created)
		return r
	}
	s := pim.Schedule{ID: x.str("id"), Status: pim.Status(x.str("status")), Triple: tr, CreatedUsing: x.str("createdUsing"), Created: created,
		MemberType:     pim.MemberType(x.enum("privilegedAccessGroupMemberType", "memberType")),
		AssignmentType: pim.AssignmentType(x.enum("privilegedAccessGroupAssignmentType", "assignmentType"))}
	if d.collection == "ScheduleInstances" {
		s.Start, s.End = x.time("startDateTime"), x.time("endDateTime")
	} else {
		_, s.Start, s.End = x.sub("scheduleInfo").window(created)
	}
	return s
}

// fixture reads a fixture's JSON object; a missing or null property reads as zero.
type fixture struct {
	t      *testing.T
	schema *graphdocs.Schema
	m      map[string]any
}

func (x fixture) str(key string) string {
	s, _ := x.m[key].(string)
	return s
}

func (x fixture) sub(key string) fixture {
	m, _ := x.m[key].(map[string]any)
	return fixture{t: x.t, schema: x.schema, m: m}
}

// enum is the CSDL member that the fixture's value spells, in any case.
func (x fixture) enum(enumType, key string) string {
	v := x.str(key)
	if v == "" {
		return ""
	}
	names := x.schema.EnumTypes["microsoft.graph."+enumType].Names()
	if i := slices.IndexFunc(names, func(n string) bool { return strings.EqualFold(n, v) }); i >= 0 {
		return names[i]
	}
	x.t.Errorf("%s %q is no member of %s %v", key, v, enumType, names)
	return v
}

// time reads a DateTimeOffset; every fixture time has a zone.
func (x fixture) time(key string) *time.Time {
	v := x.str(key)
	if v == "" {
		return nil
	}
	tm, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		x.t.Fatalf("fixture %s: %v", key, err)
	}
	tm = tm.UTC()
	return &tm
}

// window is the scheduleInfo's start and end by the rules of pim.Request: no start means the
// creation time; the end is endDateTime, or start + duration, none for noExpiration.
func (x fixture) window(created *time.Time) (info pim.ScheduleInfo, start, end *time.Time) {
	start = created
	if x.m == nil {
		return info, start, nil
	}
	if s := x.time("startDateTime"); s != nil {
		info.Start, start = s, s
	}
	exp := x.sub("expiration")
	if exp.m == nil {
		return info, start, nil
	}
	info.Expiration.Type = pim.ExpirationType(exp.enum("expirationPatternType", "type"))
	info.Expiration.EndDateTime = exp.time("endDateTime")
	if d := exp.str("duration"); d != "" {
		// The fixtures' durations are all PTnH; time.ParseDuration reads their time part.
		dur, err := time.ParseDuration(strings.ToLower(strings.TrimPrefix(d, "PT")))
		if err != nil || !strings.HasPrefix(d, "PT") {
			x.t.Fatalf("fixture duration %q: extend the test's reading of durations", d)
		}
		info.Expiration.Duration = dur
	}
	switch {
	case info.Expiration.Type == pim.ExpirationNone:
	case info.Expiration.EndDateTime != nil:
		end = info.Expiration.EndDateTime
	case info.Expiration.Duration > 0 && start != nil:
		end = ptr(start.Add(info.Expiration.Duration))
	}
	return info, start, end
}

// sameJSON compares two pim values by their JSON, in which times are UTC instants.
func sameJSON(t *testing.T, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("decoded\n  %s\nwant (from the fixture)\n  %s", g, w)
	}
}

// The whole client path on the documented answers: the SDK's builders, the adapter, the
// middleware and the decoding, against a server that replays each example's status and body
// and checks that the client asked for the documented method and path.
func TestDocumentedAnswersThroughTheClient(t *testing.T) {
	schema, err := graphdocs.LoadSchema()
	if err != nil {
		t.Fatal(err)
	}
	decoded, skipped := documentedExamples(t)
	for _, d := range skipped {
		if d.cancel {
			decoded = append(decoded, d)
		}
	}
	covered := map[string]bool{}
	for _, d := range decoded {
		if d.collection == "ScheduleInstances" || d.policy {
			continue // no operation of the client reads instances; the policy read has its own test
		}
		t.Run(d.File, func(t *testing.T) {
			rec := newRecorder(t, func(_ int, r *http.Request, w http.ResponseWriter) {
				if want := "/v1.0" + strings.SplitN(d.Request.Path, "?", 2)[0]; r.Method != d.Request.Method || r.URL.Path != want {
					t.Errorf("client sent %s %s, the example %s %s", r.Method, r.URL.Path, d.Request.Method, want)
				}
				for k, v := range d.Response.Headers {
					w.Header().Set(k, v)
				}
				w.WriteHeader(d.Response.Status)
				_, _ = w.Write(d.Response.BodyJSON())
			})
			c := newTestClient(t, rec.baseURL()).For(d.kind)
			for op, got := range replay(t, c, d) {
				covered[string(d.kind)+" "+op] = true
				if d.cancel {
					continue // 204 No Content, and no error
				}
				var want []any
				for _, fx := range fixtureEntities(t, d) {
					want = append(want, expected(t, schema, d, fx))
				}
				if op == OpFindLiveSchedules {
					want = live(want)
				}
				sameJSON(t, got, want)
			}
		})
	}
	for _, k := range pim.Kinds() {
		for _, op := range []string{OpCreateRequest, OpRemoveAccess, OpGetRequest, OpFindRequests, OpCancelRequest, OpGetSchedule, OpFindLiveSchedules} {
			if !covered[string(k)+" "+op] {
				t.Errorf("no documented example replayed for %s %s", k, op)
			}
		}
	}
}

// replay calls the operations that the example documents and returns what each gave.
func replay(t *testing.T, c pim.Client, d documented) map[string][]any {
	ctx := ctxT(t)
	triple := pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: pim.AccessMember}
	out := map[string][]any{}
	record := func(op string, v any, err error) {
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		out[op] = nil
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice {
			for i := range rv.Len() {
				out[op] = append(out[op], rv.Index(i).Interface())
			}
			return
		}
		if v != nil {
			out[op] = append(out[op], reflect.ValueOf(v).Elem().Interface())
		}
	}
	switch {
	case d.cancel:
		record(OpCancelRequest, nil, c.Cancel(ctx, d.id))
	case d.Request.Method == http.MethodPost:
		r, err := c.Assign(ctx, pim.CreateInput{Triple: triple, Schedule: pim.ScheduleInfo{Expiration: pim.Expiration{Type: pim.ExpirationNone}}})
		record(OpCreateRequest, r, err)
		r, err = c.Remove(ctx, triple, "j")
		record(OpRemoveAccess, r, err)
	case d.collection == "ScheduleRequests" && d.id != "":
		r, err := c.GetRequest(ctx, d.id)
		record(OpGetRequest, r, err)
	case d.collection == "ScheduleRequests":
		rs, err := c.FindRequests(ctx, testPrincipal, testGroup)
		record(OpFindRequests, rs, err)
	case d.id != "":
		s, err := c.GetSchedule(ctx, d.id)
		record(OpGetSchedule, s, err)
	default:
		ss, err := c.FindLiveSchedules(ctx, triple)
		record(OpFindLiveSchedules, ss, err)
	}
	return out
}

// live is FindLiveSchedules' rule applied to the expected schedules: member access, not
// ended, newest first.
func live(all []any) []any {
	var out []any
	for _, v := range all {
		if s := v.(pim.Schedule); s.Triple.AccessID == pim.AccessMember && !slices.Contains([]pim.Status{"Canceled", "Denied", "Failed", "Revoked", "Expired"}, s.Status) {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b any) int { return created(b.(pim.Schedule)).Compare(created(a.(pim.Schedule))) })
	return out
}

// The wire types name only properties that the CSDL declares: a misspelt tag would silently
// read as absent.
func TestWirePropertiesAreInTheCSDL(t *testing.T) {
	schema, err := graphdocs.LoadSchema()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		v     any
		types []string
	}{
		{wireRequest{}, []string{"privilegedAccessGroupAssignmentScheduleRequest", "privilegedAccessGroupEligibilityScheduleRequest"}},
		{wireAccess{}, []string{"privilegedAccessGroupAssignmentSchedule", "privilegedAccessGroupEligibilitySchedule",
			"privilegedAccessGroupAssignmentScheduleInstance", "privilegedAccessGroupEligibilityScheduleInstance"}},
		{wireSchedule{}, []string{"requestSchedule"}},
		{wireExpiration{}, []string{"expirationPattern"}},
		{wireTicket{}, []string{"ticketInfo"}},
		{wirePolicyAssignment{}, []string{"unifiedRoleManagementPolicyAssignment"}},
		{wirePolicy{}, []string{"unifiedRoleManagementPolicy"}},
		{wirePolicyRule{}, []string{"unifiedRoleManagementPolicyExpirationRule", "unifiedRoleManagementPolicyEnablementRule"}},
		{wireRuleTarget{}, []string{"unifiedRoleManagementPolicyRuleTarget"}},
	} {
		typ := reflect.TypeOf(tc.v)
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if strings.HasPrefix(name, "@odata.") {
				continue // an annotation, not a property
			}
			declared := false
			for _, et := range tc.types {
				props := schema.PropertyNames("microsoft.graph." + et)
				if len(props) == 0 {
					t.Fatalf("%s is not in the schema", et)
				}
				// A relationship (policy, rules) is a property of the answer when expanded.
				declared = declared || slices.Contains(props, name) || schema.NavigationType("microsoft.graph."+et, name) != ""
			}
			if !declared {
				t.Errorf("%s.%s: %q is a property of none of %v", typ.Name(), typ.Field(i).Name, name, tc.types)
			}
		}
	}
}
