package graph

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/identitygovernance"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// Client is the production pim.Client over msgraph-sdk-go.
type Client struct {
	svc            *msgraphsdk.GraphBaseServiceClient
	metrics        *metrics
	defaultTimeout time.Duration
	baseURL        string
}

var _ pim.Client = (*Client)(nil)

// New builds the process's Graph client from cfg. It sends nothing: a missing token shows up
// on the first call as ClassUnauthenticated, so a manager can start before its federated token
// file is projected.
func New(_ context.Context, cfg Config) (*Client, error) {
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	auth, err := newAuthProvider(s)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(s.Registerer)
	if err != nil {
		return nil, fmt.Errorf("graph metrics: %v", err)
	}
	svc, err := newServiceClient(s, auth, newHTTPClient(s))
	if err != nil {
		return nil, err
	}
	return &Client{svc: svc, metrics: m, defaultTimeout: s.DefaultTimeout, baseURL: s.BaseURL}, nil
}

// BaseURL is the Graph root the client talks to, for the startup log.
func (c *Client) BaseURL() string { return c.baseURL }

// maxPages bounds how many @odata.nextLink pages a list follows: a principal has a handful of
// requests per group, and a server that keeps linking must not hold a worker forever.
const maxPages = 50

// errNoBody stands for a success answer that carried no usable object.
var errNoBody = errors.New("Graph answered with success but without the expected object")

// The builder chains start from the client on every call: a request builder holds a mutable
// path-parameter map, so sharing one between goroutines is a data race.
func (c *Client) requests() *identitygovernance.PrivilegedAccessGroupAssignmentScheduleRequestsRequestBuilder {
	return c.svc.IdentityGovernance().PrivilegedAccess().Group().AssignmentScheduleRequests()
}

func (c *Client) schedules() *identitygovernance.PrivilegedAccessGroupAssignmentSchedulesRequestBuilder {
	return c.svc.IdentityGovernance().PrivilegedAccess().Group().AssignmentSchedules()
}

// CreateAssignment submits an adminAssign request. in.Justification is sent as given (the
// reconciler has already appended its marker).
func (c *Client) CreateAssignment(ctx context.Context, in pim.CreateInput) (*pim.Request, error) {
	body, err := newAssignRequest(in)
	if err != nil {
		return nil, invalid(OpCreateRequest, err)
	}
	return c.postRequest(ctx, OpCreateRequest, body)
}

