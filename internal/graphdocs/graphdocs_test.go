package graphdocs

import "testing"

func TestLoad(t *testing.T) {
	exs, err := Examples()
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) < 33 {
		t.Fatalf("%d examples, want the 33 documented ones", len(exs))
	}
	lenient := 0
	for _, ex := range exs {
		if ex.Response.Lenient() {
			lenient++
		}
	}
	if lenient != 6 {
		t.Errorf("%d bodies in lenient form, want the 6 that are not valid JSON as published", lenient)
	}
	s, err := LoadSchema()
	if err != nil {
		t.Fatal(err)
	}
	props := s.PropertyNames("microsoft.graph.privilegedAccessGroupAssignmentScheduleRequest")
	if len(props) != 16 {
		t.Errorf("assignment request properties %v", props)
	}
}
