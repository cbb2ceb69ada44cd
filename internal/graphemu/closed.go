package graphemu

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

// Graph's types are closed: a create body with a property its type does not declare is
// refused, where the emulator used to ignore it. A client that misspells a property (or sends
// one from a newer API version) must see the refusal here, not first in production. Property
// names are case-sensitive in OData, unlike Go's JSON decoding, so the check reads the raw keys.

// closedComplexTypes are the nested types checked too, by their wire type. identitySet is an
// open type in the metadata and recurrence is refused whole, so neither is listed.
var closedComplexTypes = map[reflect.Type]string{
	reflect.TypeFor[scheduleInfoJSON](): "requestSchedule",
	reflect.TypeFor[expirationJSON]():   "expirationPattern",
	reflect.TypeFor[ticketInfoJSON]():   "ticketInfo",
}

// checkClosed refuses a JSON object with a key that is neither an annotation ("@odata.type",
// "name@odata.type") nor a property of wire, the JSON type of the CSDL type typeName.
func checkClosed(raw []byte, typeName string, wire reflect.Type) *apiError {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil // not an object: the typed decoding reports it
	}
	fields := jsonFields(wire)
	for key, value := range obj {
		if strings.Contains(key, "@") {
			continue
		}
		ft, ok := fields[key]
		if !ok {
			return badRequest(CodeBadRequest, "The property '%s' does not exist on type 'microsoft.graph.%s'. Make sure to only use property names that are defined by the type or mark the type as open type.", key, typeName)
		}
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		nested := closedComplexTypes[ft]
		if nested == "" || !bytes.HasPrefix(bytes.TrimSpace(value), []byte("{")) {
			continue
		}
		if err := checkClosed(value, nested, ft); err != nil {
			return err
		}
	}
	return nil
}
