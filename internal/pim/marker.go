package pim

import (
	"fmt"
	"strings"
)

// MaxJustificationLength is Graph's limit on a request's justification.
const MaxJustificationLength = 500

const markerPrefix = "[pim-operator.dev "

// Marker is the text the operator appends to every justification it sends, so that its own
// request can be recognised in a list (by the object's UID) and traced in the Entra audit log
// (by namespace and name).
func Marker(namespace, name, uid string) string {
	return fmt.Sprintf("%s%s/%s uid=%s]", markerPrefix, namespace, name, uid)
}

// AppendMarker returns the user's justification followed by the marker, shortening the
// object's name when needed to stay within Graph's limit; the UID is never shortened.
func AppendMarker(justification, namespace, name, uid string) string {
	sep := ""
	if justification != "" {
		sep = " "
	}
	m := Marker(namespace, name, uid)
	if over := len(justification) + len(sep) + len(m) - MaxJustificationLength; over > 0 && over < len(name) {
		m = Marker(namespace, name[:len(name)-over], uid)
	}
	return justification + sep + m
}

// HasMarker reports whether justification carries the marker of the object with this UID.
func HasMarker(justification, uid string) bool {
	if uid == "" {
		return false
	}
	i := strings.LastIndex(justification, markerPrefix)
	return i >= 0 && strings.Contains(justification[i:], " uid="+uid+"]")
}

// MarkerOwner reads the marker in justification: the namespace/name it names and the UID of
// the object it was made for. ok is false when the justification carries no marker.
func MarkerOwner(justification string) (object, uid string, ok bool) {
	i := strings.LastIndex(justification, markerPrefix)
	if i < 0 {
		return "", "", false
	}
	rest := justification[i+len(markerPrefix):]
	end := strings.LastIndex(rest, "]")
	if end < 0 {
		return "", "", false
	}
	object, uid, found := strings.Cut(rest[:end], " uid=")
	if !found || uid == "" {
		return "", "", false
	}
	return object, uid, true
}
