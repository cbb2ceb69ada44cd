// Package graph is the production pim.Graph: Microsoft Graph's PIM-for-Groups API through
// msgraph-sdk-go. The SDK's request builders make every request and its request adapter sends
// it, through the authentication provider and a fixed middleware list; the answers come back
// as bytes and are decoded here into this package's own wire types, because kiota's parsers
// misread what Graph sends (durations, zone-less times, enum spellings) and the SDK's models
// and error values panic on odd bodies. No SDK type or SDK error value leaves this package:
// every failure is a *pim.Error built from plain values (DESIGN §5).
//
// Assignments and eligibilities differ by URL only (collections.go); one code path serves
// both. Client is also the pim.PolicyReader of a group's PIM settings (policy.go): one list of
// the group's role management policy assignments with the policy and its rules expanded,
// counted under the kind label "policy". One Client per process, safe for concurrent use: request-builder chains are built
// fresh for every call, and the request adapter is read-only after New.
package graph
