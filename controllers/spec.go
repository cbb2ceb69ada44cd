package controllers

import (
	"time"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// The one conversion from what the user wrote (the API spec) to what goes to Graph.

// specTriple is the (principal, group, access) the spec asks for.
func specTriple(spec *v1.RequestSpec) pim.Triple {
	return pim.Triple{PrincipalID: spec.PrincipalID, GroupID: spec.GroupID, AccessID: pim.AccessID(spec.AccessID.OrMember())}
}

// statusTriple is the (principal, group, access) Graph reported for the request.
func statusTriple(st *v1.RequestStatus) pim.Triple {
	return pim.Triple{PrincipalID: st.PrincipalID, GroupID: st.GroupID, AccessID: pim.AccessID(st.AccessID.OrMember())}
}

// createInput is the adminAssign request for obj's spec, with obj's marker appended to the
// justification.
func createInput(obj Object) pim.CreateInput {
	spec := obj.GetRequestSpec()
	in := pim.CreateInput{
		Triple:        specTriple(spec),
		Justification: pim.AppendMarker(spec.Justification, obj.GetNamespace(), obj.GetName(), string(obj.GetUID())),
	}
	if t := spec.Ticket; t != nil {
		in.Ticket = &pim.Ticket{System: t.System, Number: t.Number}
	}
	if s := spec.Schedule; s != nil {
		in.Schedule.Start = timePtr(s.StartDateTime)
		in.Schedule.Expiration.Type = pim.ExpirationType(s.Expiration.Type)
		in.Schedule.Expiration.EndDateTime = timePtr(s.Expiration.EndDateTime)
		if s.Expiration.Duration != nil {
			in.Schedule.Expiration.Duration, _ = s.Expiration.Duration.Get()
		}
	}
	return in
}

// timePtr is the time written, nil when unset or unreadable (specError reports that first).
func timePtr(t *v1.Time) *time.Time {
	if t == nil {
		return nil
	}
	v, err := t.Get()
	if err != nil {
		return nil
	}
	return &v
}

// specError says which value of the spec the operator cannot read, or "" when it reads all.
// The CRD rejects such values; only an object stored before it checked them can hold one.
func specError(spec *v1.RequestSpec) string {
	s := spec.Schedule
	if s == nil {
		return ""
	}
	check := []struct {
		field string
		get   func() error
	}{
		{"spec.schedule.startDateTime", func() error { return getErr(s.StartDateTime) }},
		{"spec.schedule.expiration.endDateTime", func() error { return getErr(s.Expiration.EndDateTime) }},
		{"spec.schedule.expiration.duration", func() error {
			if s.Expiration.Duration == nil {
				return nil
			}
			_, err := s.Expiration.Duration.Get()
			return err
		}},
	}
	for _, c := range check {
		if err := c.get(); err != nil {
			return c.field + ": " + err.Error()
		}
	}
	return ""
}

func getErr(t *v1.Time) error {
	if t == nil {
		return nil
	}
	_, err := t.Get()
	return err
}
