package main

import v1 "github.com/pim-operator/pim-operator/api/v1alpha1"

// explanation is a condition reason in words: what it means and what to do, as the README's
// troubleshooting table says it.
type explanation struct{ means, todo string }

var explanations = map[string]explanation{
	v1.ReasonNotPermitted: {
		"No PIMAccessPolicy permits what this object asks for, so nothing was sent to Graph.",
		"Read the policy verdict below. `kubectl pim policies` shows what this namespace may ask for; ask a cluster administrator for a policy, or create a request that fits one.",
	},
	v1.ReasonGraphRejected: {
		"Microsoft Graph refused the request as written, usually because of the group's PIM settings (maximum duration, justification or ticket required, no permanent assignment).",
		"Read Graph's message below, then create a corrected request.",
	},
	v1.ReasonForbidden: {
		"Graph answered 403: the operator's identity lacks an application permission, or the group's PIM policy asks for something an app cannot give (MFA on active assignment).",
		"Tell the operator's administrators: the app needs PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup (eligibility: PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup) with admin consent.",
	},
	v1.ReasonUnauthenticated: {
		"The operator has no valid Graph token.",
		"Tell the operator's administrators: check its AZURE_* environment, --graph-auth and --graph-cloud.",
	},
	v1.ReasonDuplicateAssignment: {
		"This principal already has this access to this group, assigned by someone else (or by another object).",
		"Nothing is needed if that access is what you wanted. Otherwise remove the other assignment, or adopt it with spec.requestId.",
	},
	v1.ReasonAmbiguousCreate: {
		"Several Graph requests carry this object's marker, so the operator will not guess which one is its own.",
		"Inspect them in Entra, cancel the extras, and create the object again.",
	},
	v1.ReasonRequestGone: {
		"Graph does not know the request this object names or followed.",
		"Check spec.requestId (a typo, another tenant) and create a new object with the right one.",
	},
	v1.ReasonInvalidSpec: {
		"The spec holds a value the operator cannot read (stored before the CRD checked such values); nothing was sent to Graph.",
		"Create a new object with a valid value; the message names the field.",
	},
	v1.ReasonForeignRequest: {
		"The Graph request recorded or adopted belongs to another object (its marker names that object), or is not what the spec asks for.",
		"Adopt only requests no other object manages; if this object's status was overwritten, create a new object. Deleting this one leaves the other request alone.",
	},
	v1.ReasonGroupPolicyViolation: {
		"The group's own PIM settings would refuse this request (the operator checks them before sending: --group-policy-check=enforce), so nothing was sent.",
		"Read the message: it names the group's rule and limit. Create a request within them, or ask for the group's PIM settings to change.",
	},
	v1.ReasonDenied: {
		"An approver denied the request.",
		"Create a new request if the access is still needed.",
	},
	v1.ReasonFailed: {
		"Graph failed the request.",
		"Create a new request if the access is still needed.",
	},
	v1.ReasonThrottled: {
		"Graph, or the operator's own write limit, asked it to slow down.",
		"Nothing: the operator waits as told and carries on.",
	},
	v1.ReasonGraphUnavailable: {
		"Graph failed transiently (5xx, a timeout, a request still pending on its side).",
		"Nothing: the operator retries with backoff.",
	},
	v1.ReasonPending: {
		"The request waits for an approver.",
		"Ask an approver of the group in Entra PIM.",
	},
	v1.ReasonNotStarted: {
		"The access is granted from its start time.",
		"Nothing: it becomes live at startDateTime.",
	},
	v1.ReasonExpired: {
		"The access has reached its end.",
		"Create a new request if it is still needed.",
	},
	v1.ReasonAssignmentNotOwned: {
		"The live assignment belongs to someone else (another object, the portal), so the operator did not remove it.",
		"Nothing, unless that access should end too: then end it where it was made.",
	},
}

// graphReasons are the reasons whose message carries Graph's own words (code, message,
// request-id): what `why` shows as the last Graph error.
var graphReasons = map[string]bool{
	v1.ReasonGraphRejected: true, v1.ReasonForbidden: true, v1.ReasonUnauthenticated: true,
	v1.ReasonThrottled: true, v1.ReasonGraphUnavailable: true, v1.ReasonDuplicateAssignment: true,
	v1.ReasonRequestGone: true, v1.ReasonAmbiguousCreate: true, v1.ReasonDenied: true, v1.ReasonFailed: true,
	v1.ReasonGroupPolicyViolation: true,
}
