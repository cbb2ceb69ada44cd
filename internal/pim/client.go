package pim

import "context"

// Client is everything the reconciler asks of Graph. Implementations return *Error for every
// failure, never an SDK error value, and are safe for concurrent use. None of them retries a
// POST on its own: a write is sent once per call.
type Client interface {
	// CreateAssignment submits an adminAssign request.
	CreateAssignment(ctx context.Context, in CreateInput) (*Request, error)
	// GetRequest reads one request by id; a purged or unknown id is ClassNotFound.
	GetRequest(ctx context.Context, id string) (*Request, error)
	// FindRequests lists the requests for a principal in a group. Graph's list is eventually
	// consistent: a request created moments ago may be missing.
	FindRequests(ctx context.Context, principalID, groupID string) ([]Request, error)
	// CancelRequest cancels a request that has not been provisioned yet (Graph answers 204).
	// Graph's 400 for a request that cannot be cancelled is ClassNotCancellable.
	CancelRequest(ctx context.Context, id string) error
	// RemoveAssignment submits an adminRemove request for the triple; the new request is
	// returned, and its own status becomes Revoked when the assignment is gone.
	RemoveAssignment(ctx context.Context, t Triple, justification string) (*Request, error)
	// GetSchedule reads one assignment schedule by id; an unknown id is ClassNotFound.
	GetSchedule(ctx context.Context, id string) (*Schedule, error)
	// FindLiveSchedule returns the live (provisioned or granted) schedule of the triple, or
	// nil and no error when there is none.
	FindLiveSchedule(ctx context.Context, t Triple) (*Schedule, error)
}
