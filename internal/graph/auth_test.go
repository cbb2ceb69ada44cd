package graph

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	coreauth "github.com/microsoftgraph/msgraph-sdk-go-core/authentication"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pim-operator/pim-operator/internal/pim"
)

func TestParseAuthModeAndCloud(t *testing.T) {
	for in, want := range map[string]AuthMode{
		"": AuthWorkloadIdentity, "workload-identity": AuthWorkloadIdentity, "client-secret": AuthClientSecret,
		"client-certificate": AuthClientCertificate, "managed-identity": AuthManagedIdentity, "default": AuthDefault,
		"none": AuthNone, "None": AuthNone,
	} {
		if got, err := ParseAuthMode(in); err != nil || got != want {
			t.Errorf("ParseAuthMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseAuthMode("password"); err == nil || !strings.Contains(err.Error(), "workload-identity") {
		t.Errorf("ParseAuthMode(password) = %v, want an error listing the modes", err)
	}
	for in, want := range map[string]Cloud{"": CloudPublic, "public": CloudPublic, "usgov": CloudUSGov, "china": CloudChina, "USGov": CloudUSGov} {
		if got, err := ParseCloud(in); err != nil || got != want {
			t.Errorf("ParseCloud(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseCloud("germany"); err == nil {
		t.Error("ParseCloud(germany) accepted")
	}
}

func TestNoneOnlyForLoopback(t *testing.T) {
	for _, u := range []string{"https://graph.microsoft.com/v1.0", "http://example.com/v1.0", "http://127.0.0.1.nip.io:8081/v1.0", "http://10.0.0.1/v1.0", "", "http://0.0.0.0:8081/v1.0"} {
		err := Config{Auth: AuthNone, BaseURL: u}.Validate()
		if err == nil || err.Error() != "--graph-auth=none is only allowed for a loopback --graph-base-url such as http://127.0.0.1:8081/v1.0" {
			t.Errorf("none with %q: %v", u, err)
		}
	}
	for _, u := range []string{"http://127.0.0.1:8081/v1.0", "http://localhost:8081/v1.0", "http://[::1]:8081/v1.0", "http://127.0.0.2/v1.0", "https://LOCALHOST/v1.0/"} {
		if err := (Config{Auth: AuthNone, BaseURL: u}).Validate(); err != nil {
			t.Errorf("none with %q: %v", u, err)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string // "" means valid
	}{
		{Config{Credential: &fakeCred{}}, ""},
		{Config{Credential: &fakeCred{}, BaseURL: "https://graph.microsoft.com"}, "must include the API version"},
		{Config{Credential: &fakeCred{}, BaseURL: "graph.microsoft.com/v1.0"}, "absolute http(s) URL"},
		{Config{Credential: &fakeCred{}, BaseURL: "ftp://graph.microsoft.com/v1.0"}, "absolute http(s) URL"},
		{Config{Credential: &fakeCred{}, BaseURL: "https://graph.microsoft.com/v1.0?x=1"}, "no query"},
		{Config{Credential: &fakeCred{}, BaseURL: "http://graph.example.com/v1.0"}, "only sent over https"},
		{Config{Credential: &fakeCred{}, BaseURL: "http://127.0.0.1:8081/v1.0"}, ""},
		{Config{Credential: &fakeCred{}, Cloud: CloudUSGov, BaseURL: "https://graph.microsoft.com/v1.0"}, "--graph-base-url=https://graph.microsoft.us/v1.0"},
		{Config{Credential: &fakeCred{}, Cloud: CloudPublic, BaseURL: "https://microsoftgraph.chinacloudapi.cn/v1.0"}, "belongs to the china cloud"},
		{Config{Credential: &fakeCred{}, Cloud: CloudUSGov, BaseURL: "https://dod-graph.microsoft.us/v1.0"}, ""},
		{Config{Credential: &fakeCred{}, BaseURL: "https://graph-proxy.corp.example/v1.0"}, ""},
		{Config{Auth: AuthNone, Credential: &fakeCred{}, BaseURL: "http://127.0.0.1/v1.0"}, "sends no token"},
		{Config{Auth: "kerberos"}, "invalid --graph-auth"},
		{Config{Cloud: "moon"}, "invalid --graph-cloud"},
	} {
		err := tc.cfg.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v", tc.cfg, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: error %v, want one containing %q", tc.cfg, err, tc.want)
		}
	}
}

func TestCloudDefaultsAndScopes(t *testing.T) {
	for _, tc := range []struct {
		cloud Cloud
		base  string
		scope string
	}{
		{CloudPublic, "https://graph.microsoft.com/v1.0", "https://graph.microsoft.com/.default"},
		{CloudUSGov, "https://graph.microsoft.us/v1.0", "https://graph.microsoft.us/.default"},
		{CloudChina, "https://microsoftgraph.chinacloudapi.cn/v1.0", "https://microsoftgraph.chinacloudapi.cn/.default"},
	} {
		s, err := Config{Cloud: tc.cloud, Credential: &fakeCred{}}.settings()
		if err != nil {
			t.Fatal(err)
		}
		if s.BaseURL != tc.base || tc.cloud.GraphBaseURL() != tc.base {
			t.Errorf("%s: base %q, want %q", tc.cloud, s.BaseURL, tc.base)
		}
		if scope, err := TokenScope(s.BaseURL); err != nil || scope != tc.scope {
			t.Errorf("%s: scope %q, %v; want %q", tc.cloud, scope, err, tc.scope)
		}
	}
	if got := CloudUSGov.azureCloud().ActiveDirectoryAuthorityHost; got != "https://login.microsoftonline.us/" {
		t.Errorf("usgov authority %q", got)
	}
	if got := CloudChina.azureCloud().ActiveDirectoryAuthorityHost; got != "https://login.chinacloudapi.cn/" {
		t.Errorf("china authority %q", got)
	}
	if got := CloudPublic.azureCloud().ActiveDirectoryAuthorityHost; got != "" {
		t.Errorf("public authority %q: want it left to azidentity (AZURE_AUTHORITY_HOST)", got)
	}
	if scope, _ := TokenScope("http://127.0.0.1:8081/v1.0"); scope != "https://127.0.0.1/.default" {
		t.Errorf("emulator scope %q", scope)
	}
}

// fakeCred is an azcore.TokenCredential that records the scopes it was asked for.
type fakeCred struct {
	mu     sync.Mutex
	scopes []string
	err    error
	block  bool
}

func (f *fakeCred) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	f.mu.Lock()
	f.scopes = append(f.scopes, strings.Join(o.Scopes, " "))
	err, block := f.err, f.block
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return azcore.AccessToken{}, ctx.Err()
	}
	if err != nil {
		return azcore.AccessToken{}, err
	}
	return azcore.AccessToken{Token: "fake-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func (f *fakeCred) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.scopes...)
}

// tlsServerFor serves any host name over TLS: the transport dials the test server whatever
// the URL says, so a base URL can name a real Graph host or a custom one.
func tlsServerFor(t *testing.T, h http.HandlerFunc) http.RoundTripper {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // test server
	addr := srv.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	tr.DialTLSContext = nil
	return tr
}

func TestBearerTokenReachesTheBaseURLHost(t *testing.T) {
	for _, tc := range []struct {
		name, base, cloud, host string
	}{
		{"custom host", "https://graph.example.com/v1.0", "", "graph.example.com"},
		{"public", "", "public", "graph.microsoft.com"},
		{"usgov", "", "usgov", "graph.microsoft.us"},
		{"china", "", "china", "microsoftgraph.chinacloudapi.cn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var hosts, auths []string
			tr := tlsServerFor(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				hosts = append(hosts, r.Host)
				auths = append(auths, r.Header.Get("Authorization"))
				mu.Unlock()
				writeJSON(w, 200, `{"value":[]}`)
			})
			cred := &fakeCred{}
			c, err := New(context.Background(), Config{BaseURL: tc.base, Cloud: Cloud(tc.cloud), Credential: cred, Transport: tr, Registerer: prometheus.NewRegistry()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.For(pim.KindEligibility).FindRequests(ctxT(t), testPrincipal, testGroup); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(hosts) != 1 || hosts[0] != tc.host {
				t.Fatalf("requests went to %v, want %s", hosts, tc.host)
			}
			if auths[0] != "Bearer fake-token" {
				t.Errorf("Authorization = %q, want the bearer token", auths[0])
			}
			if got := cred.seen(); len(got) != 1 || got[0] != "https://"+tc.host+"/.default" {
				t.Errorf("token scopes asked: %v", got)
			}
		})
	}
}

// The SDK's failure mode that TestBearerTokenReachesTheBaseURLHost guards against: with the
// default allowed-host list, a request to any other host is sent without a token, silently.
func TestSDKDefaultHostsSendNoTokenToOtherHosts(t *testing.T) {
	p, err := coreauth.NewAzureIdentityAuthenticationProviderWithScopes(&fakeCred{}, []string{"https://graph.example.com/.default"})
	if err != nil {
		t.Fatal(err)
	}
	ri := abstractions.NewRequestInformation()
	ri.UrlTemplate = "{+baseurl}/x"
	ri.PathParameters = map[string]string{"baseurl": "https://graph.example.com/v1.0"}
	if err := p.AuthenticateRequest(context.Background(), ri, nil); err != nil {
		t.Fatal(err)
	}
	if ri.Headers.ContainsKey("Authorization") {
		t.Errorf("the SDK now sends a token to a custom host by default; the explicit host list is still right but no longer essential")
	}
}

func TestAuthNoneSendsNoToken(t *testing.T) {
	rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) { writeJSON(w, 200, `{"value":[]}`) })
	c := newTestClient(t, rec.baseURL())
	if _, err := c.For(pim.KindAssignment).FindRequests(ctxT(t), testPrincipal, testGroup); err != nil {
		t.Fatal(err)
	}
	if a := rec.seen()[0].Header.Get("Authorization"); a != "" {
		t.Errorf("Authorization = %q with --graph-auth=none", a)
	}
}

