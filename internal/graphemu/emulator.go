package graphemu

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// CallerID is the object id the emulator reports in createdBy for requests made over HTTP: the
// identity of "the application" that holds the token.
const CallerID = "00000000-0000-0000-0000-00000000c0de"

// Options configure an Emulator. The zero value is Graph's behaviour with real time.
type Options struct {
	// MinActiveAge is how long an assignment must have been active before adminRemove is
	// accepted (Graph: 5 minutes; ActiveDurationTooShort otherwise). 0 means 5 minutes; a
	// negative value disables the check.
	MinActiveAge time.Duration
	// EligibilityMinActiveAge is the same minimum before an eligibility's adminRemove. Graph's
	// sources state the minimum for active assignments only, so 0 means none; docs/graph.md
	// says why the operator must not depend on either reading.
	EligibilityMinActiveAge time.Duration
	// CapitalizedMemberTypes answers memberType and assignmentType as most of Graph's v1.0
	// examples spell them ("Direct", "Assigned", "Activated") instead of the metadata's
	// lower camel case. Which one Graph sends is not settled; clients must read both.
	CapitalizedMemberTypes bool
	// ListLag is how long a newly created request stays out of filtered lists (Graph's list
	// is eventually consistent); GET by id sees it at once.
	ListLag time.Duration
	// ProvisioningDelay is how long a new adminAssign request stays PendingProvisioning
	// before it becomes Provisioned (or Granted).
	ProvisioningDelay time.Duration
	// RequireToken, when non-empty, makes every Graph call need "Authorization: Bearer
	// <RequireToken>"; others get 401 InvalidAuthenticationToken.
	RequireToken string
	// UnscopedListEmpty makes a list without an eq on principalId or groupId answer 200 with
	// an empty value — what Graph has been reported to do for app-only callers
	// (microsoft-graph-docs-contrib #8628, #8885) — instead of the default 400.
	UnscopedListEmpty bool
	// DocumentedGroupPolicies gives a group whose PIM policy was not set (SetGroupPolicy) the
	// policy Graph's group examples show (DocumentedGroupPolicy), served and enforced, instead
	// of the unrestricted one. No page states a group's defaults, and requests that ignore
	// policies (permanent assignments, no justification) must keep working by default.
	DocumentedGroupPolicies bool
	// Now is the clock's time source (default time.Now). The emulator adds the offset that
	// Advance accumulates; a source that returns a fixed time gives a clock that moves only
	// when advanced.
	Now func() time.Time
	// Seed seeds the random source that decides whether a Fault with a Rate fires. 0 means 1:
	// runs are repeatable unless a test asks otherwise.
	Seed uint64
}

// Emulator is an in-process Microsoft Graph v1.0 for PIM for Groups: assignment and
// eligibility schedule requests, schedules and instances. It implements http.Handler: Graph
// under /v1.0/, the control API under /_emulator/. It is safe for concurrent use; every method
// takes one mutex.
type Emulator struct {
	mu sync.Mutex

	clock                   clock
	minActiveAge            time.Duration
	eligibilityMinActiveAge time.Duration
	listLag                 time.Duration
	provisioningDelay       time.Duration
	requireToken            string
	unscopedListEmpty       bool
	capitalizedMemberTypes  bool
	documentedGroupPolicies bool

	// Requests and schedules of both kinds share one store (their ids are unique GUIDs); the
	// kind decides which URLs serve them.
	requests      map[string]*requestRecord
	requestOrder  []string
	schedules     map[string]*Schedule
	scheduleOrder []string
	// instanceSchedule maps an instance id to its schedule's id.
	instanceSchedule map[string]string
	approval         map[string]bool // lower-case group id → activation needs approval
	// policies are the group policies set explicitly; other groups have the default.
	policies map[policyKey]*policyRecord

	// nextEvent is when settling next has work to do, valid while eventsKnown.
	nextEvent   time.Time
	eventsKnown bool

	faults []*faultState
	rand   *rand.Rand
	calls  []Call
	budget writeBudget // SetWriteBudget
}

