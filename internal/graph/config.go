package graph

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/prometheus/client_golang/prometheus"
)

// DefaultBaseURL is Graph's v1.0 endpoint in the public cloud, the default of --graph-base-url.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

// AuthMode is how the operator obtains its Graph token (--graph-auth).
type AuthMode string

// The auth modes. Every mode except none reads its settings from the standard AZURE_*
// environment variables, so no secret ever appears in a flag or in the process list.
const (
	// AuthWorkloadIdentity uses AKS workload identity: AZURE_CLIENT_ID, AZURE_TENANT_ID and
	// AZURE_FEDERATED_TOKEN_FILE, as the workload identity webhook injects them.
	AuthWorkloadIdentity AuthMode = "workload-identity"
	// AuthClientSecret uses AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET.
	AuthClientSecret AuthMode = "client-secret"
	// AuthClientCertificate uses AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_CERTIFICATE_PATH
	// and optionally AZURE_CLIENT_CERTIFICATE_PASSWORD and AZURE_CLIENT_SEND_CERTIFICATE_CHAIN.
	AuthClientCertificate AuthMode = "client-certificate"
	// AuthManagedIdentity uses the host's managed identity; AZURE_CLIENT_ID, when set, selects a
	// user-assigned identity.
	AuthManagedIdentity AuthMode = "managed-identity"
	// AuthDefault uses azidentity's DefaultAzureCredential chain.
	AuthDefault AuthMode = "default"
	// AuthNone sends no token at all; only for a loopback base URL (the Graph emulator).
	AuthNone AuthMode = "none"
)

// AuthModes lists the valid --graph-auth values, the default first.
func AuthModes() []string {
	return []string{
		string(AuthWorkloadIdentity), string(AuthClientSecret), string(AuthClientCertificate),
		string(AuthManagedIdentity), string(AuthDefault), string(AuthNone),
	}
}

// ParseAuthMode validates a --graph-auth value; empty means workload-identity.
func ParseAuthMode(s string) (AuthMode, error) {
	return parseChoice[AuthMode]("--graph-auth", s, AuthModes())
}

// Cloud is the Azure cloud the tenant lives in (--graph-cloud). It selects the Entra authority
// the credential talks to.
type Cloud string

// The supported clouds.
const (
	CloudPublic Cloud = "public"
	CloudUSGov  Cloud = "usgov"
	CloudChina  Cloud = "china"
)

// Clouds lists the valid --graph-cloud values, the default first.
func Clouds() []string { return []string{string(CloudPublic), string(CloudUSGov), string(CloudChina)} }

// ParseCloud validates a --graph-cloud value; empty means public.
func ParseCloud(s string) (Cloud, error) { return parseChoice[Cloud]("--graph-cloud", s, Clouds()) }

// parseChoice finds a flag's value among its choices in any case; empty means the first.
func parseChoice[T ~string](flag, s string, choices []string) (T, error) {
	if s == "" {
		return T(choices[0]), nil
	}
	for _, c := range choices {
		if strings.EqualFold(s, c) {
			return T(c), nil
		}
	}
	return "", fmt.Errorf("invalid %s %q: must be one of %s", flag, s, strings.Join(choices, ", "))
}

// GraphBaseURL is the cloud's Graph v1.0 endpoint.
func (c Cloud) GraphBaseURL() string {
	switch c {
	case CloudUSGov:
		return "https://graph.microsoft.us/v1.0"
	case CloudChina:
		return "https://microsoftgraph.chinacloudapi.cn/v1.0"
	default:
		return DefaultBaseURL
	}
}

// graphHosts are the Graph hosts Microsoft runs in each cloud. A base URL on one of these must
// match the cloud, or every token request fails (a US Gov authority cannot mint a token for
// graph.microsoft.com); any other host (the emulator, a proxy) is taken as given.
var graphHosts = map[string]Cloud{
	"graph.microsoft.com":             CloudPublic,
	"canary.graph.microsoft.com":      CloudPublic,
	"graph.microsoft.us":              CloudUSGov,
	"dod-graph.microsoft.us":          CloudUSGov,
	"microsoftgraph.chinacloudapi.cn": CloudChina,
}

