package graph

import "strings"

// enum is the members of one CSDL enum type, in the CSDL's spelling (lower camel case).
// Graph's documented examples spell the same values "Direct", "Assigned", "SelfActivate",
// "AfterDuration", "AdminAssign": the service is not held to the metadata's case, so values
// are matched without it.
type enum []string

var (
	accessIDs       = enum{"owner", "member"}
	actions         = enum{"adminAssign", "adminUpdate", "adminRemove", "selfActivate", "selfDeactivate", "adminExtend", "adminRenew", "selfExtend", "selfRenew"}
	memberTypes     = enum{"direct", "group"}
	assignmentTypes = enum{"assigned", "activated"}
	expirationTypes = enum{"notSpecified", "noExpiration", "afterDateTime", "afterDuration"}
)

// unknownFutureValue is the member every evolvable Graph enum ends with: what the service
// sends a client that has not asked for newer members. It names no value, so it reads as none.
const unknownFutureValue = "unknownFutureValue"

// normalize returns the member that v spells in any case. A value that is no member is kept
// as Graph sent it: a newer value must stay visible rather than look like no value at all.
func (e enum) normalize(v string) string {
	for _, m := range e {
		if strings.EqualFold(v, m) {
			return m
		}
	}
	if strings.EqualFold(v, unknownFutureValue) {
		return ""
	}
	return v
}
