package graph

import (
	"context"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/identitygovernance"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// collection is what differs between the kinds: the URLs. Each function has msgraph-sdk-go's
// request builders produce the request of one operation, so the SDK, not this package, knows
// Graph's paths; everything after that (sending, decoding, errors, metrics) is shared.
//
// The functions start from the group builder that the caller has just made: a request builder
// holds a mutable path-parameter map, so a builder kept between calls is a data race.
type collection struct {
	listRequests  func(ctx context.Context, g *group, filter string) (*info, error)
	nextRequests  func(ctx context.Context, g *group, nextLink string) (*info, error)
	getRequest    func(ctx context.Context, g *group, id string) (*info, error)
	createRequest func(ctx context.Context, g *group) (*info, error)
	cancelRequest func(ctx context.Context, g *group, id string) (*info, error)
	listSchedules func(ctx context.Context, g *group, filter string) (*info, error)
	nextSchedules func(ctx context.Context, g *group, nextLink string) (*info, error)
	getSchedule   func(ctx context.Context, g *group, id string) (*info, error)
}

type (
	group = identitygovernance.PrivilegedAccessGroupRequestBuilder
	info  = abstractions.RequestInformation
)

// collections is written one operation at a time, both kinds side by side, so that a
// difference between them other than the URL stands out.
var collections = map[pim.Kind]*collection{pim.KindAssignment: {}, pim.KindEligibility: {}}

func init() {
	a, e := collections[pim.KindAssignment], collections[pim.KindEligibility]

	a.getRequest = func(ctx context.Context, g *group, id string) (*info, error) {
		return g.AssignmentScheduleRequests().ByPrivilegedAccessGroupAssignmentScheduleRequestId(id).ToGetRequestInformation(ctx, nil)
	}
	e.getRequest = func(ctx context.Context, g *group, id string) (*info, error) {
		return g.EligibilityScheduleRequests().ByPrivilegedAccessGroupEligibilityScheduleRequestId(id).ToGetRequestInformation(ctx, nil)
	}

	a.getSchedule = func(ctx context.Context, g *group, id string) (*info, error) {
		return g.AssignmentSchedules().ByPrivilegedAccessGroupAssignmentScheduleId(id).ToGetRequestInformation(ctx, nil)
	}
	e.getSchedule = func(ctx context.Context, g *group, id string) (*info, error) {
		return g.EligibilitySchedules().ByPrivilegedAccessGroupEligibilityScheduleId(id).ToGetRequestInformation(ctx, nil)
	}

	a.listRequests = func(ctx context.Context, g *group, filter string) (*info, error) {
		return g.AssignmentScheduleRequests().ToGetRequestInformation(ctx, &identitygovernance.PrivilegedAccessGroupAssignmentScheduleRequestsRequestBuilderGetRequestConfiguration{QueryParameters: &identitygovernance.PrivilegedAccessGroupAssignmentScheduleRequestsRequestBuilderGetQueryParameters{Filter: &filter}})
	}
	e.listRequests = func(ctx context.Context, g *group, filter string) (*info, error) {
		return g.EligibilityScheduleRequests().ToGetRequestInformation(ctx, &identitygovernance.PrivilegedAccessGroupEligibilityScheduleRequestsRequestBuilderGetRequestConfiguration{QueryParameters: &identitygovernance.PrivilegedAccessGroupEligibilityScheduleRequestsRequestBuilderGetQueryParameters{Filter: &filter}})
	}

	a.nextRequests = func(ctx context.Context, g *group, next string) (*info, error) {
		return g.AssignmentScheduleRequests().WithUrl(next).ToGetRequestInformation(ctx, nil)
	}
	e.nextRequests = func(ctx context.Context, g *group, next string) (*info, error) {
		return g.EligibilityScheduleRequests().WithUrl(next).ToGetRequestInformation(ctx, nil)
	}

	// The SDK serialises a model as the body; an empty one stands in, and send replaces the
	// content with this package's own JSON (kiota would write durations in weeks).
	a.createRequest = func(ctx context.Context, g *group) (*info, error) {
		return g.AssignmentScheduleRequests().ToPostRequestInformation(ctx, models.NewPrivilegedAccessGroupAssignmentScheduleRequest(), nil)
	}
	e.createRequest = func(ctx context.Context, g *group) (*info, error) {
		return g.EligibilityScheduleRequests().ToPostRequestInformation(ctx, models.NewPrivilegedAccessGroupEligibilityScheduleRequest(), nil)
	}

	a.nextSchedules = func(ctx context.Context, g *group, next string) (*info, error) {
		return g.AssignmentSchedules().WithUrl(next).ToGetRequestInformation(ctx, nil)
	}
	e.nextSchedules = func(ctx context.Context, g *group, next string) (*info, error) {
		return g.EligibilitySchedules().WithUrl(next).ToGetRequestInformation(ctx, nil)
	}

	a.cancelRequest = func(ctx context.Context, g *group, id string) (*info, error) {
		return g.AssignmentScheduleRequests().ByPrivilegedAccessGroupAssignmentScheduleRequestId(id).Cancel().ToPostRequestInformation(ctx, nil)
	}
	e.cancelRequest = func(ctx context.Context, g *group, id string) (*info, error) {
		return g.EligibilityScheduleRequests().ByPrivilegedAccessGroupEligibilityScheduleRequestId(id).Cancel().ToPostRequestInformation(ctx, nil)
	}

	a.listSchedules = func(ctx context.Context, g *group, filter string) (*info, error) {
		return g.AssignmentSchedules().ToGetRequestInformation(ctx, &identitygovernance.PrivilegedAccessGroupAssignmentSchedulesRequestBuilderGetRequestConfiguration{QueryParameters: &identitygovernance.PrivilegedAccessGroupAssignmentSchedulesRequestBuilderGetQueryParameters{Filter: &filter}})
	}
	e.listSchedules = func(ctx context.Context, g *group, filter string) (*info, error) {
		return g.EligibilitySchedules().ToGetRequestInformation(ctx, &identitygovernance.PrivilegedAccessGroupEligibilitySchedulesRequestBuilderGetRequestConfiguration{QueryParameters: &identitygovernance.PrivilegedAccessGroupEligibilitySchedulesRequestBuilderGetQueryParameters{Filter: &filter}})
	}
}