// New returns an Emulator configured by opts.
func New(opts Options) *Emulator {
	seed := opts.Seed
	if seed == 0 {
		seed = 1
	}
	e := &Emulator{
		clock:                   newClock(opts.Now),
		eligibilityMinActiveAge: max(opts.EligibilityMinActiveAge, 0),
		listLag:                 opts.ListLag,
		provisioningDelay:       opts.ProvisioningDelay,
		requireToken:            opts.RequireToken,
		unscopedListEmpty:       opts.UnscopedListEmpty,
		capitalizedMemberTypes:  opts.CapitalizedMemberTypes,
		documentedGroupPolicies: opts.DocumentedGroupPolicies,
		rand:                    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
	e.minActiveAge = normalizeMinActiveAge(opts.MinActiveAge)
	e.resetStateLocked()
	return e
}

func normalizeMinActiveAge(d time.Duration) time.Duration {
	switch {
	case d == 0:
		return DefaultMinActiveAge
	case d < 0:
		return 0
	}
	return d
}

// ServeHTTP serves Graph under /v1.0/ and the control API under /_emulator/.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, controlPrefix):
		e.serveControl(w, r)
	default:
		e.serveGraph(w, r)
	}
}

// Now is the emulator's current time.
func (e *Emulator) Now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.clock.now()
}

// Advance moves the clock forward by d and applies what the new time brings: pending
// provisioning completes, Granted assignments and eligibilities whose start has come become
// Provisioned, schedules past their end expire.
func (e *Emulator) Advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clock.advance(d)
	e.settleLocked(e.clock.now())
}

// SetListLag changes Options.ListLag for requests created from now on.
func (e *Emulator) SetListLag(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.listLag = d
}

// SetMinActiveAge changes the minimum active age before adminRemove. Unlike Options, the value
// is taken literally: 0 (or less) means no minimum.
func (e *Emulator) SetMinActiveAge(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.minActiveAge = max(d, 0)
}

// SetEligibilityMinActiveAge changes Options.EligibilityMinActiveAge (0 or less: no minimum).
func (e *Emulator) SetEligibilityMinActiveAge(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.eligibilityMinActiveAge = max(d, 0)
}

// SetCapitalizedMemberTypes changes Options.CapitalizedMemberTypes.
func (e *Emulator) SetCapitalizedMemberTypes(capitalized bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.capitalizedMemberTypes = capitalized
}

func (e *Emulator) wireStyleLocked() wireStyle {
	return wireStyle{capitalizedMemberTypes: e.capitalizedMemberTypes}
}

// SetProvisioningDelay changes Options.ProvisioningDelay for requests created from now on.
func (e *Emulator) SetProvisioningDelay(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.provisioningDelay = d
}

// SetRequireToken changes Options.RequireToken ("" turns the check off).
func (e *Emulator) SetRequireToken(token string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requireToken = token
}

// SetUnscopedListEmpty changes Options.UnscopedListEmpty.
func (e *Emulator) SetUnscopedListEmpty(empty bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.unscopedListEmpty = empty
}

// SetApprovalRequired says whether activations (selfActivate) in a group need approval.
// Approval never applies to adminAssign.
func (e *Emulator) SetApprovalRequired(groupID string, required bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if required {
		e.approval[strings.ToLower(groupID)] = true
	} else {
		delete(e.approval, strings.ToLower(groupID))
	}
}

// Settings is the emulator's current configuration, as the control API shows it.
type Settings struct {
	MinActiveAge            time.Duration
	EligibilityMinActiveAge time.Duration
	ListLag                 time.Duration
	ProvisioningDelay       time.Duration
	RequireToken            string
	UnscopedListEmpty       bool
	CapitalizedMemberTypes  bool
	DocumentedGroupPolicies bool
}

// Settings returns the current configuration.
func (e *Emulator) Settings() Settings {
	e.mu.Lock()
	defer e.mu.Unlock()
	return Settings{
		MinActiveAge:            e.minActiveAge,
		EligibilityMinActiveAge: e.eligibilityMinActiveAge,
		ListLag:                 e.listLag,
		ProvisioningDelay:       e.provisioningDelay,
		RequireToken:            e.requireToken,
		UnscopedListEmpty:       e.unscopedListEmpty,
		CapitalizedMemberTypes:  e.capitalizedMemberTypes,
		DocumentedGroupPolicies: e.documentedGroupPolicies,
	}
}

// Reset forgets every request, schedule (of both kinds), approval setting, group policy, fault
// and recorded call. The clock and the settings stay as they are.
func (e *Emulator) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.resetStateLocked()
	e.faults = nil
	e.calls = nil
}

func (e *Emulator) resetStateLocked() {
	e.requests = map[string]*requestRecord{}
	e.requestOrder = nil
	e.schedules = map[string]*Schedule{}
	e.scheduleOrder = nil
	e.instanceSchedule = map[string]string{}
	e.approval = map[string]bool{}
	e.policies = map[policyKey]*policyRecord{}
	e.eventsKnown = false
}
