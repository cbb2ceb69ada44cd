package pim

import "testing"

func TestMarkerOwner(t *testing.T) {
	for _, c := range []struct {
		justification, object, uid string
		ok                         bool
	}{
		{AppendMarker("on call", "team-a", "oncall", "u-1"), "team-a/oncall", "u-1", true},
		{AppendMarker("", "ns", "x", "u-2"), "ns/x", "u-2", true},
		{"made in the portal", "", "", false},
		{"[pim-operator.dev ns/x]", "", "", false},
	} {
		object, uid, ok := MarkerOwner(c.justification)
		if object != c.object || uid != c.uid || ok != c.ok {
			t.Errorf("%q: got %q %q %v", c.justification, object, uid, ok)
		}
		if ok && !HasMarker(c.justification, uid) {
			t.Errorf("%q: HasMarker disagrees", c.justification)
		}
	}
}
