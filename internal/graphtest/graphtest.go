// Package graphtest runs the Graph emulator (internal/graphemu) on a loopback HTTP server and
// points the real Graph client (internal/graph) at it, so that tests and benchmarks drive the
// emulator through the same SDK, middleware and decoding as production. It is not for
// production code.
package graphtest

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pim-operator/pim-operator/internal/graph"
	"github.com/pim-operator/pim-operator/internal/graphemu"
)

// Env is an emulator served over HTTP and a client of it.
type Env struct {
	Emulator *graphemu.Emulator
	// URL is the server's root, for raw HTTP (the emulator's control API is under
	// URL+"/_emulator/"); BaseURL is Graph's root with the version, URL+"/v1.0".
	URL     string
	BaseURL string
	// Client is the real Graph client on BaseURL, with AuthNone and its own metrics registry.
	Client *graph.Client
}

// New starts an Env for a test and stops it when the test ends. mods adjust the client's
// Config after the defaults, e.g. to send a token or disable GET retries.
func New(t testing.TB, opts graphemu.Options, mods ...func(*graph.Config)) *Env {
	t.Helper()
	env, closeEnv, err := Start(opts, mods...)
	if err != nil {
		t.Fatalf("graphtest: %v", err)
	}
	t.Cleanup(closeEnv)
	return env
}

// Start starts an Env for a program or a TestMain; the caller stops it with the returned func.
func Start(opts graphemu.Options, mods ...func(*graph.Config)) (*Env, func(), error) {
	emu := graphemu.New(opts)
	srv := httptest.NewServer(emu)
	env := &Env{Emulator: emu, URL: srv.URL, BaseURL: srv.URL + "/v1.0"}
	c, err := env.NewClient(mods...)
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	env.Client = c
	return env, srv.Close, nil
}

// NewClient builds another client of the emulator, configured as Client is before mods. Each
// gets its own metrics registry unless a mod sets one (nil means controller-runtime's).
func (e *Env) NewClient(mods ...func(*graph.Config)) (*graph.Client, error) {
	cfg := graph.Config{BaseURL: e.BaseURL, Auth: graph.AuthNone, Registerer: prometheus.NewRegistry()}
	for _, m := range mods {
		m(&cfg)
	}
	return graph.New(context.Background(), cfg)
}
