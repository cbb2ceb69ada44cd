package pim

import "context"

// Kind is the PIM-for-Groups collection a request lives in: active assignments or
// eligibilities. Graph serves both with the same shapes at different URLs.
type Kind string

// The two kinds of PIM-for-Groups requests.
const (
	// KindAssignment is active access: assignmentScheduleRequests, assignmentSchedules.
	KindAssignment Kind = "assignment"
	// KindEligibility is eligible access: eligibilityScheduleRequests, eligibilitySchedules.
	KindEligibility Kind = "eligibility"
)

// Kinds lists every kind, assignments first.
func Kinds() []Kind { return []Kind{KindAssignment, KindEligibility} }

// Graph is the process's connection to Graph; For gives the client of one kind. Every view
// shares the process's HTTP client, metrics and write budget.
type Graph interface {
	For(Kind) Client
}

// Client is everything the reconciler asks of Graph for one kind. Implementations return
// *Error for every failure, never an SDK error value, and are safe for concurrent use. None of
// them retries a POST on its own: a write is sent once per call.
type Client interface {
	// Assign submits an adminAssign request.
	Assign(ctx context.Context, in CreateInput) (*Request, error)
	// GetRequest reads one request by id; a purged or unknown id is ClassNotFound.
	GetRequest(ctx context.Context, id string) (*Request, error)
	// FindRequests lists the requests for a principal in a group. Graph's list is eventually
	// consistent: a request created moments ago may be missing.
	FindRequests(ctx context.Context, principalID, groupID string) ([]Request, error)
	// Cancel cancels a request that has not been provisioned yet (Graph answers 204).
	// Graph's 400 for a request that cannot be cancelled is ClassNotCancellable.
	Cancel(ctx context.Context, id string) error
	// Remove submits an adminRemove request for the triple; the new request is returned, and
	// its own status becomes Revoked when the access is gone.
	Remove(ctx context.Context, t Triple, justification string) (*Request, error)
	// GetSchedule reads one schedule by id; an unknown or ended one is ClassNotFound.
	GetSchedule(ctx context.Context, id string) (*Schedule, error)
	// FindLiveSchedules lists the triple's schedules that still grant (or will grant) access:
	// every status but the ended ones, of the triple's access kind, newest first. None is an
	// empty list and no error.
	FindLiveSchedules(ctx context.Context, t Triple) ([]Schedule, error)
}

// Funcs is a Client made of functions, for unit tests: a nil function fails the call with a
// transient error that names it, so a test sees every call it did not expect.
type Funcs struct {
	AssignFunc            func(ctx context.Context, in CreateInput) (*Request, error)
	GetRequestFunc        func(ctx context.Context, id string) (*Request, error)
	FindRequestsFunc      func(ctx context.Context, principalID, groupID string) ([]Request, error)
	CancelFunc            func(ctx context.Context, id string) error
	RemoveFunc            func(ctx context.Context, t Triple, justification string) (*Request, error)
	GetScheduleFunc       func(ctx context.Context, id string) (*Schedule, error)
	FindLiveSchedulesFunc func(ctx context.Context, t Triple) ([]Schedule, error)
}

var _ Client = Funcs{}

func unexpected(op string) error {
	return &Error{Op: op, Class: ClassTransient, Detail: "unexpected call (no function set in pim.Funcs)"}
}

func (f Funcs) Assign(ctx context.Context, in CreateInput) (*Request, error) {
	if f.AssignFunc == nil {
		return nil, unexpected("createRequest")
	}
	return f.AssignFunc(ctx, in)
}

func (f Funcs) GetRequest(ctx context.Context, id string) (*Request, error) {
	if f.GetRequestFunc == nil {
		return nil, unexpected("getRequest")
	}
	return f.GetRequestFunc(ctx, id)
}

func (f Funcs) FindRequests(ctx context.Context, principalID, groupID string) ([]Request, error) {
	if f.FindRequestsFunc == nil {
		return nil, unexpected("findRequests")
	}
	return f.FindRequestsFunc(ctx, principalID, groupID)
}

func (f Funcs) Cancel(ctx context.Context, id string) error {
	if f.CancelFunc == nil {
		return unexpected("cancelRequest")
	}
	return f.CancelFunc(ctx, id)
}

func (f Funcs) Remove(ctx context.Context, t Triple, justification string) (*Request, error) {
	if f.RemoveFunc == nil {
		return nil, unexpected("removeAccess")
	}
	return f.RemoveFunc(ctx, t, justification)
}

func (f Funcs) GetSchedule(ctx context.Context, id string) (*Schedule, error) {
	if f.GetScheduleFunc == nil {
		return nil, unexpected("getSchedule")
	}
	return f.GetScheduleFunc(ctx, id)
}

func (f Funcs) FindLiveSchedules(ctx context.Context, t Triple) ([]Schedule, error) {
	if f.FindLiveSchedulesFunc == nil {
		return nil, unexpected("findLiveSchedules")
	}
	return f.FindLiveSchedulesFunc(ctx, t)
}
