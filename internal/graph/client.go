package graph

import (
	"context"
	"fmt"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// Client is the production pim.Graph over msgraph-sdk-go.
type Client struct {
	svc            *msgraphsdk.GraphBaseServiceClient
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
	adapter, svc, err := newServiceClient(s, auth, newHTTPClient(s))
	if err != nil {
		return nil, err
	}
	c := &Client{svc: svc, adapter: adapter, metrics: m, defaultTimeout: s.DefaultTimeout, baseURL: s.BaseURL}
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

// group starts a fresh request-builder chain (see collection).
func (c *Client) group() *group {
	return c.svc.IdentityGovernance().PrivilegedAccess().Group()
}
