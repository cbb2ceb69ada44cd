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

// newServiceClient builds the one request adapter and Graph client of the process.
//
// It uses GraphBaseServiceClient with a nil backing-store factory: NewGraphServiceClient passes
// the global store.BackingStoreFactoryInstance back into EnableBackingStore, which assigns that
// global without synchronisation while every model constructor reads it, so building a client
// while another one has calls in flight (tests do) is a data race.
func newServiceClient(s *settings, auth absauth.AuthenticationProvider, httpClient *http.Client) (abstractions.RequestAdapter, *msgraphsdk.GraphBaseServiceClient, error) {
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		auth,
		refuseParsing{},
		// Only serialises the empty stand-in body of a POST (see collection.createRequest).
		jsonser.NewJsonSerializationWriterFactory(),
		httpClient,
	)
	if err != nil {
		return nil, nil, fmt.Errorf("graph request adapter: %v", err)
	}
	// The client copies the base URL into its path parameters when it is constructed, so the
	// URL must be set first.
	adapter.SetBaseUrl(s.BaseURL)
	return adapter, msgraphsdk.NewGraphBaseServiceClient(adapter, nil), nil
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
