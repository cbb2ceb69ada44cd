package graph

import (
	"errors"
	"fmt"
	"net/http"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
)

// newRequestAdapter builds the one request adapter of the process. The request builders the
// client uses hang off it directly (see Client.group): no GraphServiceClient is built.
//
// The root client would cost twice over. NewGraphServiceClient passes the global
// store.BackingStoreFactoryInstance back into EnableBackingStore, which assigns that global
// without synchronisation while every model constructor reads it (a data race when a client is
// built while another has calls in flight, as tests do). And a GraphBaseServiceClient held by a
// type used as an interface keeps, through reflection's method lookup, every request builder of
// the whole Graph API in the binary: about 80 MB of code and 17-22 MiB of the manager's RSS
// (docs/benchmarks.md).
func newRequestAdapter(s *settings, auth absauth.AuthenticationProvider, httpClient *http.Client) (abstractions.RequestAdapter, error) {
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		auth,
		refuseParsing{},
		// Only serialises the empty stand-in body of a POST (see collection.createRequest).
		jsonser.NewJsonSerializationWriterFactory(),
		httpClient,
	)
	if err != nil {
		return nil, fmt.Errorf("graph request adapter: %v", err)
	}
	adapter.SetBaseUrl(s.BaseURL)
	return adapter, nil
}

// errKiotaParse would mean that kiota tried to read a body, which this package never lets it
// do: responses come back as bytes (SendPrimitive "[]byte") and are decoded here, and with no
// error mappings the adapter does not read error bodies either (throwIfFailedResponse).
var errKiotaParse = errors.New("internal/graph decodes Graph's answers itself; kiota was asked to parse one")

// refuseParsing is the adapter's parse-node factory: kiota's JSON parser misreads durations,
// zone-less times and enum spellings in Graph's answers, and building SDK models from them
// is where the SDK's getters panic. Nothing should reach it.
type refuseParsing struct{}

func (refuseParsing) GetValidContentType() (string, error) { return "application/json", nil }

func (refuseParsing) GetRootParseNode(string, []byte) (absser.ParseNode, error) {
	return nil, errKiotaParse
}
