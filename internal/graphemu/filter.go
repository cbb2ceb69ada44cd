package graphemu

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// A filter is the subset of OData $filter that Graph documents for PIM for Groups:
// comparisons joined by "and", each "property eq 'value'" or "property ne 'value'" (or
// "property eq null"), optionally in parentheses, and only the operators each property's
// documentation lists (filterRules). Values compare without regard to case (ids are GUIDs,
// statuses and kinds are enums). Graph requires a list to be scoped by an eq on principalId or
// groupId (see scoped).
type filter []comparison

type comparison struct {
	property string // canonical property name
	op       string // "eq" or "ne"
	value    string
	isNull   bool
}

// filterRules are the operators each filterable property accepts: "eq", "ne", and "null" for
// "eq on null values".
type filterRules map[string][]string

// filterError is a $filter Graph would refuse.
type filterError struct{ msg string }

func (e *filterError) Error() string { return e.msg }

// filterTarget is what a filter is parsed against: the entity type's name (for messages), its
// properties, and which of them may be filtered how.
type filterTarget struct {
	entity     string
	properties map[string]string // lower-cased name → canonical name
	rules      filterRules
}

func newFilterTarget(entity string, properties []string, rules filterRules) filterTarget {
	return filterTarget{entity: entity, properties: canonicalNames(properties...), rules: rules}
}

// parseFilter parses text; property names match without regard to case, as Graph's do.
func parseFilter(text string, target filterTarget) (filter, error) {
	toks, err := tokenizeFilter(text)
	if err != nil {
		return nil, err
	}
	p := &filterParser{toks: toks, target: target}
	var f filter
	if err := p.expr(&f); err != nil {
		return nil, err
	}
	if !p.done() {
		return nil, &filterError{fmt.Sprintf("Invalid filter clause: syntax error at '%s'.", p.peek().text)}
	}
	return f, nil
}

// scoped reports whether f has the eq on principalId or groupId that Graph requires.
func (f filter) scoped() bool {
	for _, c := range f {
		if c.op == "eq" && !c.isNull && (c.property == "principalId" || c.property == "groupId") {
			return true
		}
	}
	return false
}

// match reports whether the entity whose properties get returns satisfies every comparison.
func (f filter) match(get func(property string) string) bool {
	for _, c := range f {
		v := get(c.property)
		var equal bool
		if c.isNull {
			equal = v == ""
		} else {
			equal = strings.EqualFold(v, c.value)
		}
		if equal != (c.op == "eq") {
			return false
		}
	}
	return true
}

type tokenKind int

const (
	tokWord tokenKind = iota
	tokString
	tokOpen
	tokClose
	tokEnd
)

type token struct {
	kind tokenKind
	text string
}

func tokenizeFilter(s string) ([]token, error) {
	var toks []token
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(':
			toks = append(toks, token{tokOpen, "("})
			i++
		case r == ')':
			toks = append(toks, token{tokClose, ")"})
			i++
		case r == '\'':
			// OData string literal; a quote inside is doubled.
			var b strings.Builder
			i++
			closed := false
			for i < len(rs) {
				if rs[i] == '\'' {
					if i+1 < len(rs) && rs[i+1] == '\'' {
						b.WriteRune('\'')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				b.WriteRune(rs[i])
				i++
			}
			if !closed {
				return nil, &filterError{"Invalid filter clause: unterminated string literal."}
			}
			toks = append(toks, token{tokString, b.String()})
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '.' || r == '/':
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || rs[j] == '_' || rs[j] == '-' || rs[j] == '.' || rs[j] == '/') {
				j++
			}
			toks = append(toks, token{tokWord, string(rs[i:j])})
			i = j
		default:
			return nil, &filterError{fmt.Sprintf("Invalid filter clause: unexpected character '%c'.", r)}
		}
	}
	return toks, nil
}

type filterParser struct {
	toks   []token
	pos    int
	target filterTarget
}

func (p *filterParser) peek() token {
	if p.pos >= len(p.toks) {
		return token{kind: tokEnd}
	}
	return p.toks[p.pos]
}

func (p *filterParser) next() token {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *filterParser) done() bool { return p.pos >= len(p.toks) }

func isKeyword(t token, kw string) bool {
	return t.kind == tokWord && strings.EqualFold(t.text, kw)
}

// expr := term { "and" term }
func (p *filterParser) expr(f *filter) error {
	for {
		if err := p.term(f); err != nil {
			return err
		}
		t := p.peek()
		switch {
		case isKeyword(t, "and"):
			p.next()
		case isKeyword(t, "or"):
			return &filterError{"Invalid filter clause: the Graph emulator supports only 'and' of 'eq'/'ne' comparisons."}
		default:
			return nil
		}
	}
}

// term := "(" expr ")" | property ("eq"|"ne") (string | "null")
func (p *filterParser) term(f *filter) error {
	t := p.next()
	if t.kind == tokOpen {
		if err := p.expr(f); err != nil {
			return err
		}
		if p.next().kind != tokClose {
			return &filterError{"Invalid filter clause: missing ')'."}
		}
		return nil
	}
	if t.kind != tokWord {
		return &filterError{"Invalid filter clause: a property name was expected."}
	}
	prop, ok := p.target.properties[strings.ToLower(t.text)]
	if !ok {
		return &filterError{fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.%s'.", t.text, p.target.entity)}
	}
	allowed, ok := p.target.rules[prop]
	if !ok {
		return &filterError{fmt.Sprintf("Invalid filter clause: filtering on '%s' is not supported.", prop)}
	}
	opTok := p.next()
	op := strings.ToLower(opTok.text)
	if opTok.kind != tokWord || !isOperator(op) {
		return &filterError{fmt.Sprintf("Invalid filter clause: an operator was expected after '%s'.", t.text)}
	}
	if !slices.Contains(allowed, op) {
		return &filterError{fmt.Sprintf("Invalid filter clause: the operator '%s' is not supported on '%s'.", opTok.text, prop)}
	}
	v := p.next()
	switch {
	case v.kind == tokString:
		*f = append(*f, comparison{property: prop, op: op, value: v.text})
	case isKeyword(v, "null"):
		if op != "eq" || !slices.Contains(allowed, "null") {
			return &filterError{fmt.Sprintf("Invalid filter clause: '%s %s null' is not supported.", prop, opTok.text)}
		}
		*f = append(*f, comparison{property: prop, op: op, isNull: true})
	case v.kind == tokWord:
		return &filterError{fmt.Sprintf("Invalid filter clause: the value '%s' must be a quoted string literal.", v.text)}
	default:
		return &filterError{fmt.Sprintf("Invalid filter clause: a value was expected after '%s %s'.", t.text, opTok.text)}
	}
	return nil
}

// isOperator reports whether op is an OData comparison operator, supported or not.
func isOperator(op string) bool {
	switch op {
	case "eq", "ne", "gt", "ge", "lt", "le", "in", "has":
		return true
	}
	return false
}
