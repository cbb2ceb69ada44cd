package graphemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pim-operator/pim-operator/internal/graphdocs"
)

// skippedExamples are the documented examples of operations the emulator does not model, by
// name, with why. TestSkippedExamplesAreExactlyTheUnmodelledOnes keeps this list honest.
var skippedExamples = map[string]string{
	"privilegedaccessgroup-list-eligibilityschedulerequests.example2":               "$select is not modelled",
	"privilegedaccessgroup-list-eligibilityschedules.example2":                      "$select is not modelled",
	"privilegedaccessgroupeligibilityschedulerequest-get.example2":                  "$select is not modelled",
	"privilegedaccessgroup-post-assignmentschedulerequests.example2":                "selfActivate needs a signed-in user; a user's activation is seeded with SeedActivation",
	"privilegedaccessgroup-post-eligibilityschedulerequests.example2":               "adminExtend is not modelled (the operator assigns and removes only)",
	"privilegedaccessgroupassignmentschedule-filterbycurrentuser.example1":          "filterByCurrentUser needs a signed-in user",
	"privilegedaccessgroupassignmentscheduleinstance-filterbycurrentuser.example1":  "filterByCurrentUser needs a signed-in user",
	"privilegedaccessgroupassignmentschedulerequest-filterbycurrentuser.example1":   "filterByCurrentUser needs a signed-in user",
	"privilegedaccessgroupeligibilityschedule-filterbycurrentuser.example1":         "filterByCurrentUser needs a signed-in user",
	"privilegedaccessgroupeligibilityschedule-filterbycurrentuser.example2":         "filterByCurrentUser needs a signed-in user",
	"privilegedaccessgroupeligibilityscheduleinstance-filterbycurrentuser.example1": "filterByCurrentUser needs a signed-in user",
	"privilegedaccessgroupeligibilityschedulerequest-filterbycurrentuser.example1":  "filterByCurrentUser needs a signed-in user",
	"unifiedrolemanagementpolicy-get.example1":                                      "a directory-scoped policy, not PIM for Groups",
}

// TestConformanceWithDocumentedExamples replays every documented request the emulator models
// against it, after seeding the state the example shows, and holds the answer to the
// documented status code, to the CSDL's property sets (nested complex types included), enum
// spellings and property types, to the documented status strings, and to the entities the
// documentation answers (the same triples, actions and statuses). Ids and times in the
// examples are illustrative: the example's ids are mapped to the emulator's.
func TestConformanceWithDocumentedExamples(t *testing.T) {
	schema := loadSchema(t)
	for _, ex := range loadExamples(t) {
		t.Run(ex.File, func(t *testing.T) {
			if why, ok := skippedExamples[ex.File]; ok {
				t.Skip(why)
			}
			replayExample(t, schema, ex)
		})
	}
}

// TestSkippedExamplesAreExactlyTheUnmodelledOnes fails when an example of an operation the
// emulator models is skipped, or when an example is neither run nor skipped. Whether an
// operation is modelled is the emulator's own routing's answer, not this file's.
func TestSkippedExamplesAreExactlyTheUnmodelledOnes(t *testing.T) {
	seen := map[string]bool{}
	for _, ex := range loadExamples(t) {
		seen[ex.File] = true
		why := unmodelledBecause(ex)
		_, skipped := skippedExamples[ex.File]
		switch {
		case why == "" && skipped:
			t.Errorf("%s is skipped, yet the emulator models %s %s", ex.File, ex.Request.Method, ex.Request.Path)
		case why != "" && !skipped:
			t.Errorf("%s is neither run nor skipped: the emulator does not model it (%s)", ex.File, why)
		}
	}
	for name := range skippedExamples {
		if !seen[name] {
			t.Errorf("the skip list names %s, which is no documented example", name)
		}
	}
}

// unmodelledBecause says why the emulator does not model the example's operation, or "".
func unmodelledBecause(ex graphdocs.Example) string {
	path, query := splitExamplePath(ex.Request.Path)
	q, _ := url.ParseQuery(query)
	rt := routeGraph(ex.Request.Method, "/v1.0"+path, q)
	if rt.err != nil {
		return rt.err.message
	}
	if rt.op == OpCreateRequest {
		if action := peekAction(ex.Request.Body); !actionModelled(action) {
			return "the action " + action
		}
	}
	return ""
}

