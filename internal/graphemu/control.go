package graphemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// controlPrefix is where the control API lives. Control calls need no token and are not
// recorded in the call log. Durations are Go duration strings ("10m", "1h30m").
const controlPrefix = "/_emulator/"

// serveControl routes the control API (documented in the package doc).
func (e *Emulator) serveControl(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, controlPrefix), "/"), "/")
	m := r.Method
	switch {
	case match(segs, "clock") && m == http.MethodGet:
		controlJSON(w, http.StatusOK, clockJSON{Now: e.Now()})
	case match(segs, "clock", "advance") && m == http.MethodPost:
		var b struct {
			Duration string `json:"duration"`
		}
		if !decodeControl(w, r, &b) {
			return
		}
		d, err := time.ParseDuration(b.Duration)
		if err != nil || d < 0 {
			controlError(w, http.StatusBadRequest, "duration must be a non-negative Go duration such as \"10m\"")
			return
		}
		e.Advance(d)
		controlJSON(w, http.StatusOK, clockJSON{Now: e.Now()})
	case match(segs, "settings") && m == http.MethodGet:
		controlJSON(w, http.StatusOK, toSettingsJSON(e.Settings()))
	case match(segs, "settings") && m == http.MethodPut:
		e.controlPutSettings(w, r)
	case len(segs) == 3 && segs[0] == "groups" && segs[2] == "approval" && m == http.MethodPut:
		var b struct {
			Required bool `json:"required"`
		}
		if !decodeControl(w, r, &b) {
			return
		}
		e.SetApprovalRequired(segs[1], b.Required)
		w.WriteHeader(http.StatusNoContent)
	case len(segs) == 3 && segs[0] == "groups" && segs[2] == "policy" && m == http.MethodPut:
		e.controlPutPolicy(w, r, segs[1])
	case len(segs) == 3 && segs[0] == "groups" && segs[2] == "policy" && m == http.MethodGet:
		controlJSON(w, http.StatusOK, e.groupPoliciesJSON(segs[1]))
	case len(segs) == 3 && segs[0] == "groups" && segs[2] == "policy" && m == http.MethodDelete:
		if _, err := accessesOf(r.URL.Query().Get("accessId")); err != nil {
			controlError(w, http.StatusBadRequest, err.Error())
			return
		}
		e.ClearGroupPolicy(segs[1], r.URL.Query().Get("accessId"))
		w.WriteHeader(http.StatusNoContent)
	case match(segs, "activations") && m == http.MethodPost:
		controlSeed(w, r, func(b seedJSON) (Request, error) { return e.SeedActivation(b.activation()) })
	case match(segs, "assignments") && m == http.MethodPost:
		controlSeed(w, r, func(b seedJSON) (Request, error) { return e.SeedAssignment(b.assignment()) })
	case match(segs, "eligibilities") && m == http.MethodPost:
		controlSeed(w, r, func(b seedJSON) (Request, error) { return e.SeedEligibility(Eligibility(b.assignment())) })
	case match(segs, "requests") && m == http.MethodGet:
		controlJSON(w, http.StatusOK, e.Requests())
	case match(segs, "eligibilityRequests") && m == http.MethodGet:
		controlJSON(w, http.StatusOK, e.EligibilityRequests())
	case len(segs) == 2 && segs[0] == "requests" && m == http.MethodGet:
		req, ok := e.Request(segs[1])
		if !ok {
			controlError(w, http.StatusNotFound, ErrNotFound.Error())
			return
		}
		controlJSON(w, http.StatusOK, req)
	case len(segs) == 3 && segs[0] == "requests" && m == http.MethodPost:
		e.controlRequestAction(w, segs[1], segs[2])
	case len(segs) == 3 && segs[0] == "requests" && segs[2] == "status" && m == http.MethodPut:
		var b struct {
			Status string `json:"status"`
		}
		if !decodeControl(w, r, &b) {
			return
		}
		controlResult(w, e.SetRequestStatus(segs[1], b.Status))
	case match(segs, "schedules") && m == http.MethodGet:
		controlJSON(w, http.StatusOK, e.Schedules())
	case match(segs, "eligibilitySchedules") && m == http.MethodGet:
		controlJSON(w, http.StatusOK, e.EligibilitySchedules())
	case match(segs, "faults") && m == http.MethodGet:
		out := []faultJSON{}
		for _, f := range e.Faults() {
			out = append(out, toFaultJSON(f))
		}
		controlJSON(w, http.StatusOK, out)
	case match(segs, "faults") && m == http.MethodPost:
		var b faultJSON
		if !decodeControl(w, r, &b) {
			return
		}
		f, err := b.fault()
		if err != nil {
			controlError(w, http.StatusBadRequest, err.Error())
			return
		}
		e.AddFault(f)
		w.WriteHeader(http.StatusCreated)
	case match(segs, "faults") && m == http.MethodDelete:
		e.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	case match(segs, "calls") && m == http.MethodGet:
		controlJSON(w, http.StatusOK, e.Calls())
	case match(segs, "calls") && m == http.MethodDelete:
		e.ResetCalls()
		w.WriteHeader(http.StatusNoContent)
	case match(segs, "reset") && m == http.MethodPost:
		e.Reset()
		w.WriteHeader(http.StatusNoContent)
	default:
		controlError(w, http.StatusNotFound, fmt.Sprintf("no control endpoint %s %s", m, r.URL.Path))
	}
}

