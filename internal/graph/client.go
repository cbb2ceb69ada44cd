package graph

import (
	"context"
	"fmt"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/identitygovernance"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// Client is the production pim.Graph over msgraph-sdk-go.
type Client struct {
	adapter        abstractions.RequestAdapter
	metrics        *metrics
	defaultTimeout time.Duration
	baseURL        string
	kinds          map[pim.Kind]*kindClient
}

var _ pim.Graph = (*Client)(nil)

// New builds the process's Graph client from cfg. It sends nothing: a missing token shows up
// on the first call as ClassUnauthenticated, so a manager can start before its federated token
// file is projected.
func New(_ context.Context, cfg Config) (*Client, error) {
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	auth, err := newAuthProvider(s)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(s.Registerer)
	if err != nil {
		return nil, fmt.Errorf("graph metrics: %v", err)
	}
	adapter, err := newRequestAdapter(s, auth, newHTTPClient(s))
	if err != nil {
		return nil, err
	}
	c := &Client{adapter: adapter, metrics: m, defaultTimeout: s.DefaultTimeout, baseURL: s.BaseURL}
	c.kinds = make(map[pim.Kind]*kindClient, len(collections))
	for k, coll := range collections {
		c.kinds[k] = &kindClient{Client: c, kind: k, coll: coll, known: true}
	}
	return c, nil
}

// BaseURL is the Graph root the client talks to, for the startup log.
func (c *Client) BaseURL() string { return c.baseURL }

// For returns the client of one kind. Every kind shares this client's HTTP pipeline and
// metrics; a kind this package does not know fails every call without sending it.
func (c *Client) For(k pim.Kind) pim.Client {
	if kc, ok := c.kinds[k]; ok {
		return kc
	}
	return &kindClient{Client: c, kind: k, coll: &collection{}}
}

// group starts a fresh request-builder chain (see collection) at
// /identityGovernance/privilegedAccess/group, as GraphServiceClient's chain would.
func (c *Client) group() *group {
	return identitygovernance.NewPrivilegedAccessGroupRequestBuilderInternal(c.rootPath(), c.adapter)
}

// rootPath is the path parameters a request builder starts from: the adapter's base URL.
func (c *Client) rootPath() map[string]string {
	return map[string]string{"baseurl": c.adapter.GetBaseUrl()}
}
