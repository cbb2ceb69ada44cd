// Package pim is the operator's own vocabulary for Microsoft Entra PIM-for-Groups assignment
// requests: plain domain types, the Client interface the reconciler depends on, and the typed
// errors every implementation returns. No Graph SDK type appears here, so the reconciler and its
// tests never see one.
package pim
