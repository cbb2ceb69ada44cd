package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// errNoBody stands for a success answer that carried no usable object.
var errNoBody = errors.New("Graph answered with success but without the expected object")

// decodeEntity reads one entity from a success body. The documented answer of the
// eligibility instance GET wraps its entity in "value"; an object there is unwrapped, since
// none of these entity types has a property of that name.
func decodeEntity[T any](what string, body []byte) (*T, error) {
	var envelope struct {
		Value json.RawMessage `json:"value"`
	}
	if err := decode(what, body, &envelope); err != nil {
		return nil, err
	}
	if v := bytes.TrimSpace(envelope.Value); len(v) > 0 && v[0] == '{' {
		body = v
	}
	var out T
	if err := decode(what, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// decodePage reads one page of a collection; a null in its value is dropped.
func decodePage[T any](what string, body []byte) (*wirePage[T], error) {
	var out wirePage[T]
	if err := decode(what+" list", body, &out); err != nil {
		return nil, err
	}
	out.Value = slices.DeleteFunc(out.Value, func(v *T) bool { return v == nil })
	return &out, nil
}

// decode unmarshals a JSON object. A body that is not one says what it was instead, so that a
// proxy's HTML page or a cut-off answer can be told apart in the error.
func decode(what string, body []byte, out any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return errNoBody
	}
	if trimmed[0] != '{' {
		return fmt.Errorf("the %s is not a JSON object: %q", what, snippet(trimmed))
	}
	if err := json.Unmarshal(trimmed, out); err != nil {
		return fmt.Errorf("decoding the %s: %v: %q", what, err, snippet(trimmed))
	}
	return nil
}
