// Package graphemu is an in-process Microsoft Graph v1.0 for PIM-for-Groups assignment
// schedule requests: an http.Handler that answers the calls msgraph-sdk-go makes, over real
// HTTP, the way Graph's documentation says Graph answers them. The operator's tests drive the
// real SDK against it; hack/graph-emulator serves it as a standalone process.
//
// # Graph surface (base URL http://HOST/v1.0)
//
//	POST /identityGovernance/privilegedAccess/group/assignmentScheduleRequests            createRequest
//	GET  /identityGovernance/privilegedAccess/group/assignmentScheduleRequests?$filter=…  listRequests
//	GET  /identityGovernance/privilegedAccess/group/assignmentScheduleRequests/{id}       getRequest
//	POST /identityGovernance/privilegedAccess/group/assignmentScheduleRequests/{id}/cancel cancelRequest
//	GET  /identityGovernance/privilegedAccess/group/assignmentSchedules?$filter=…         listSchedules
//	GET  /identityGovernance/privilegedAccess/group/assignmentSchedules/{id}              getSchedule
//
// Behaviour, with the Graph evidence it follows:
//
//   - adminAssign is Provisioned at once, or Granted when its start is in the future (it
//     becomes Provisioned when the clock reaches the start). A Granted request reports its
//     start as completedDateTime, as Graph's example does. Approval never applies to it.
//     With Options.ProvisioningDelay it is PendingProvisioning first (not cancellable).
//   - A second adminAssign for a (principalId, groupId, accessId) that is Provisioned or
//     Granted is 400 RoleAssignmentExists; while a request for it is still pending, 400
//     PendingRoleAssignmentRequest.
//   - adminRemove acts on the triple: a new request, itself Revoked at once, that ends the
//     schedule; the assigning request stays Provisioned. An assignment younger than the
//     minimum active age (5 minutes) gives 400 ActiveDurationTooShort; nothing live gives 400
//     RoleAssignmentDoesNotExist.
//   - cancel answers 204 No Content from Granted, PendingApproval and PendingAdminDecision
//     (status becomes Canceled), 400 RequestCannotBeCancelled from any other status, 404 for
//     an unknown or purged id.
//   - Every request's targetScheduleId is {groupId}_{accessId}_{request id}, Graph's form;
//     an assigning request's schedule has that id.
//   - Lists require an eq on principalId or groupId (400 otherwise, or an empty list with
//     Options.UnscopedListEmpty); $filter supports eq/ne comparisons joined by and. A new
//     request stays out of lists for Options.ListLag; GET by id sees it at once.
//   - Schedules are served while live (Provisioned, or Granted for a future start); a removed,
//     expired or cancelled schedule is 404 by id and absent from lists. Expiry does not change
//     the request, which stays Provisioned.
//   - Validation: action, accessId, principalId and groupId (GUIDs) are required; scheduleInfo
//     is required for adminAssign; justification is at most 500 characters; durations are
//     xsd:duration without weeks ("P30D", "PT8H" accepted; "P4W2D" rejected). Unreadable
//     values are 400 BadRequest, unacceptable requests 400 InvalidRoleAssignmentRequest.
//     Other actions are refused with 400 InvalidRoleAssignmentRequest.
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
// AddFault makes chosen operations fail: a status with Graph's error body (429 with
// Retry-After), a raw malformed body, latency, or DropAfterApply — perform the change, then
// drop the connection without an answer. See Fault.
//
// # Go control API
//
// Advance, Now, SetListLag, SetMinActiveAge, SetProvisioningDelay, SetRequireToken,
// SetUnscopedListEmpty, SetApprovalRequired, SeedActivation, SeedAssignment, Approve, Deny,
// Purge, SetRequestStatus, Request, Requests, Schedule, Schedules, AddFault, ClearFaults,
// Faults, Calls, ResetCalls, CountCalls, CountCallsWithAction, Settings, Reset.
//
// # HTTP control API (under /_emulator/, no token, not in the call log)
//
// Durations are Go duration strings; times RFC 3339.
//
//	GET    /_emulator/clock                      {"now": …}
//	POST   /_emulator/clock/advance              {"duration":"10m"} → {"now": …}
//	GET    /_emulator/settings
//	PUT    /_emulator/settings                   any of {"minActiveAge","listLag","provisioningDelay","requireToken","unscopedListEmpty"}
//	PUT    /_emulator/groups/{groupId}/approval  {"required":true}
//	POST   /_emulator/activations                {"principalId","groupId","accessId","justification","duration"} → 201 request
//	POST   /_emulator/assignments                {"principalId","groupId","accessId","justification","start","duration"} → 201 request, 409 if assigned
//	GET    /_emulator/requests                   every request (snapshots)
//	GET    /_emulator/requests/{id}
//	POST   /_emulator/requests/{id}/approve      204; 404 unknown; 409 wrong state
//	POST   /_emulator/requests/{id}/deny
//	POST   /_emulator/requests/{id}/purge
//	PUT    /_emulator/requests/{id}/status       {"status":"PendingAdminDecision"}
//	GET    /_emulator/schedules                  every schedule, ended ones included
//	GET    /_emulator/faults
//	POST   /_emulator/faults                     {"operation","action","status","code","message","retryAfter","body","contentType","latency","dropAfterApply","rate","count"} → 201
//	DELETE /_emulator/faults
//	GET    /_emulator/calls
//	DELETE /_emulator/calls
//	POST   /_emulator/reset                      forget requests, schedules, approvals, faults, calls
//
// For example, against hack/graph-emulator on its default address:
//
//	curl -s -X POST localhost:8081/_emulator/clock/advance -d '{"duration":"10m"}'
//	curl -s -X PUT  localhost:8081/_emulator/settings -d '{"listLag":"3s","minActiveAge":"0s"}'
//	curl -s -X POST localhost:8081/_emulator/faults -d '{"operation":"createRequest","status":429,"retryAfter":"2s","count":1}'
//	curl -s -X POST localhost:8081/_emulator/activations \
//	     -d '{"principalId":"3cce9d87-3986-4f19-8335-7ed075408ca2","groupId":"2b5ed229-4072-478d-9504-a047ebd4b07d","duration":"2h"}'
//	curl -s localhost:8081/_emulator/calls
package graphemu