func TestTokenFailureIsUnauthenticated(t *testing.T) {
	rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) { writeJSON(w, 200, `{"value":[]}`) })
	cred := &fakeCred{err: errors.New("AADSTS700016: application not found")}
	c := newTestClient(t, rec.baseURL(), func(c *Config) { c.Auth = AuthWorkloadIdentity; c.Credential = cred })
	pe := mustPimError(t, runOp(ctxT(t), c.For(pim.KindAssignment), OpCreateRequest), pim.ClassUnauthenticated)
	if !strings.Contains(pe.Detail, "AADSTS700016") || !pe.NotSent {
		t.Errorf("got %+v, want the credential's reason and NotSent", pe)
	}
	if n := len(rec.seen()); n != 0 {
		t.Errorf("%d calls sent without a token", n)
	}
}

func TestDeadlineWhileFetchingTokenIsTransient(t *testing.T) {
	rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) { writeJSON(w, 200, `{"value":[]}`) })
	c := newTestClient(t, rec.baseURL(), func(c *Config) { c.Auth = AuthDefault; c.Credential = &fakeCred{block: true} })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	mustPimError(t, runOp(ctx, c.For(pim.KindAssignment), OpGetRequest), pim.ClassTransient)
}

func TestCredentialsFromEnvironment(t *testing.T) {
	for _, k := range []string{envTenantID, envClientID, envClientSecret, envCertPath, envCertPassword, envFederatedTokens, "AZURE_AUTHORITY_HOST"} {
		t.Setenv(k, "")
	}
	base := Config{BaseURL: DefaultBaseURL, Registerer: prometheus.NewRegistry()}
	with := func(m AuthMode) Config { c := base; c.Auth = m; return c }

	_, err := New(context.Background(), with(AuthWorkloadIdentity))
	if err == nil || !strings.Contains(err.Error(), "missing: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE") {
		t.Errorf("workload identity without env: %v", err)
	}
	_, err = New(context.Background(), with(AuthClientSecret))
	if err == nil || !strings.Contains(err.Error(), "AZURE_CLIENT_SECRET") {
		t.Errorf("client secret without env: %v", err)
	}

	t.Setenv(envTenantID, "72f988bf-86f1-41af-91ab-2d7cd011db47")
	t.Setenv(envClientID, "04b07795-8ddb-461a-bbee-02f9e1bf7b46")
	t.Setenv(envClientSecret, "not-a-real-secret")
	if _, err := New(context.Background(), with(AuthClientSecret)); err != nil {
		t.Errorf("client secret: %v", err)
	}

	t.Setenv(envCertPath, t.TempDir()+"/missing.pem")
	_, err = New(context.Background(), with(AuthClientCertificate))
	if err == nil || !strings.Contains(err.Error(), envCertPath) {
		t.Errorf("certificate file missing: %v", err)
	}

	t.Setenv(envFederatedTokens, t.TempDir()+"/token")
	if _, err := New(context.Background(), with(AuthWorkloadIdentity)); err != nil {
		t.Errorf("workload identity: %v", err)
	}
	if _, err := New(context.Background(), with(AuthManagedIdentity)); err != nil {
		t.Errorf("managed identity: %v", err)
	}
}