func match(segs []string, want ...string) bool {
	if len(segs) != len(want) {
		return false
	}
	for i := range want {
		if segs[i] != want[i] {
			return false
		}
	}
	return true
}

type clockJSON struct {
	Now time.Time `json:"now"`
}

type settingsJSON struct {
	MinActiveAge            string `json:"minActiveAge"`
	EligibilityMinActiveAge string `json:"eligibilityMinActiveAge"`
	ListLag                 string `json:"listLag"`
	ProvisioningDelay       string `json:"provisioningDelay"`
	RequireToken            string `json:"requireToken"`
	UnscopedListEmpty       bool   `json:"unscopedListEmpty"`
	CapitalizedMemberTypes  bool   `json:"capitalizedMemberTypes"`
	DocumentedGroupPolicies bool   `json:"documentedGroupPolicies"`
}

func toSettingsJSON(s Settings) settingsJSON {
	return settingsJSON{
		MinActiveAge:            s.MinActiveAge.String(),
		EligibilityMinActiveAge: s.EligibilityMinActiveAge.String(),
		ListLag:                 s.ListLag.String(),
		ProvisioningDelay:       s.ProvisioningDelay.String(),
		RequireToken:            s.RequireToken,
		UnscopedListEmpty:       s.UnscopedListEmpty,
		CapitalizedMemberTypes:  s.CapitalizedMemberTypes,
		DocumentedGroupPolicies: s.DocumentedGroupPolicies,
	}
}

// controlPutSettings changes the settings present in the body; absent ones stay.
func (e *Emulator) controlPutSettings(w http.ResponseWriter, r *http.Request) {
	var b struct {
		MinActiveAge            *string `json:"minActiveAge"`
		EligibilityMinActiveAge *string `json:"eligibilityMinActiveAge"`
		ListLag                 *string `json:"listLag"`
		ProvisioningDelay       *string `json:"provisioningDelay"`
		RequireToken            *string `json:"requireToken"`
		UnscopedListEmpty       *bool   `json:"unscopedListEmpty"`
		CapitalizedMemberTypes  *bool   `json:"capitalizedMemberTypes"`
		DocumentedGroupPolicies *bool   `json:"documentedGroupPolicies"`
	}
	if !decodeControl(w, r, &b) {
		return
	}
	durations := []struct {
		name string
		text *string
		set  func(time.Duration)
	}{
		{"minActiveAge", b.MinActiveAge, e.SetMinActiveAge},
		{"eligibilityMinActiveAge", b.EligibilityMinActiveAge, e.SetEligibilityMinActiveAge},
		{"listLag", b.ListLag, e.SetListLag},
		{"provisioningDelay", b.ProvisioningDelay, e.SetProvisioningDelay},
	}
	parsed := make([]time.Duration, len(durations))
	for i, d := range durations {
		if d.text == nil {
			continue
		}
		v, err := time.ParseDuration(*d.text)
		if err != nil {
			controlError(w, http.StatusBadRequest, fmt.Sprintf("%s: %v", d.name, err))
			return
		}
		parsed[i] = v
	}
	for i, d := range durations {
		if d.text != nil {
			d.set(parsed[i])
		}
	}
	if b.RequireToken != nil {
		e.SetRequireToken(*b.RequireToken)
	}
	if b.UnscopedListEmpty != nil {
		e.SetUnscopedListEmpty(*b.UnscopedListEmpty)
	}
	if b.CapitalizedMemberTypes != nil {
		e.SetCapitalizedMemberTypes(*b.CapitalizedMemberTypes)
	}
	if b.DocumentedGroupPolicies != nil {
		e.SetDocumentedGroupPolicies(*b.DocumentedGroupPolicies)
	}
	controlJSON(w, http.StatusOK, toSettingsJSON(e.Settings()))
}

