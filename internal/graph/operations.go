package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// Operation names: pim.Error.Op and the "operation" metric label. The write limiter of
// internal/pim names the writes the same way.
const (
	OpCreateRequest     = "createRequest"
	OpGetRequest        = "getRequest"
	OpFindRequests      = "findRequests"
	OpCancelRequest     = "cancelRequest"
	OpRemoveAccess      = "removeAccess"
	OpGetSchedule       = "getSchedule"
	OpFindLiveSchedules = "findLiveSchedules"
)

// kindClient is the pim.Client of one kind: the shared code over one kind's collection table.
type kindClient struct {
	*Client
	kind pim.Kind
	coll *collection
	// known is false for a kind without a collection table; its calls are refused.
	known bool
}

var _ pim.Client = (*kindClient)(nil)

// Assign submits an adminAssign request.
func (k *kindClient) Assign(ctx context.Context, in pim.CreateInput) (*pim.Request, error) {
	body, err := assignBody(in)
	if err != nil {
		return nil, invalid(OpCreateRequest, err)
	}
	return k.create(ctx, OpCreateRequest, body)
}

// Remove submits an adminRemove request for the triple and returns that new request.
func (k *kindClient) Remove(ctx context.Context, t pim.Triple, justification string) (*pim.Request, error) {
	body, err := removeBody(t, justification)
	if err != nil {
		return nil, invalid(OpRemoveAccess, err)
	}
	return k.create(ctx, OpRemoveAccess, body)
}

// create sends one new request, once; an answer without the new request's id is no answer.
func (k *kindClient) create(ctx context.Context, op string, body *wireRequest) (*pim.Request, error) {
	return one(ctx, k, op, "request", body, func(ctx context.Context, g *group) (*info, error) { return k.coll.createRequest(ctx, g) },
		func(w *wireRequest) (pim.Request, error) {
			if w.ID == "" {
				return pim.Request{}, errNoBody
			}
			return w.request(), nil
		})
}

// GetRequest reads one request; an unknown or purged id is ClassNotFound.
func (k *kindClient) GetRequest(ctx context.Context, id string) (*pim.Request, error) {
	if err := checkID(OpGetRequest, "request", id); err != nil {
		return nil, err
	}
	return one(ctx, k, OpGetRequest, "request", nil, func(ctx context.Context, g *group) (*info, error) { return k.coll.getRequest(ctx, g, id) },
		func(w *wireRequest) (pim.Request, error) { return w.request(), nil })
}

// GetSchedule reads one schedule by id ({groupId}_{accessId}_{guid}).
func (k *kindClient) GetSchedule(ctx context.Context, id string) (*pim.Schedule, error) {
	if err := checkID(OpGetSchedule, "schedule", id); err != nil {
		return nil, err
	}
	return one(ctx, k, OpGetSchedule, "schedule", nil, func(ctx context.Context, g *group) (*info, error) { return k.coll.getSchedule(ctx, g, id) },
		func(w *wireAccess) (pim.Schedule, error) { return w.schedule(), nil })
}

