package graphtest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/pim-operator/pim-operator/internal/graph"
	"github.com/pim-operator/pim-operator/internal/graphemu"
	"github.com/pim-operator/pim-operator/internal/graphtest"
	"github.com/pim-operator/pim-operator/internal/pim"
)

func TestNewServesTheEmulatorToTheClient(t *testing.T) {
	env := graphtest.New(t, graphemu.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const principal, group = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
	if _, err := env.Client.For(pim.KindAssignment).FindRequests(ctx, principal, group); err != nil {
		t.Fatalf("FindRequests: %v", err)
	}
	if n := env.Emulator.CountCalls(graphemu.OpListRequests); n != 1 {
		t.Errorf("the emulator saw %d list calls, want 1", n)
	}
	if env.BaseURL != env.URL+"/v1.0" || env.Client.BaseURL() != env.BaseURL {
		t.Errorf("URL %q, BaseURL %q, client's %q", env.URL, env.BaseURL, env.Client.BaseURL())
	}
}

func TestStartAndClose(t *testing.T) {
	env, closeEnv, err := graphtest.Start(graphemu.Options{}, func(c *graph.Config) { c.MaxGetRetries = -1 })
	if err != nil {
		t.Fatal(err)
	}
	second, err := env.NewClient()
	if err != nil || second == env.Client {
		t.Fatalf("NewClient: %v", err)
	}
	closeEnv()
	if resp, err := http.Get(env.URL + "/v1.0/"); err == nil {
		_ = resp.Body.Close()
		t.Error("the server still answers after close")
	}
	if _, _, err := graphtest.Start(graphemu.Options{}, func(c *graph.Config) { c.Auth = "kerberos" }); err == nil {
		t.Error("a bad client config did not fail Start")
	}
}