// controlPutPolicy sets a group's policy: {"accessId", "assignment", "eligibility"}, each
// absent part as DocumentedGroupPolicy has it, accessId "" for both. It answers the group's
// policies as GET does.
func (e *Emulator) controlPutPolicy(w http.ResponseWriter, r *http.Request, groupID string) {
	var b map[string]json.RawMessage
	if !decodeControl(w, r, &b) {
		return
	}
	var accessID string
	if raw, ok := b["accessId"]; ok {
		if err := json.Unmarshal(raw, &accessID); err != nil {
			controlError(w, http.StatusBadRequest, "accessId: "+err.Error())
			return
		}
		delete(b, "accessId")
	}
	rest, _ := json.Marshal(b)
	p, err := GroupPolicyFromJSON(rest)
	if err == nil {
		err = e.SetGroupPolicy(groupID, accessID, p)
	}
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	controlJSON(w, http.StatusOK, e.groupPoliciesJSON(groupID))
}

// groupPoliciesJSON is a group's policies as the control API shows them.
type groupPoliciesJSON struct {
	GroupID string          `json:"groupId"`
	Member  policyStateJSON `json:"member"`
	Owner   policyStateJSON `json:"owner"`
}

type policyStateJSON struct {
	// Explicit: set with SetGroupPolicy; otherwise the default policy.
	Explicit bool `json:"explicit"`
	GroupPolicy
}

func (e *Emulator) groupPoliciesJSON(groupID string) groupPoliciesJSON {
	out := groupPoliciesJSON{GroupID: groupID}
	out.Member.GroupPolicy, out.Member.Explicit = e.GroupPolicy(groupID, AccessMember)
	out.Owner.GroupPolicy, out.Owner.Explicit = e.GroupPolicy(groupID, AccessOwner)
	return out
}

// seedJSON is the body of the seeding endpoints (activations, assignments, eligibilities).
type seedJSON struct {
	PrincipalID   string     `json:"principalId"`
	GroupID       string     `json:"groupId"`
	AccessID      string     `json:"accessId"`
	Justification string     `json:"justification"`
	Start         *time.Time `json:"start"`
	Duration      string     `json:"duration"`

	duration time.Duration
}

func (s *seedJSON) validate() error {
	if !isGUID(s.PrincipalID) || !isGUID(s.GroupID) {
		return errors.New("principalId and groupId must be GUIDs")
	}
	if s.AccessID != "" && accessNames[strings.ToLower(s.AccessID)] == "" {
		return errors.New("accessId must be member or owner")
	}
	if s.Duration == "" {
		return nil
	}
	d, err := time.ParseDuration(s.Duration)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	s.duration = d
	return nil
}

func (s seedJSON) activation() Activation {
	return Activation{PrincipalID: s.PrincipalID, GroupID: s.GroupID, AccessID: s.AccessID, Justification: s.Justification, Duration: s.duration}
}

func (s seedJSON) assignment() Assignment {
	a := Assignment{PrincipalID: s.PrincipalID, GroupID: s.GroupID, AccessID: s.AccessID, Justification: s.Justification, Duration: s.duration}
	if s.Start != nil {
		a.Start = *s.Start
	}
	return a
}

// controlSeed answers a seeding endpoint: 201 with the request, 409 when the emulator's
// state refuses it (already assigned, nothing to activate).
func controlSeed(w http.ResponseWriter, r *http.Request, seed func(seedJSON) (Request, error)) {
	var b seedJSON
	if !decodeControl(w, r, &b) {
		return
	}
	if err := b.validate(); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	req, err := seed(b)
	if err != nil {
		controlError(w, http.StatusConflict, err.Error())
		return
	}
	controlJSON(w, http.StatusCreated, req)
}