// FindRequests lists the requests of a principal in a group, following every page.
func (k *kindClient) FindRequests(ctx context.Context, principalID, groupID string) ([]pim.Request, error) {
	if principalID == "" || groupID == "" {
		return nil, invalid(OpFindRequests, errors.New("principalId and groupId are required"))
	}
	var out []pim.Request
	err := k.call(ctx, OpFindRequests, func(ctx context.Context) error {
		all, err := listAll[wireRequest](ctx, k.Client, "request", pairFilter(principalID, groupID), k.onGroup(k.coll.listRequests), k.onGroup(k.coll.nextRequests))
		out = nil
		for _, w := range all {
			out = append(out, w.request())
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FindLiveSchedules lists the triple's live schedules, newest first (see liveSchedules).
func (k *kindClient) FindLiveSchedules(ctx context.Context, t pim.Triple) ([]pim.Schedule, error) {
	if t.PrincipalID == "" || t.GroupID == "" {
		return nil, invalid(OpFindLiveSchedules, errors.New("principalId and groupId are required"))
	}
	access, err := accessOf(t)
	if err != nil {
		return nil, invalid(OpFindLiveSchedules, err)
	}
	var out []pim.Schedule
	err = k.call(ctx, OpFindLiveSchedules, func(ctx context.Context) error {
		all, err := listAll[wireAccess](ctx, k.Client, "schedule", pairFilter(t.PrincipalID, t.GroupID), k.onGroup(k.coll.listSchedules), k.onGroup(k.coll.nextSchedules))
		out = liveSchedules(all, access)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Cancel cancels a request that is not provisioned yet; Graph answers 204.
func (k *kindClient) Cancel(ctx context.Context, id string) error {
	if err := checkID(OpCancelRequest, "request", id); err != nil {
		return err
	}
	return k.call(ctx, OpCancelRequest, func(ctx context.Context) error {
		ri, err := k.coll.cancelRequest(ctx, k.group(), id)
		if err != nil {
			return err
		}
		_, err = k.send(ctx, ri, nil)
		return err
	})
}

// one runs an operation whose answer is one entity: build the request, send it (with body,
// for a POST), decode the answer as W and convert it.
func one[W, P any](ctx context.Context, k *kindClient, op, what string, body *wireRequest,
	build func(context.Context, *group) (*info, error), convert func(*W) (P, error),
) (*P, error) {
	var out P
	err := k.call(ctx, op, func(ctx context.Context) error {
		ri, err := build(ctx, k.group())
		if err != nil {
			return err
		}
		raw, err := k.send(ctx, ri, body)
		if err != nil {
			return err
		}
		w, err := decodeEntity[W](what, raw)
		if err != nil {
			return err
		}
		out, err = convert(w)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// maxPages bounds how many @odata.nextLink pages a list follows: a principal has a handful of
// requests per group, and a server that keeps linking must not hold a worker forever.
const maxPages = 50

// listAll reads a filtered collection and every page after it: first builds the request of
// the first page from the filter, next that of a page from its @odata.nextLink.
func listAll[T any](ctx context.Context, c *Client, what, filter string,
	first func(context.Context, string) (*info, error), next func(context.Context, string) (*info, error),
) ([]*T, error) {
	var all []*T
	ri, err := first(ctx, filter)
	for page := 1; err == nil; page++ {
		var raw []byte
		if raw, err = c.send(ctx, ri, nil); err != nil {
			break
		}
		var p *wirePage[T]
		if p, err = decodePage[T](what, raw); err != nil {
			break
		}
		all = append(all, p.Value...)
		switch {
		case p.NextLink == "":
			return all, nil
		case page >= maxPages:
			return nil, fmt.Errorf("more than %d pages of %ss", maxPages, what)
		}
		ri, err = next(ctx, p.NextLink)
	}
	return nil, err
}

// onGroup binds a collection function to a fresh group builder per call (see collection).
func (c *Client) onGroup(f func(context.Context, *group, string) (*info, error)) func(context.Context, string) (*info, error) {
	return func(ctx context.Context, arg string) (*info, error) { return f(ctx, c.group(), arg) }
}

func checkID(op, what, id string) error {
	// An empty id would address the collection instead of an item.
	if strings.TrimSpace(id) == "" {
		return invalid(op, fmt.Errorf("the %s id is empty", what))
	}
	return nil
}

// invalid is an input the operator should never have produced; nothing is sent.
func invalid(op string, err error) *pim.Error {
	return &pim.Error{Op: op, Class: pim.ClassUserFixable, NotSent: true, Detail: "invalid input: " + err.Error()}
}

// pairFilter is Graph's required $filter: an eq on principalId and groupId.
func pairFilter(principalID, groupID string) string {
	return fmt.Sprintf("principalId eq '%s' and groupId eq '%s'", odataString(principalID), odataString(groupID))
}

// odataString escapes a value for a single-quoted OData literal.
func odataString(s string) string { return strings.ReplaceAll(s, "'", "''") }
