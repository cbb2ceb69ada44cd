// Package argocd holds the Argo CD health check for PIMAssignmentRequest; its tests run the
// script with gopher-lua, the Lua runtime Argo CD uses.
package argocd
