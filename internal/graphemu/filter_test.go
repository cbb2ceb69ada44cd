package graphemu

import (
	"strings"
	"testing"
)

func TestParseFilter(t *testing.T) {
	target := newFilterTarget("thing", []string{"principalId", "groupId", "status", "justification"}, filterRules{
		"principalId": {"eq", "ne", "null"}, "groupId": {"eq"}, "status": {"eq", "ne"},
	})
	ok := []struct {
		text   string
		want   string // comparisons as property op value, joined by ";"
		scoped bool
	}{
		{"principalId eq 'a'", "principalId eq a", true},
		{"PRINCIPALID Eq 'a'", "principalId eq a", true},
		{"groupId eq 'g' and status ne 'Revoked'", "groupId eq g;status ne Revoked", true},
		{"((groupId eq 'g')) and (principalId eq 'p')", "groupId eq g;principalId eq p", true},
		{"status eq 'O''Brien'", "status eq O'Brien", false},
		{"principalId ne 'a'", "principalId ne a", false},
		{"principalId eq null", "principalId eq <null>", false},
		{"\tgroupId\neq  'g'  ", "groupId eq g", true},
	}
	for _, tc := range ok {
		f, err := parseFilter(tc.text, target)
		if err != nil {
			t.Errorf("parseFilter(%q): %v", tc.text, err)
			continue
		}
		parts := []string{}
		for _, c := range f {
			v := c.value
			if c.isNull {
				v = "<null>"
			}
			parts = append(parts, c.property+" "+c.op+" "+v)
		}
		if got := strings.Join(parts, ";"); got != tc.want {
			t.Errorf("parseFilter(%q) = %q, want %q", tc.text, got, tc.want)
		}
		if f.scoped() != tc.scoped {
			t.Errorf("parseFilter(%q).scoped() = %v", tc.text, f.scoped())
		}
	}
	bad := map[string]string{
		"principalId eq 'a' or groupId eq 'g'": "'and'",
		"color eq 'red'":                       "Could not find a property named 'color'",
		"principalId eq a":                     "quoted",
		"principalId eq 'a":                    "unterminated",
		"principalId lt 'a'":                   "not supported",
		"principalId 'a'":                      "operator",
		"(principalId eq 'a'":                  "')'",
		"principalId eq 'a' groupId eq 'g'":    "syntax error",
		"principalId eq 'a' and":               "property name",
		"principalId eq 'a' & x":               "unexpected character",
		// Only the operators the property's documentation lists.
		"groupId ne 'g'":       "the operator 'ne' is not supported on 'groupId'",
		"status eq null":       "'status eq null' is not supported",
		"principalId ne null":  "'principalId ne null' is not supported",
		"justification eq 'x'": "filtering on 'justification' is not supported",
	}
	for text, want := range bad {
		if _, err := parseFilter(text, target); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseFilter(%q) error = %v, want one mentioning %q", text, err, want)
		}
	}
}

func TestFilterMatch(t *testing.T) {
	f, err := parseFilter("principalId eq 'ABC' and status ne 'Revoked'", newFilterTarget("thing", []string{"principalId", "status"}, filterRules{"principalId": {"eq"}, "status": {"ne"}}))
	if err != nil {
		t.Fatal(err)
	}
	get := func(p, s string) func(string) string {
		return func(prop string) string {
			if prop == "principalId" {
				return p
			}
			return s
		}
	}
	if !f.match(get("abc", "Provisioned")) {
		t.Error("case-insensitive eq did not match")
	}
	if f.match(get("abc", "Revoked")) || f.match(get("abd", "Provisioned")) {
		t.Error("matched what it should not")
	}
}