func replayExample(t *testing.T, schema *graphdocs.Schema, ex graphdocs.Example) {
	documented := documentedEntities(ex)
	now := t0
	if len(documented) == 1 && ex.Request.Method == http.MethodPost {
		// A create answers at the time the example shows, so that its dates are in the future.
		if at, err := time.Parse(time.RFC3339Nano, str(documented[0]["createdDateTime"])); err == nil {
			now = at
		}
	}
	h := newHarness(t, Options{Now: func() time.Time { return now }})
	ids := seedExample(t, h, ex, documented)

	path, query := splitExamplePath(ex.Request.Path)
	for from, to := range ids {
		path = strings.ReplaceAll(path, from, to)
	}
	var body any
	if graphdocs.HasBody(ex.Request.Body) {
		body = string(ex.Request.Body)
	}
	var headers []string
	for k, v := range ex.Request.Headers {
		headers = append(headers, k, v)
	}
	r := h.do(ex.Request.Method, "/v1.0"+encodePath(path)+encodeQuery(query), body, headers...)
	if r.status != ex.Response.Status {
		t.Fatalf("status %d, documented %d: %s", r.status, ex.Response.Status, r.body)
	}
	if ex.Response.BodyJSON() == nil {
		if len(r.body) != 0 {
			t.Fatalf("documented without a body, answered %s", r.body)
		}
		return
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	typeName, isCollection := ex.Response.Collection()
	answered := []map[string]any{r.obj}
	if isCollection {
		answered = r.values()
	}
	// Properties chosen by $select inside $expand: the expanded entities carry only those.
	selected := strings.Contains(query, "$select")
	for i, item := range answered {
		checkCSDLType(t, schema, item, typeName, fmt.Sprintf("answer[%d]", i), selected)
	}
	if got, want := entityKeys(answered), entityKeys(documented); !slices.Equal(got, want) {
		t.Errorf("answered entities %v, documented %v", got, want)
	}
	if ex.Request.Method == http.MethodPost {
		checkPastStartServedAsNow(t, ex, r)
	}
}

// checkPastStartServedAsNow: the documented create asks for a start in the past and is
// answered with its processing time as the start.
func checkPastStartServedAsNow(t *testing.T, ex graphdocs.Example, r *response) {
	var req struct {
		ScheduleInfo struct {
			StartDateTime string `json:"startDateTime"`
		} `json:"scheduleInfo"`
	}
	_ = json.Unmarshal(ex.Request.Body, &req)
	asked, err := time.Parse(time.RFC3339Nano, req.ScheduleInfo.StartDateTime)
	created, err2 := time.Parse(time.RFC3339Nano, r.str("createdDateTime"))
	if err != nil || err2 != nil || !asked.Before(created) {
		return
	}
	if got, want := r.str("scheduleInfo", "startDateTime"), r.str("completedDateTime"); got != want {
		t.Errorf("a start in the past (%s) answered as %s, want the processing time %s", asked, got, want)
	}
}

// seedExample makes the state an example shows: for a read, the entities its answer lists;
// for a cancel, a request that can be cancelled. It returns the example's ids mapped to the
// emulator's.
func seedExample(t *testing.T, h *harness, ex graphdocs.Example, documented []map[string]any) map[string]string {
	t.Helper()
	path, query := splitExamplePath(ex.Request.Path)
	q, _ := url.ParseQuery(query)
	rt := routeGraph(ex.Request.Method, "/v1.0"+path, q)
	ids := map[string]string{}
	if rt.kind() == KindPolicy {
		// Every group has its policies; an example's policy id maps to the emulator's id of
		// that group's member policy.
		if rt.id != "" {
			group, _, _ := strings.Cut(strings.TrimPrefix(rt.id, "Group_"), "_")
			ids[rt.id] = GroupPolicyID(group, AccessMember)
		}
		return ids
	}
	kind := rt.res.kind
	seed := func(principal, group, access string, start time.Time) Request {
		a := Assignment{PrincipalID: principal, GroupID: group, AccessID: access, Start: start}
		var req Request
		var err error
		if kind == KindEligibility {
			req, err = h.emu.SeedEligibility(Eligibility(a))
		} else {
			req, err = h.emu.SeedAssignment(a)
		}
		if err != nil {
			t.Fatalf("seeding %s %s/%s/%s: %v", kind, principal, group, access, err)
		}
		return req
	}
	now := h.emu.Now()
	switch rt.op {
	case OpCreateRequest:
		return ids
	case OpCancelRequest:
		ids[rt.id] = seed(principalA, groupA, AccessMember, now.Add(time.Hour)).ID
		return ids
	}
	for _, doc := range documented {
		principal, group, access := str(doc["principalId"]), str(doc["groupId"]), str(doc["accessId"])
		req := seed(principal, group, access, now.Add(-time.Hour))
		var id string
		switch rt.op {
		case OpGetRequest, OpListRequests:
			id = req.ID
			if str(doc["action"]) == ActionAdminRemove {
				r := h.createIn(groupPath+rt.res.set, removeBody(principal, group, access))
				id = r.str("id")
			}
		case OpGetSchedule, OpListSchedules:
			id = req.TargetScheduleID
		case OpGetInstance, OpListInstances:
			s, _ := h.emu.Schedule(req.TargetScheduleID)
			id = s.InstanceID
		}
		ids[str(doc["id"])] = id
		if rt.id != "" {
			// The instance GET example asks for one id and answers another.
			ids[rt.id] = id
		}
	}
	return ids
}

// documentedEntities are the entities the example's answer shows: the collection's items, or
// the entity (the eligibility instance GET wraps it in "value").
func documentedEntities(ex graphdocs.Example) []map[string]any {
	raw := ex.Response.BodyJSON()
	if raw == nil {
		return nil
	}
	var body map[string]any
	if json.Unmarshal(raw, &body) != nil {
		return nil
	}
	switch v := body["value"].(type) {
	case []any:
		var out []map[string]any
		for _, it := range v {
			if m, ok := it.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	case map[string]any:
		return []map[string]any{v}
	}
	return []map[string]any{body}
}

// entityKeys are the entities as the comparison sees them: who holds which access, how, and in
// which state, or which policy rule; ids and times aside.
func entityKeys(items []map[string]any) []string {
	var out []string
	for _, it := range items {
		key := []string{}
		for _, p := range []string{"principalId", "groupId", "accessId", "action", "status", "roleDefinitionId"} {
			if v, ok := it[p]; ok {
				key = append(key, p+"="+strings.ToLower(str(v)))
			}
		}
		if strings.HasSuffix(str(it["@odata.type"]), "Rule") {
			// A policy rule's id is its name (Expiration_Admin_Assignment), the same everywhere.
			key = append(key, "id="+str(it["id"]))
		}
		out = append(out, strings.Join(key, " "))
	}
	sort.Strings(out)
	return out
}

// checkCSDLType holds v to the CSDL type (or the derived type its @odata.type names): exactly
// its properties (annotations aside; expanded relationships are checked as their own type;
// with selected, the properties of expanded entities may be a subset), enum values spelled as
// the metadata spells them, values of the declared primitive types, status strings from the
// documented list, and nested complex values and collections to their own types.
func checkCSDLType(t *testing.T, schema *graphdocs.Schema, v map[string]any, typeName, where string, selected bool) {
	t.Helper()
	if ot, ok := v["@odata.type"].(string); ok {
		derived := strings.TrimPrefix(ot, "#")
		_, complexType := schema.ComplexTypes[derived]
		if !schema.IsA(derived, typeName) && !complexType {
			t.Errorf("%s: @odata.type %s is not a %s", where, ot, typeName)
		}
		typeName = derived
	}
	want := schema.PropertyNames(typeName)
	if want == nil {
		t.Fatalf("%s: no CSDL type %s", where, typeName)
	}
	var got []string
	expanded := map[string]string{}
	for k := range v {
		switch {
		case strings.Contains(k, "@odata."):
		case schema.NavigationType(typeName, k) != "":
			expanded[k] = schema.NavigationType(typeName, k)
		default:
			got = append(got, k)
		}
	}
	sort.Strings(got)
	subset := selected && strings.Contains(where, "→")
	if subset && !isSubset(got, want) || !subset && !slices.Equal(got, want) {
		t.Errorf("%s (%s) has properties %v, the CSDL %v", where, typeName, got, want)
	}
	for name, nav := range expanded {
		checkValue(t, schema, v[name], nav, where+"→"+name, selected)
	}
	for _, name := range want {
		value, present := v[name]
		if !present || value == nil {
			continue
		}
		where := where + "." + name
		checkValue(t, schema, value, schema.PropertyType(typeName, name), where, selected)
		if name == "status" {
			if listed := documentedStatuses(schema, typeName); !slices.Contains(listed, str(value)) {
				t.Errorf("%s = %v, not a documented status %v", where, value, listed)
			}
		}
	}
}

// checkValue holds one value to its declared type: an enum, a complex or entity type, a
// collection of any of them, or a primitive.
func checkValue(t *testing.T, schema *graphdocs.Schema, value any, ptype, where string, selected bool) {
	t.Helper()
	if item, ok := strings.CutPrefix(ptype, "Collection("); ok {
		items, isList := value.([]any)
		if !isList {
			t.Errorf("%s = %v, want a collection of %s", where, value, ptype)
			return
		}
		for i, it := range items {
			checkValue(t, schema, it, strings.TrimSuffix(item, ")"), fmt.Sprintf("%s[%d]", where, i), selected)
		}
		return
	}
	if enum, ok := schema.EnumTypes[ptype]; ok {
		if !slices.Contains(enum.Names(), str(value)) {
			t.Errorf("%s = %v, not a member of %s %v", where, value, ptype, enum.Names())
		}
		return
	}
	_, complexType := schema.ComplexTypes[ptype]
	if _, entityType := schema.EntityTypes[ptype]; complexType || entityType {
		m, ok := value.(map[string]any)
		if !ok {
			t.Errorf("%s = %v, want a %s object", where, value, ptype)
			return
		}
		checkCSDLType(t, schema, m, ptype, where, selected)
		return
	}
	checkPrimitive(t, value, ptype, where)
}

func isSubset(got, want []string) bool {
	for _, g := range got {
		if !slices.Contains(want, g) {
			return false
		}
	}
	return len(got) > 0
}

func checkPrimitive(t *testing.T, value any, ptype, where string) {
	t.Helper()
	var ok bool
	switch ptype {
	case "Edm.String":
		_, ok = value.(string)
	case "Edm.Boolean":
		_, ok = value.(bool)
	case "Edm.Int32":
		n, isNumber := value.(float64)
		ok = isNumber && n == float64(int32(n))
	case "Edm.DateTimeOffset":
		_, err := time.Parse(time.RFC3339Nano, str(value))
		ok = err == nil
	case "Edm.Duration":
		_, err := parseISODuration(str(value))
		ok = err == nil
	default:
		t.Errorf("%s: the test does not know how to check %s", where, ptype)
		return
	}
	if !ok {
		t.Errorf("%s = %#v, not an %s", where, value, ptype)
	}
}

// documentedStatuses are the status strings listed for the type that declares typeName's
// status (request, or privilegedAccessSchedule).
func documentedStatuses(schema *graphdocs.Schema, typeName string) []string {
	for _, p := range schema.EntityTypes[typeName].AllProperties {
		if p.Name == "status" {
			if d := schema.EntityTypes[p.DeclaredIn].Docs; d != nil {
				return d.ListedValues["status"]
			}
		}
	}
	return nil
}

func str(v any) string { s, _ := v.(string); return s }

// splitExamplePath splits a documented path (not URL-encoded) into path and raw query.
func splitExamplePath(p string) (string, string) {
	path, query, _ := strings.Cut(p, "?")
	return path, query
}

func encodePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// encodeQuery encodes a documented query as the SDK does: each value escaped, spaces as %20.
func encodeQuery(q string) string {
	if q == "" {
		return ""
	}
	var parts []string
	for _, kv := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(kv, "=")
		parts = append(parts, url.QueryEscape(k)+"="+strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
	}
	return "?" + strings.Join(parts, "&")
}

func loadSchema(t *testing.T) *graphdocs.Schema {
	t.Helper()
	s, err := graphdocs.LoadSchema()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func loadExamples(t *testing.T) []graphdocs.Example {
	t.Helper()
	exs, err := graphdocs.Examples()
	if err != nil {
		t.Fatal(err)
	}
	return exs
}