// Config configures New. The zero value is the in-cluster default: public cloud, workload
// identity, https://graph.microsoft.com/v1.0.
type Config struct {
	// BaseURL is Graph's root including the API version, e.g. https://graph.microsoft.com/v1.0
	// or http://127.0.0.1:8081/v1.0 for the emulator. Empty means the cloud's endpoint.
	BaseURL string
	// Auth is how to obtain a token; empty means workload-identity.
	Auth AuthMode
	// Cloud selects the Entra authority; empty means public.
	Cloud Cloud
	// Credential, when set, replaces the credential Auth would build (tests, or a caller with
	// its own azidentity setup). It still goes through the same host-restricted bearer
	// provider. Not allowed with AuthNone.
	Credential azcore.TokenCredential
	// Transport is the HTTP transport under the middleware pipeline; nil means a clone of
	// http.DefaultTransport (which honours HTTPS_PROXY).
	Transport http.RoundTripper
	// Registerer receives the client's metrics; nil means controller-runtime's
	// metrics.Registry, which the manager serves.
	Registerer prometheus.Registerer
	// MaxGetRetries is how often a GET answered 429/503/504 is retried inside the call;
	// 0 means 3, negative disables retries. Writes are never retried here.
	MaxGetRetries int
	// MaxRetryWait is the longest Retry-After a GET retry waits out inside the call; a longer
	// one is returned as ClassThrottled so the reconciler requeues instead of holding a worker.
	// 0 means 10s.
	MaxRetryWait time.Duration
	// DefaultTimeout bounds a call whose context has no deadline; 0 means 60s. Callers should
	// set their own per-call deadline; this only stops a hung connection from pinning a worker.
	DefaultTimeout time.Duration
}

// settings is a validated Config with its defaults filled in.
type settings struct {
	Config
	base *url.URL
	// host is the base URL's host name without port: the one host the bearer provider will
	// attach a token for.
	host string
}

const noneLoopbackMsg = "--graph-auth=none is only allowed for a loopback --graph-base-url such as http://127.0.0.1:8081/v1.0"

// Validate checks cfg the way New does, without building anything, so that main can refuse bad
// flags before it starts the manager.
func (cfg Config) Validate() error {
	_, err := cfg.settings()
	return err
}

func (cfg Config) settings() (*settings, error) {
	var err error
	s := &settings{Config: cfg}
	if s.Auth, err = ParseAuthMode(string(cfg.Auth)); err != nil {
		return nil, err
	}
	if s.Cloud, err = ParseCloud(string(cfg.Cloud)); err != nil {
		return nil, err
	}
	if s.BaseURL == "" {
		s.BaseURL = s.Cloud.GraphBaseURL()
	}
	s.BaseURL = strings.TrimRight(s.BaseURL, "/")
	u, err := url.Parse(s.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("invalid --graph-base-url %q: %v", cfg.BaseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("invalid --graph-base-url %q: want an absolute http(s) URL such as %s", cfg.BaseURL, DefaultBaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("invalid --graph-base-url %q: no query, fragment or user info allowed", cfg.BaseURL)
	}
	if u.Path == "" {
		// Without the version the SDK sends /identityGovernance/... and every call is a 404.
		return nil, fmt.Errorf("invalid --graph-base-url %q: it must include the API version, e.g. %s", cfg.BaseURL, DefaultBaseURL)
	}
	s.base = u
	s.host = strings.ToLower(u.Hostname())
	loopback := isLoopback(s.host)

	switch {
	case s.Auth == AuthNone && !loopback:
		return nil, errors.New(noneLoopbackMsg)
	case s.Auth == AuthNone && cfg.Credential != nil:
		return nil, errors.New("a credential was supplied but --graph-auth=none sends no token")
	case s.Auth != AuthNone && u.Scheme != "https" && !loopback:
		// kiota's bearer provider refuses to send a token over http anyway; fail now, not
		// on the first call.
		return nil, fmt.Errorf("invalid --graph-base-url %q: a token is only sent over https (or to a loopback address)", cfg.BaseURL)
	}
	if c, known := graphHosts[s.host]; known && c != s.Cloud {
		return nil, fmt.Errorf("--graph-base-url %s belongs to the %s cloud but --graph-cloud is %s: use --graph-base-url=%s or --graph-cloud=%s",
			s.BaseURL, c, s.Cloud, s.Cloud.GraphBaseURL(), c)
	}

	if s.MaxGetRetries == 0 {
		s.MaxGetRetries = 3
	}
	if s.MaxRetryWait <= 0 {
		s.MaxRetryWait = 10 * time.Second
	}
	if s.DefaultTimeout <= 0 {
		s.DefaultTimeout = 60 * time.Second
	}
	return s, nil
}

// TokenScope is the scope a token for baseURL is requested with: https://<host>/.default.
func TokenScope(baseURL string) (string, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("invalid Graph base URL %q", baseURL)
	}
	// The resource is the https origin even when the emulator is reached over http; the port
	// is not part of an Entra resource identifier.
	return "https://" + strings.ToLower(u.Hostname()) + "/.default", nil
}

// isLoopback accepts localhost and literal loopback IPs only: a name that merely resolves to
// 127.0.0.1 today is not proof the traffic stays on the machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