// GetRequest reads one request; an unknown or purged id is ClassNotFound.
func (c *Client) GetRequest(ctx context.Context, id string) (*pim.Request, error) {
	if err := checkID(OpGetRequest, "request", id); err != nil {
		return nil, err
	}
	var out pim.Request
	err := c.call(ctx, OpGetRequest, func(ctx context.Context) error {
		res, err := c.requests().ByPrivilegedAccessGroupAssignmentScheduleRequestId(id).Get(ctx, nil)
		if err != nil {
			return err
		}
		if res == nil {
			return errNoBody
		}
		out = requestFromSDK(res)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// FindRequests lists the requests of a principal in a group, following every page.
func (c *Client) FindRequests(ctx context.Context, principalID, groupID string) ([]pim.Request, error) {
	if principalID == "" || groupID == "" {
		return nil, invalid(OpFindRequests, errors.New("principalId and groupId are required"))
	}
	filter := pairFilter(principalID, groupID)
	var out []pim.Request
	err := c.call(ctx, OpFindRequests, func(ctx context.Context) error {
		out = nil
		res, err := c.requests().Get(ctx, &identitygovernance.PrivilegedAccessGroupAssignmentScheduleRequestsRequestBuilderGetRequestConfiguration{
			QueryParameters: &identitygovernance.PrivilegedAccessGroupAssignmentScheduleRequestsRequestBuilderGetQueryParameters{Filter: &filter},
		})
		for page := 1; ; page++ {
			if err != nil {
				return err
			}
			if res == nil {
				return errNoBody
			}
			for _, m := range res.GetValue() {
				if m != nil {
					out = append(out, requestFromSDK(m))
				}
			}
			next := deref(res.GetOdataNextLink())
			if next == "" {
				return nil
			}
			if page >= maxPages {
				return fmt.Errorf("more than %d pages of requests", maxPages)
			}
			res, err = c.requests().WithUrl(next).Get(ctx, nil)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CancelRequest cancels a request that is not provisioned yet; Graph answers 204.
func (c *Client) CancelRequest(ctx context.Context, id string) error {
	if err := checkID(OpCancelRequest, "request", id); err != nil {
		return err
	}
	return c.call(ctx, OpCancelRequest, func(ctx context.Context) error {
		return c.requests().ByPrivilegedAccessGroupAssignmentScheduleRequestId(id).Cancel().Post(ctx, nil)
	})
}

// RemoveAssignment submits an adminRemove request for the triple and returns that new request.
func (c *Client) RemoveAssignment(ctx context.Context, t pim.Triple, justification string) (*pim.Request, error) {
	body, err := newRemoveRequest(t, justification)
	if err != nil {
		return nil, invalid(OpRemoveAssignment, err)
	}
	return c.postRequest(ctx, OpRemoveAssignment, body)
}

// postRequest sends one new assignment schedule request (adminAssign or adminRemove), once.
func (c *Client) postRequest(ctx context.Context, op string, body models.PrivilegedAccessGroupAssignmentScheduleRequestable) (*pim.Request, error) {
	var out pim.Request
	err := c.call(ctx, op, func(ctx context.Context) error {
		res, err := c.requests().Post(ctx, body, nil)
		if err != nil {
			return err
		}
		if res == nil || res.GetId() == nil || *res.GetId() == "" {
			return errNoBody
		}
		out = requestFromSDK(res)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// GetSchedule reads one assignment schedule by id ({groupId}_{accessId}_{guid}).
func (c *Client) GetSchedule(ctx context.Context, id string) (*pim.Schedule, error) {
	if err := checkID(OpGetSchedule, "schedule", id); err != nil {
		return nil, err
	}
	var out pim.Schedule
	err := c.call(ctx, OpGetSchedule, func(ctx context.Context) error {
		res, err := c.schedules().ByPrivilegedAccessGroupAssignmentScheduleId(id).Get(ctx, nil)
		if err != nil {
			return err
		}
		if res == nil {
			return errNoBody
		}
		out = scheduleFromSDK(res)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// FindLiveSchedule returns the triple's live schedule, or nil when there is none. See
// pickLiveSchedule for which one wins when Graph lists several.
func (c *Client) FindLiveSchedule(ctx context.Context, t pim.Triple) (*pim.Schedule, error) {
	if t.PrincipalID == "" || t.GroupID == "" {
		return nil, invalid(OpFindLiveSchedule, errors.New("principalId and groupId are required"))
	}
	access, err := accessToSDK(t.AccessID)
	if err != nil {
		return nil, invalid(OpFindLiveSchedule, err)
	}
	filter := pairFilter(t.PrincipalID, t.GroupID)
	var all []models.PrivilegedAccessGroupAssignmentScheduleable
	err = c.call(ctx, OpFindLiveSchedule, func(ctx context.Context) error {
		all = nil
		res, err := c.schedules().Get(ctx, &identitygovernance.PrivilegedAccessGroupAssignmentSchedulesRequestBuilderGetRequestConfiguration{
			QueryParameters: &identitygovernance.PrivilegedAccessGroupAssignmentSchedulesRequestBuilderGetQueryParameters{Filter: &filter},
		})
		for page := 1; ; page++ {
			if err != nil {
				return err
			}
			if res == nil {
				return errNoBody
			}
			all = append(all, res.GetValue()...)
			next := deref(res.GetOdataNextLink())
			if next == "" {
				return nil
			}
			if page >= maxPages {
				return fmt.Errorf("more than %d pages of schedules", maxPages)
			}
			res, err = c.schedules().WithUrl(next).Get(ctx, nil)
		}
	})
	if err != nil {
		return nil, err
	}
	best := pickLiveSchedule(all, access)
	if best == nil {
		return nil, nil
	}
	s := scheduleFromSDK(best)
	return &s, nil
}

// endedScheduleStatuses are the statuses of a schedule that no longer grants access. Any other
// status counts as live: Graph reports Provisioned for current access and Granted or
// ScheduleCreated around a future start, and a status this code does not know must not make a
// live assignment look gone (that would let the reconciler finish without removing it).
var endedScheduleStatuses = map[string]bool{
	string(pim.StatusCanceled): true,
	string(pim.StatusDenied):   true,
	string(pim.StatusFailed):   true,
	string(pim.StatusRevoked):  true,
	"Expired":                  true,
}

// pickLiveSchedule keeps the schedules of the access kind whose status is live, and prefers an
// admin assignment (assignmentType assigned, the kind adminRemove ends) held directly (memberType
// direct) over an activation or a membership inherited through another group, then the newest.
func pickLiveSchedule(all []models.PrivilegedAccessGroupAssignmentScheduleable, access models.PrivilegedAccessGroupRelationships) models.PrivilegedAccessGroupAssignmentScheduleable {
	var best models.PrivilegedAccessGroupAssignmentScheduleable
	bestRank := -1
	var bestCreated time.Time
	for _, s := range all {
		if s == nil || s.GetAccessId() == nil || *s.GetAccessId() != access {
			continue
		}
		if endedScheduleStatuses[deref(s.GetStatus())] {
			continue
		}
		rank := 0
		if at := s.GetAssignmentType(); at == nil || *at == models.ASSIGNED_PRIVILEGEDACCESSGROUPASSIGNMENTTYPE {
			rank += 2
		}
		if mt := s.GetMemberType(); mt == nil || *mt == models.DIRECT_PRIVILEGEDACCESSGROUPMEMBERTYPE {
			rank++
		}
		var created time.Time
		if t := s.GetCreatedDateTime(); t != nil {
			created = *t
		}
		if rank > bestRank || rank == bestRank && created.After(bestCreated) {
			best, bestRank, bestCreated = s, rank, created
		}
	}
	return best
}

// call runs one Graph operation: it supplies a deadline when the caller has none, records the
// exchange for classification, turns every failure into a *pim.Error and counts the outcome.
func (c *Client) call(ctx context.Context, op string, fn func(context.Context) error) error {
	start := time.Now()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.defaultTimeout)
		defer cancel()
	}
	ex := &exchange{}
	err := guard(func() error { return fn(withExchange(ctx, ex)) })
	var perr *pim.Error
	if err != nil {
		perr = toError(op, err, ex)
	}
	c.metrics.observe(op, start, perr)
	if perr != nil {
		return perr
	}
	return nil
}

// sdkPanic is a panic inside the SDK (its generated getters panic on backing-store errors),
// turned into an error so that one odd answer cannot crash the manager.
type sdkPanic struct{ detail string }

func (e *sdkPanic) Error() string { return e.detail }

func guard(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			detail := fmt.Sprintf("panic of type %T in the Graph SDK", r)
			if re, ok := r.(runtime.Error); ok {
				detail += ": " + re.Error()
			}
			err = &sdkPanic{detail: detail}
		}
	}()
	return fn()
}

func checkID(op, what, id string) error {
	// An empty id would address the collection instead of an item.
	if strings.TrimSpace(id) == "" {
		return invalid(op, fmt.Errorf("the %s id is empty", what))
	}
	return nil
}

// invalid is an input the operator should never have produced; no call is made.
func invalid(op string, err error) *pim.Error {
	return &pim.Error{Op: op, Class: pim.ClassUserFixable, Detail: "invalid input: " + err.Error()}
}

// pairFilter is Graph's required $filter: an eq on principalId and groupId.
func pairFilter(principalID, groupID string) string {
	return fmt.Sprintf("principalId eq '%s' and groupId eq '%s'", odataString(principalID), odataString(groupID))
}

// odataString escapes a value for a single-quoted OData literal.
func odataString(s string) string { return strings.ReplaceAll(s, "'", "''") }