func (e *Emulator) controlRequestAction(w http.ResponseWriter, id, action string) {
	switch action {
	case "approve":
		controlResult(w, e.Approve(id))
	case "deny":
		controlResult(w, e.Deny(id))
	case "purge":
		controlResult(w, e.Purge(id))
	default:
		controlError(w, http.StatusNotFound, "unknown request action "+action+" (approve, deny, purge)")
	}
}

// faultJSON is a Fault with durations as Go duration strings.
type faultJSON struct {
	Kind             string  `json:"kind,omitempty"`
	Operation        string  `json:"operation,omitempty"`
	Action           string  `json:"action,omitempty"`
	Status           int     `json:"status,omitempty"`
	Code             string  `json:"code,omitempty"`
	Message          string  `json:"message,omitempty"`
	RetryAfter       string  `json:"retryAfter,omitempty"`
	Body             string  `json:"body,omitempty"`
	ContentType      string  `json:"contentType,omitempty"`
	Latency          string  `json:"latency,omitempty"`
	ResetBeforeApply bool    `json:"resetBeforeApply,omitempty"`
	DropAfterApply   bool    `json:"dropAfterApply,omitempty"`
	Rate             float64 `json:"rate,omitempty"`
	Count            int     `json:"count,omitempty"`
	ActiveFor        string  `json:"activeFor,omitempty"`
}

func (b faultJSON) fault() (Fault, error) {
	f := Fault{
		Kind: b.Kind, Operation: b.Operation, Action: b.Action, Status: b.Status, Code: b.Code, Message: b.Message,
		Body: b.Body, ContentType: b.ContentType, ResetBeforeApply: b.ResetBeforeApply, DropAfterApply: b.DropAfterApply,
		Rate: b.Rate, Count: b.Count,
	}
	switch f.Kind {
	case "", KindAssignment, KindEligibility, KindPolicy:
	default:
		return Fault{}, fmt.Errorf("unknown kind %q", f.Kind)
	}
	switch f.Operation {
	case "", OpCreateRequest, OpGetRequest, OpListRequests, OpCancelRequest, OpGetSchedule, OpListSchedules, OpGetInstance, OpListInstances,
		OpListPolicyAssignments, OpListPolicies, OpGetPolicy, OpListPolicyRules:
	default:
		return Fault{}, fmt.Errorf("unknown operation %q", f.Operation)
	}
	for _, d := range []struct {
		name string
		text string
		dst  *time.Duration
	}{
		{"retryAfter", b.RetryAfter, &f.RetryAfter},
		{"latency", b.Latency, &f.Latency},
		{"activeFor", b.ActiveFor, &f.ActiveFor},
	} {
		if d.text == "" {
			continue
		}
		v, err := time.ParseDuration(d.text)
		if err != nil {
			return Fault{}, fmt.Errorf("%s: %w", d.name, err)
		}
		*d.dst = v
	}
	return f, nil
}

func toFaultJSON(f Fault) faultJSON {
	b := faultJSON{
		Kind: f.Kind, Operation: f.Operation, Action: f.Action, Status: f.Status, Code: f.Code, Message: f.Message,
		Body: f.Body, ContentType: f.ContentType, ResetBeforeApply: f.ResetBeforeApply, DropAfterApply: f.DropAfterApply,
		Rate: f.Rate, Count: f.Count,
	}
	for _, d := range []struct {
		value time.Duration
		dst   *string
	}{{f.RetryAfter, &b.RetryAfter}, {f.Latency, &b.Latency}, {f.ActiveFor, &b.ActiveFor}} {
		if d.value != 0 {
			*d.dst = d.value.String()
		}
	}
	return b
}

func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err == nil && len(strings.TrimSpace(string(body))) > 0 {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		controlError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func controlResult(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, ErrNotFound):
		controlError(w, http.StatusNotFound, err.Error())
	default:
		controlError(w, http.StatusConflict, err.Error())
	}
}

func controlJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		controlError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func controlError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
