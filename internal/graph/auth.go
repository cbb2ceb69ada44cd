package graph

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	coreauth "github.com/microsoftgraph/msgraph-sdk-go-core/authentication"
)

// The standard azidentity environment variables; the operator reads nothing else for auth.
const (
	envTenantID        = "AZURE_TENANT_ID"
	envClientID        = "AZURE_CLIENT_ID"
	envClientSecret    = "AZURE_CLIENT_SECRET"
	envCertPath        = "AZURE_CLIENT_CERTIFICATE_PATH"
	envCertPassword    = "AZURE_CLIENT_CERTIFICATE_PASSWORD"
	envSendCertChain   = "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN"
	envFederatedTokens = "AZURE_FEDERATED_TOKEN_FILE"
)

// azureCloud is the credential's cloud configuration. For the public cloud it stays zero so
// that azidentity still honours AZURE_AUTHORITY_HOST, which the workload identity webhook sets.
func (c Cloud) azureCloud() cloud.Configuration {
	switch c {
	case CloudUSGov:
		return cloud.AzureGovernment
	case CloudChina:
		return cloud.AzureChina
	default:
		return cloud.Configuration{}
	}
}

// newAuthProvider returns the kiota authentication provider for s. The Graph SDK's token
// provider is given exactly one allowed host, the base URL's: with no list it falls back to
// Microsoft's Graph hosts, and a request to any other host silently goes out with no token.
func newAuthProvider(s *settings) (absauth.AuthenticationProvider, error) {
	if s.Auth == AuthNone {
		return &absauth.AnonymousAuthenticationProvider{}, nil
	}
	cred := s.Credential
	if cred == nil {
		var err error
		if cred, err = newCredential(s.Auth, s.Cloud); err != nil {
			return nil, err
		}
	}
	scope, err := TokenScope(s.BaseURL)
	if err != nil {
		return nil, err
	}
	tp, err := coreauth.NewAzureIdentityAccessTokenProviderWithScopesAndValidHosts(cred, []string{scope}, []string{s.host})
	if err != nil {
		return nil, fmt.Errorf("graph auth: %v", err)
	}
	return &tokenErrorProvider{inner: absauth.NewBaseBearerTokenAuthenticationProvider(tp)}, nil
}

// newCredential builds the azidentity credential for mode from the AZURE_* environment.
func newCredential(mode AuthMode, c Cloud) (azcore.TokenCredential, error) {
	opts := azcore.ClientOptions{Cloud: c.azureCloud()}
	wrap := func(cred azcore.TokenCredential, err error) (azcore.TokenCredential, error) {
		if err != nil {
			return nil, fmt.Errorf("graph auth %s: %v", mode, err)
		}
		return cred, nil
	}
	switch mode {
	case AuthWorkloadIdentity:
		if err := requireEnv(mode, envTenantID, envClientID, envFederatedTokens); err != nil {
			return nil, err
		}
		return wrap(azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{ClientOptions: opts}))
	case AuthClientSecret:
		if err := requireEnv(mode, envTenantID, envClientID, envClientSecret); err != nil {
			return nil, err
		}
		return wrap(azidentity.NewClientSecretCredential(os.Getenv(envTenantID), os.Getenv(envClientID), os.Getenv(envClientSecret),
			&azidentity.ClientSecretCredentialOptions{ClientOptions: opts}))
	case AuthClientCertificate:
		if err := requireEnv(mode, envTenantID, envClientID, envCertPath); err != nil {
			return nil, err
		}
		path := os.Getenv(envCertPath)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("graph auth %s: reading %s: %v", mode, envCertPath, err)
		}
		var password []byte
		if p := os.Getenv(envCertPassword); p != "" {
			password = []byte(p)
		}
		certs, key, err := azidentity.ParseCertificates(data, password)
		if err != nil {
			return nil, fmt.Errorf("graph auth %s: parsing the certificate in %s (%s): %v", mode, envCertPath, path, err)
		}
		send := strings.EqualFold(os.Getenv(envSendCertChain), "true") || os.Getenv(envSendCertChain) == "1"
		return wrap(azidentity.NewClientCertificateCredential(os.Getenv(envTenantID), os.Getenv(envClientID), certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts, SendCertificateChain: send}))
	case AuthManagedIdentity:
		mo := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts}
		if id := os.Getenv(envClientID); id != "" {
			mo.ID = azidentity.ClientID(id)
		}
		return wrap(azidentity.NewManagedIdentityCredential(mo))
	case AuthDefault:
		return wrap(azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: opts}))
	default:
		return nil, fmt.Errorf("graph auth: no credential for mode %q", mode)
	}
}

func requireEnv(mode AuthMode, names ...string) error {
	var missing []string
	for _, n := range names {
		if os.Getenv(n) == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("--graph-auth=%s needs the environment variables %s; missing: %s",
			mode, strings.Join(names, ", "), strings.Join(missing, ", "))
	}
	return nil
}

// tokenError is a failure to obtain a token, flattened to text at once so that no credential
// error value travels further.
type tokenError struct{ detail string }

func (e *tokenError) Error() string { return "obtaining a Graph token: " + e.detail }

// tokenErrorProvider marks token failures, which otherwise look like any other error from the
// request adapter, so that they classify as Unauthenticated rather than Transient.
type tokenErrorProvider struct {
	inner absauth.AuthenticationProvider
}

func (p *tokenErrorProvider) AuthenticateRequest(ctx context.Context, req *abstractions.RequestInformation, extra map[string]any) error {
	err := p.inner.AuthenticateRequest(ctx, req, extra)
	if err == nil {
		return nil
	}
	// A caller's deadline that expires while the token is fetched is a timeout, not an auth
	// failure.
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	return &tokenError{detail: err.Error()}
}
