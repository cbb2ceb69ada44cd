// Package graphemu is an in-process Microsoft Graph v1.0 for PIM for Groups: an http.Handler
// that answers the calls msgraph-sdk-go makes, over real HTTP, the way Graph's documentation
// says Graph answers them. The operator's tests drive the real SDK against it;
// hack/graph-emulator serves it as a standalone process. docs/graph.md lists the Graph
// behaviour it follows, with the evidence and the test of each row.
//
// # Graph surface (base URL http://HOST/v1.0/identityGovernance/privilegedAccess/group)
//
// Each path exists twice, for KindAssignment (assignment…) and KindEligibility (eligibility…):
//
//	POST …/assignmentScheduleRequests                       createRequest (adminAssign, adminRemove)
//	GET  …/assignmentScheduleRequests?$filter=…             listRequests
//	GET  …/assignmentScheduleRequests/{id}                  getRequest
//	POST …/assignmentScheduleRequests/{id}/cancel           cancelRequest → 204
//	GET  …/assignmentSchedules?$filter=…, …/{id}            listSchedules, getSchedule
//	GET  …/assignmentScheduleInstances?$filter=…, …/{id}    listInstances, getInstance
//
// and a group's PIM settings (kind KindPolicy), under http://HOST/v1.0/policies:
//
//	GET  …/roleManagementPolicyAssignments?$filter=scopeId eq '{g}' and scopeType eq 'Group'
//	     [and roleDefinitionId eq '{member|owner}'][&$expand=policy($expand=rules)]  listPolicyAssignments
//	GET  …/roleManagementPolicies?$filter=…[&$expand=rules($select=…)]             listPolicies
//	GET  …/roleManagementPolicies/{id}[?$expand=rules]                               getPolicy
//	GET  …/roleManagementPolicies/{id}/rules                                         listPolicyRules
//
// Behaviour, with the Graph evidence it follows (the same for both kinds unless said):
//
//   - adminAssign is Provisioned at once, or Granted when its start is in the future (it
//     becomes Provisioned when the clock reaches the start); a start in the past is served as
//     the processing time, as the documented create answers. A Granted request reports its
//     start as completedDateTime. Approval never applies to it. With
//     Options.ProvisioningDelay it is PendingProvisioning first (not cancellable).
//   - One live assignment, and one live eligibility, per (principalId, groupId, accessId): a
//     second adminAssign is 400 RoleAssignmentExists; while a request for the triple is still
//     pending, 400 PendingRoleAssignmentRequest.
//   - adminRemove acts on the triple: a new request, itself Revoked at once, without
//     targetScheduleId, completedDateTime or (unless sent) scheduleInfo, as documented; it ends
//     the schedule, and the assigning request stays Provisioned. An assignment younger than
//     the minimum active age (5 minutes; Options.EligibilityMinActiveAge for eligibilities,
//     none by default) gives 400 ActiveDurationTooShort; nothing live gives 400
//     RoleAssignmentDoesNotExist.
//   - cancel answers 204 No Content from Granted, PendingApproval and PendingAdminDecision
//     (status becomes Canceled), 400 RequestCannotBeCancelled from any other status, 404 for
//     an unknown or purged id, or one of the other kind.
//   - Every assigning request's targetScheduleId is {groupId}_{accessId}_{request id}, and
//     its schedule has that id. Schedules are served while live (Provisioned, or Granted for a
//     future start); instances while Provisioned, with ids of their own. Removed, expired or
//     cancelled ones are 404 by id and absent from lists; expiry leaves the request
//     Provisioned.
//   - Lists require an eq on principalId or groupId (400 otherwise, or an empty list with
//     Options.UnscopedListEmpty); $filter accepts "and" of the comparisons each property's
//     documentation lists (eq, ne, eq null). A new request stays out of lists for
//     Options.ListLag; GET by id sees it at once.
//   - Answers carry exactly the properties of their CSDL types, enums in the metadata's
//     spelling (memberType "direct", assignmentType "assigned"; Options.CapitalizedMemberTypes
//     answers "Direct"/"Assigned" as most examples do). Enum values in requests are read
//     without regard to case.
//   - Validation: the types are closed, so a property a type does not declare is 400
//     BadRequest (annotations such as @odata.type aside); action, accessId, principalId and
//     groupId (GUIDs) are required; scheduleInfo is required for adminAssign; justification is
//     at most 500 characters; durations are xsd:duration without weeks ("P30D", "PT8H"
//     accepted; "P4W2D" rejected). Unreadable values are 400 BadRequest, unacceptable requests
//     400 InvalidRoleAssignmentRequest.
//   - Every group has one PIM policy per access (member, owner), served by the policy reads
//     (17 rules, as the group examples show them) and enforced on adminAssign: a request that
//     breaks the administrator's expiration or enablement rule of its level is 400
//     RoleAssignmentRequestPolicyValidationFailed, "The following policy rules failed:
//     ["ExpirationRule","JustificationRule","MfaRule","TicketingRule"]" (those that failed).
//     maximumDuration bounds every request that ends (an afterDateTime from its effective
//     start); MultiFactorAuthentication always fails, since the caller is an application.
//     A group's policy is the unrestricted one until SetGroupPolicy sets it (or
//     Options.DocumentedGroupPolicies makes the examples' defaults the default), so requests
//     that ignore policies keep working. adminRemove and seeded requests are not checked.
//   - What Graph serves but the emulator does not model is 501 NotImplemented:
//     filterByCurrentUser, $select and the other query options, actions other than
//     adminAssign and adminRemove.
//   - Request bodies may be gzip-compressed (Content-Encoding: gzip), as kiota's default
//     compression handler sends them; the call log keeps the decompressed body.
//   - Every answer carries request-id and client-request-id headers (the latter echoed when
//     the client sent one); every error is Graph's body
//     {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}
//     with Content-Type application/json. With Options.RequireToken a call without
//     "Authorization: Bearer <token>" is 401 InvalidAuthenticationToken.
//
// # Clock
//
// The emulator keeps its own clock: Options.Now (default time.Now) plus whatever Advance
// added. State moves lazily with it: on every call, every Go API read and every Advance.
//
// # Faults
//
// AddFault makes chosen calls fail, by kind, operation and action: a status with Graph's error
// body (429 with Retry-After; a 404 that reads as a real miss), a raw body (an HTML 502, {}),
// latency, ResetBeforeApply (reset the connection, change nothing) or DropAfterApply (perform
// the change, then drop the connection), for a count, a rate or a window of the clock. See
// Fault.
//
// # Go control API
//
// Advance, Now, SetListLag, SetMinActiveAge, SetEligibilityMinActiveAge,
// SetProvisioningDelay, SetRequireToken, SetUnscopedListEmpty, SetCapitalizedMemberTypes,
// SetApprovalRequired, SetGroupPolicy, ClearGroupPolicy, GroupPolicy, SetDocumentedGroupPolicies,
// SeedEligibility, SeedActivation, SeedAssignment, Approve, Deny, Purge,
// SetRequestStatus, Request, Requests, EligibilityRequests, Schedule, Schedules,
// EligibilitySchedules, AddFault, ClearFaults, Faults, Calls, ResetCalls, CountCalls,
// CountCallsWithAction, CountKindCalls, Settings, Reset.
//
// # HTTP control API (under /_emulator/, no token, not in the call log)
//
// Durations are Go duration strings; times RFC 3339.
//
//	GET    /_emulator/clock                      {"now": …}
//	POST   /_emulator/clock/advance              {"duration":"10m"} → {"now": …}
//	GET    /_emulator/settings
//	PUT    /_emulator/settings                   any of {"minActiveAge","eligibilityMinActiveAge","listLag",
//	                                             "provisioningDelay","requireToken","unscopedListEmpty","capitalizedMemberTypes",
//	                                             "documentedGroupPolicies"}
//	PUT    /_emulator/groups/{groupId}/approval  {"required":true}
//	PUT    /_emulator/groups/{groupId}/policy    {"accessId":"member","assignment":{"expirationRequired","maximumDuration","enabledRules"},
//	                                             "eligibility":{…}}: absent parts as the documented defaults (DocumentedGroupPolicy),
//	                                             accessId "" for both → 200 with the group's policies
//	GET    /_emulator/groups/{groupId}/policy    {"groupId","member":{"explicit",…},"owner":{…}}
//	DELETE /_emulator/groups/{groupId}/policy    back to the default policy (?accessId=member|owner for one)
//	POST   /_emulator/eligibilities              {"principalId","groupId","accessId","justification","start","duration"} → 201 request, 409 if eligible
//	POST   /_emulator/activations                {"principalId","groupId","accessId","justification","duration"} → 201 request, 409 without an eligibility
//	POST   /_emulator/assignments                {"principalId","groupId","accessId","justification","start","duration"} → 201 request, 409 if assigned
//	GET    /_emulator/requests                   every assignment request (snapshots)
//	GET    /_emulator/eligibilityRequests        every eligibility request
//	GET    /_emulator/requests/{id}              a request of either kind
//	POST   /_emulator/requests/{id}/approve      204; 404 unknown; 409 wrong state
//	POST   /_emulator/requests/{id}/deny
//	POST   /_emulator/requests/{id}/purge
//	PUT    /_emulator/requests/{id}/status       {"status":"PendingAdminDecision"}
//	GET    /_emulator/schedules                  every assignment schedule, ended ones included
//	GET    /_emulator/eligibilitySchedules       every eligibility schedule, ended ones included
//	GET    /_emulator/faults
//	POST   /_emulator/faults                     {"kind","operation","action","status","code","message","retryAfter","body",
//	                                             "contentType","latency","resetBeforeApply","dropAfterApply","rate","count","activeFor"} → 201
//	DELETE /_emulator/faults
//	GET    /_emulator/calls
//	DELETE /_emulator/calls
//	POST   /_emulator/reset                      forget requests, schedules, approvals, group policies, faults, calls
//
// For example, against hack/graph-emulator on its default address:
//
//	curl -s -X POST localhost:8081/_emulator/clock/advance -d '{"duration":"10m"}'
//	curl -s -X PUT  localhost:8081/_emulator/settings -d '{"listLag":"3s","minActiveAge":"0s"}'
//	curl -s -X PUT  localhost:8081/_emulator/groups/2b5ed229-4072-478d-9504-a047ebd4b07d/policy \
//	     -d '{"assignment":{"maximumDuration":"PT8H","enabledRules":["Justification","MultiFactorAuthentication"]}}'
//	curl -s -X POST localhost:8081/_emulator/faults -d '{"operation":"createRequest","status":429,"retryAfter":"2s","count":1}'
//	curl -s -X POST localhost:8081/_emulator/eligibilities \
//	     -d '{"principalId":"3cce9d87-3986-4f19-8335-7ed075408ca2","groupId":"2b5ed229-4072-478d-9504-a047ebd4b07d"}'
//	curl -s -X POST localhost:8081/_emulator/activations \
//	     -d '{"principalId":"3cce9d87-3986-4f19-8335-7ed075408ca2","groupId":"2b5ed229-4072-478d-9504-a047ebd4b07d","duration":"2h"}'
//	curl -s localhost:8081/_emulator/calls
package graphemu
