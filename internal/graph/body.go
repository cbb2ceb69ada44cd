package graph

import (
	"errors"
	"fmt"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// assignBody is the adminAssign request. in.Justification is sent as given: the reconciler
// has already appended its marker.
func assignBody(in pim.CreateInput) (*wireRequest, error) {
	body, err := requestBody(pim.ActionAdminAssign, in.Triple, in.Justification)
	if err != nil {
		return nil, err
	}
	if in.Ticket != nil {
		body.TicketInfo = &wireTicket{TicketSystem: in.Ticket.System, TicketNumber: in.Ticket.Number}
	}
	exp := &wireExpiration{}
	switch x := in.Schedule.Expiration; x.Type {
	case pim.ExpirationNone, "":
		exp.Type = string(pim.ExpirationNone)
	case pim.ExpirationAfterDateTime:
		if x.EndDateTime == nil {
			return nil, errors.New("expiration afterDateTime needs an end time")
		}
		exp.Type, exp.EndDateTime = string(x.Type), toDateTime(x.EndDateTime)
	case pim.ExpirationAfterDuration:
		if exp.Duration, err = formatDuration(x.Duration); err != nil {
			return nil, fmt.Errorf("expiration afterDuration: %v", err)
		}
		exp.Type = string(x.Type)
	default:
		return nil, fmt.Errorf("unknown expiration type %q", x.Type)
	}
	body.ScheduleInfo = &wireSchedule{StartDateTime: toDateTime(in.Schedule.Start), Expiration: exp}
	return body, nil
}

// removeBody is the adminRemove request: it names the access by its triple, not by a request,
// and carries no schedule.
func removeBody(t pim.Triple, justification string) (*wireRequest, error) {
	return requestBody(pim.ActionAdminRemove, t, justification)
}

func requestBody(action pim.Action, t pim.Triple, justification string) (*wireRequest, error) {
	if t.PrincipalID == "" || t.GroupID == "" {
		return nil, errors.New("principalId and groupId are required")
	}
	access, err := accessOf(t)
	if err != nil {
		return nil, err
	}
	return &wireRequest{Action: string(action), PrincipalID: t.PrincipalID, GroupID: t.GroupID,
		AccessID: string(access), Justification: justification}, nil
}

// accessOf is the triple's access kind. The caller has already applied the API's default
// (v1alpha1.AccessID.OrMember): an unset access here is a bug, not a member request.
func accessOf(t pim.Triple) (pim.AccessID, error) {
	switch t.AccessID {
	case pim.AccessMember:
		return pim.AccessMember, nil
	case pim.AccessOwner:
		return pim.AccessOwner, nil
	case "":
		return "", errors.New("accessId is required")
	default:
		return "", fmt.Errorf("unknown accessId %q", t.AccessID)
	}
}
