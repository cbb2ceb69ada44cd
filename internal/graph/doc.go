// Package graph is the production pim.Client: Microsoft Graph's PIM-for-Groups API through
// msgraph-sdk-go, with the SDK's sharp edges filed off. No SDK type or SDK error value leaves
// this package: every failure is a *pim.Error built from plain values, because formatting an
// SDK error can panic (DESIGN §5).
//
// One Client per process. It is safe for concurrent use: request-builder chains are built
// fresh for every call, and the only shared state is the request adapter, which is read-only
// after New.
package graph
