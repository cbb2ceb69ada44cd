package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
)

// newServiceClient builds the one Graph client of the process.
//
// It uses GraphBaseServiceClient with a nil backing-store factory: NewGraphServiceClient passes
// the global store.BackingStoreFactoryInstance back into EnableBackingStore, which assigns that
// global without synchronisation while every model constructor reads it, so building a client
// while another one has calls in flight (tests do) is a data race. With nil nothing is assigned;
// the models still get kiota's default in-memory backing store.
func newServiceClient(s *settings, auth absauth.AuthenticationProvider, httpClient *http.Client) (*msgraphsdk.GraphBaseServiceClient, error) {
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		auth,
		&repairingParseNodeFactory{json: jsonser.NewJsonParseNodeFactory()},
		jsonser.NewJsonSerializationWriterFactory(),
		httpClient,
	)
	if err != nil {
		return nil, fmt.Errorf("graph request adapter: %v", err)
	}
	// The client copies the base URL into its path parameters when it is constructed, so the
	// URL must be set first.
	adapter.SetBaseUrl(s.BaseURL)
	return msgraphsdk.NewGraphBaseServiceClient(adapter, nil), nil
}

// rawDurationKey is where repairingParseNodeFactory moves an expiration's duration text;
// the SDK keeps unknown properties in the model's additional data, untouched.
const rawDurationKey = "@pim-operator.rawDuration"

// repairingParseNodeFactory parses JSON responses with kiota's JSON parser after repairs to
// the raw document that keep Graph's answers from being misread:
//   - an expiration's "duration" is moved aside as text (rawDurationKey), because kiota's
//     ISO 8601 parser misreads valid values ("PT30S" → 0, "P4W2D" → 4 weeks) and fails the whole
//     response on others; convert.go parses it with parseDuration.
//   - a "...DateTime" without a zone gets "Z": Graph's times are UTC, but kiota would read a
//     zone-less time in the pod's local zone, or fail on one with fractional seconds.
//   - enum values get a lower-case first letter: Graph's documentation shows "Direct" and
//     "Assigned" where the metadata says "direct" and "assigned", and kiota's enum parsers are
//     case-sensitive, turning "Member" into no access kind at all.
//
// Anything it cannot decode passes through unchanged, so kiota reports the error as before.
type repairingParseNodeFactory struct{ json absser.ParseNodeFactory }

func (f *repairingParseNodeFactory) GetValidContentType() (string, error) {
	return "application/json", nil
}

func (f *repairingParseNodeFactory) GetRootParseNode(contentType string, content []byte) (absser.ParseNode, error) {
	if contentType == "application/json" || strings.HasSuffix(contentType, "+json") {
		return f.json.GetRootParseNode("application/json", repairResponseJSON(content))
	}
	return absser.DefaultParseNodeFactoryInstance.GetRootParseNode(contentType, content)
}

// enumKeys are the enum-valued properties of the models the client reads.
var enumKeys = map[string]bool{"accessId": true, "action": true, "assignmentType": true, "memberType": true}

// repairResponseJSON applies the repairs described on repairingParseNodeFactory.
func repairResponseJSON(content []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(content))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil || dec.More() {
		return content
	}
	if !repairValue(doc, "") {
		return content
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return content
	}
	return out
}

// repairValue repairs v in place; key is the property v is the value of.
func repairValue(v any, key string) bool {
	changed := false
	switch v := v.(type) {
	case map[string]any:
		if key == "expiration" {
			if d, ok := v["duration"].(string); ok {
				delete(v, "duration")
				v[rawDurationKey] = d
				changed = true
			}
		}
		for k, child := range v {
			s, isString := child.(string)
			switch {
			case isString && strings.HasSuffix(k, "DateTime"):
				if fixed, ok := zoneUTC(s); ok {
					v[k], changed = fixed, true
				}
			case isString && (enumKeys[k] || key == "expiration" && k == "type"):
				if fixed := lowerFirst(s); fixed != s {
					v[k], changed = fixed, true
				}
			case !isString:
				changed = repairValue(child, k) || changed
			}
		}
	case []any:
		for _, child := range v {
			changed = repairValue(child, key) || changed
		}
	}
	return changed
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

// zoneUTC appends "Z" to a timestamp that has none.
func zoneUTC(s string) (string, bool) {
	if _, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return s + "Z", true
	}
	return s, false
}
