// Package graphdocs holds Microsoft's own data about the PIM-for-Groups API: every documented
// HTTP example of the assignment, eligibility and role-management-policy pages, and the types
// of Graph's v1.0 metadata (data/README.md says where each came from). The Graph client's and
// the emulator's conformance tests are table-driven over it, so a new example file is picked
// up without code changes. Only tests import this package.
package graphdocs

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed data/README.md data/schema*.json data/examples/*.json
var files embed.FS

// Example is one documented HTTP example: the request the page shows and the answer it
// documents.
type Example struct {
	// File is the example's file name without ".json", e.g.
	// "privilegedaccessgroup-post-assignmentschedulerequests.example1".
	File string `json:"-"`
	// Source is the page the example was taken from; Commit the version of that page.
	Source   string          `json:"source"`
	Commit   string          `json:"commit"`
	Name     string          `json:"name"`
	Request  ExampleRequest  `json:"request"`
	Response ExampleResponse `json:"response"`
}

// ExampleRequest is the documented request. Path is the part after /v1.0, query included, not
// URL-encoded.
type ExampleRequest struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// ExampleResponse is the documented answer. Body is null for the bodies that are not valid
// JSON as published; BodyLenient then holds them parsed with only their trailing commas
// removed.
type ExampleResponse struct {
	Status        int               `json:"status"`
	Headers       map[string]string `json:"headers"`
	Body          json.RawMessage   `json:"body"`
	BodyText      string            `json:"bodyText"`
	BodyJSONError string            `json:"bodyJsonError"`
	BodyLenient   json.RawMessage   `json:"bodyLenient"`
	Truncated     bool              `json:"truncated"`
	ODataType     string            `json:"odataType"`
}

// HasBody reports whether raw holds a JSON value other than null.
func HasBody(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s != "" && s != "null"
}

// BodyJSON is the answer's body as JSON: the published body, or its lenient form when the
// published one is not valid JSON; nil when the example documents no body.
func (r ExampleResponse) BodyJSON() json.RawMessage {
	if HasBody(r.Body) {
		return r.Body
	}
	if HasBody(r.BodyLenient) {
		return r.BodyLenient
	}
	return nil
}

// Lenient reports whether the published body is not valid JSON (BodyJSON is its lenient form).
func (r ExampleResponse) Lenient() bool { return !HasBody(r.Body) && HasBody(r.BodyLenient) }

// Collection reports whether the answer is a collection, and the type of its items.
func (r ExampleResponse) Collection() (itemType string, ok bool) {
	if strings.HasPrefix(r.ODataType, "Collection(") && strings.HasSuffix(r.ODataType, ")") {
		return strings.TrimSuffix(strings.TrimPrefix(r.ODataType, "Collection("), ")"), true
	}
	return r.ODataType, false
}

// Examples returns every example, in file name order.
func Examples() ([]Example, error) {
	names, err := fs.Glob(files, "data/examples/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]Example, 0, len(names))
	for _, n := range names {
		var ex Example
		if err := readJSON(n, &ex); err != nil {
			return nil, err
		}
		ex.File = strings.TrimSuffix(path.Base(n), ".json")
		if ex.Source == "" || ex.Commit == "" {
			return nil, fmt.Errorf("%s: every example names its source page and commit", n)
		}
		out = append(out, ex)
	}
	return out, nil
}

// Schema is schema.json and schema-policies.json together: the CSDL's entity, complex and enum
// types, and the docs-only facts.
type Schema struct {
	EntityTypes  map[string]Type     `json:"entityTypes"`
	ComplexTypes map[string]Type     `json:"complexTypes"`
	EnumTypes    map[string]EnumType `json:"enumTypes"`
	Operations   []Operation         `json:"operations"`
}

// Type is an entity or complex type.
type Type struct {
	BaseType   string     `json:"baseType"`
	Abstract   bool       `json:"abstract"`
	Properties []Property `json:"properties"`
	// NavigationProperties are the type's relationships: absent from an answer unless $expand
	// asks for them.
	NavigationProperties []Property `json:"navigationProperties"`
	AllProperties        []Property `json:"allProperties"`
	Docs                 *TypeDocs  `json:"docs"`
}

// Property is one structural property of a type.
type Property struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Nullable   *bool  `json:"nullable"`
	DeclaredIn string `json:"declaredIn"`
}

// TypeDocs are the facts the documentation adds to a type: the $filter operators each property
// supports, and the values it lists.
type TypeDocs struct {
	Source          string              `json:"source"`
	Commit          string              `json:"commit"`
	FilterOperators map[string][]string `json:"filterOperators"`
	ListedValues    map[string][]string `json:"listedValues"`
}

// EnumType is an enum of the CSDL.
type EnumType struct {
	Members []struct {
		Name  string `json:"name"`
		Value int    `json:"value"`
	} `json:"members"`
}

// Names are the enum's member names, in the CSDL's spelling.
func (e EnumType) Names() []string {
	out := make([]string, 0, len(e.Members))
	for _, m := range e.Members {
		out = append(out, m.Name)
	}
	return out
}

// Operation is one documented operation: its method, path and success status.
type Operation struct {
	Source        string `json:"source"`
	Commit        string `json:"commit"`
	Method        string `json:"method"`
	Path          string `json:"path"`
	SuccessStatus int    `json:"successStatus"`
	Returns       string `json:"returns"`
}

// readJSON decodes one embedded file into v; a failure names the file.
func readJSON(name string, v any) error {
	b, err := files.ReadFile(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path.Base(name), err)
	}
	return nil
}

// schemaFiles are the schema's parts: the PIM-for-Groups types, then the role management policy
// types of a group's PIM settings. A type defined in two parts is an error.
var schemaFiles = []string{"data/schema.json", "data/schema-policies.json"}

// LoadSchema reads the schema's parts into one Schema.
func LoadSchema() (*Schema, error) {
	s := &Schema{EntityTypes: map[string]Type{}, ComplexTypes: map[string]Type{}, EnumTypes: map[string]EnumType{}}
	for _, name := range schemaFiles {
		var part Schema
		if err := readJSON(name, &part); err != nil {
			return nil, err
		}
		if err := mergeTypes(s.EntityTypes, part.EntityTypes, name); err != nil {
			return nil, err
		}
		if err := mergeTypes(s.ComplexTypes, part.ComplexTypes, name); err != nil {
			return nil, err
		}
		if err := mergeTypes(s.EnumTypes, part.EnumTypes, name); err != nil {
			return nil, err
		}
		s.Operations = append(s.Operations, part.Operations...)
	}
	return s, nil
}

func mergeTypes[T any](into, from map[string]T, file string) error {
	for k, v := range from {
		if _, dup := into[k]; dup {
			return fmt.Errorf("%s: %s is defined twice", path.Base(file), k)
		}
		into[k] = v
	}
	return nil
}

// IsA reports whether type t is base or derives from it (entity types).
func (s *Schema) IsA(t, base string) bool {
	for seen := 0; t != "" && seen < 32; seen++ {
		if t == base {
			return true
		}
		t = s.EntityTypes[t].BaseType
	}
	return false
}

// NavigationType is the declared type of the navigation property name of t (inherited ones
// included), or "".
func (s *Schema) NavigationType(t, name string) string {
	for seen := 0; t != "" && seen < 32; seen++ {
		typ, ok := s.EntityTypes[t]
		if !ok {
			typ = s.ComplexTypes[t]
		}
		for _, p := range typ.NavigationProperties {
			if p.Name == name {
				return p.Type
			}
		}
		t = typ.BaseType
	}
	return ""
}

// PropertyNames are the names of every structural property of the entity or complex type t
// (inherited ones included), as the CSDL declares them; nil when t is unknown.
func (s *Schema) PropertyNames(t string) []string {
	typ, ok := s.EntityTypes[t]
	if !ok {
		typ, ok = s.ComplexTypes[t]
	}
	if !ok {
		return nil
	}
	props := typ.AllProperties
	if len(props) == 0 {
		props = typ.Properties
	}
	out := make([]string, 0, len(props))
	for _, p := range props {
		out = append(out, p.Name)
	}
	sort.Strings(out)
	return out
}

// PropertyType is the declared type of property name of t, or "".
func (s *Schema) PropertyType(t, name string) string {
	typ, ok := s.EntityTypes[t]
	if !ok {
		typ, ok = s.ComplexTypes[t]
	}
	if !ok {
		return ""
	}
	props := typ.AllProperties
	if len(props) == 0 {
		props = typ.Properties
	}
	for _, p := range props {
		if p.Name == name {
			return p.Type
		}
	}
	return ""
}
