package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	core "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// newHTTPClient returns the SDK's HTTP client with a fixed middleware list, outermost first.
//
// The SDK's default list (kiota-http-go GetDefaultMiddlewares) is built by ranging over a map, so
// its order changes from run to run, and it includes the compression handler: compression plus
// retry sends a corrupted body on the retried POST (kiota-http-go #183). This list has no
// compression handler, and retry and redirect apply to GETs only, so a write is sent exactly once
// per call; the reconciler decides what to do after a failed write (DESIGN §4).
//
// No http.Client.Timeout: the caller's context carries the deadline (a Timeout would also be
// applied by kiota as a default deadline on every call).
func newHTTPClient(s *settings) *http.Client {
	base := s.Transport
	if base == nil {
		base = khttp.GetDefaultTransport()
	}
	opts := msgraphsdk.GetDefaultClientOptions()
	middlewares := []khttp.Middleware{
		// SdkVersion and a client-request-id per call (a retried GET keeps its id).
		core.NewGraphTelemetryHandler(&opts),
		khttp.NewUserAgentHandler(),
		// Turns the generated %24filter back into $filter.
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewRedirectHandlerWithOptions(khttp.RedirectHandlerOptions{
			MaxRedirects:   5,
			ShouldRedirect: func(req *http.Request, _ *http.Response) bool { return req.Method == http.MethodGet },
		}),
		khttp.NewRetryHandlerWithOptions(retryOptions(s)),
		// Innermost, so it sees every attempt and keeps the last one.
		exchangeRecorder{},
	}
	return &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(base, middlewares...),
		// Redirects are the redirect handler's business, not net/http's.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// retryOptions makes kiota's retry handler (which retries 429, 503 and 504, honouring
// Retry-After) retry GETs only, and only for a wait the reconcile can afford; a longer wait goes
// back to the reconciler as ClassThrottled with RetryAfter, to be spent in the work queue.
func retryOptions(s *settings) khttp.RetryHandlerOptions {
	maxRetries := s.MaxGetRetries
	return khttp.RetryHandlerOptions{
		MaxRetries:   max(maxRetries, 1),
		DelaySeconds: 1,
		ShouldRetry: func(_ time.Duration, attempt int, req *http.Request, resp *http.Response) bool {
			if maxRetries < 0 || req.Method != http.MethodGet {
				return false
			}
			if resp == nil {
				return true
			}
			wait := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
			if wait == 0 {
				wait = time.Duration(1<<attempt) * time.Second // the handler's own backoff
			}
			if wait > s.MaxRetryWait {
				return false
			}
			if dl, ok := req.Context().Deadline(); ok && time.Until(dl) < wait {
				return false
			}
			return true
		},
	}
}

// maxBody bounds what is buffered of one response; Graph's PIM answers are a few KiB.
const maxBody = 16 << 20

// exchange is what the transport saw of one call's last attempt. Without error mappings the
// request adapter reports a failure with its status and headers but not its body, so failures
// are classified from this record instead of from the SDK's error value.
type exchange struct {
	attempts int
	status   int
	header   http.Header
	body     []byte
	// transportErr is a failure with no response (reset, timeout, dropped connection), already
	// flattened to text.
	transportErr string
}

type exchangeKey struct{}

func withExchange(ctx context.Context, ex *exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, ex)
}

// exchangeRecorder records each attempt into the call's exchange and buffers the body. Reading
// the body here also closes the connection's body on every attempt, which kiota's retry handler
// does not do for the responses it discards.
type exchangeRecorder struct{}

func (exchangeRecorder) Intercept(p khttp.Pipeline, i int, req *http.Request) (*http.Response, error) {
	resp, err := p.Next(req, i)
	ex, _ := req.Context().Value(exchangeKey{}).(*exchange)
	if ex == nil {
		return resp, err
	}
	*ex = exchange{attempts: ex.attempts + 1}
	if err != nil {
		ex.transportErr = transportErrorText(req, err)
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	_ = resp.Body.Close()
	if rerr == nil && len(body) > maxBody {
		rerr = fmt.Errorf("response body larger than %d bytes", maxBody)
	}
	if rerr != nil {
		// The status line arrived but the body did not: for a write, Graph may have applied it.
		ex.transportErr = transportErrorText(req, fmt.Errorf("HTTP %d, reading the body: %w", resp.StatusCode, rerr))
		return nil, rerr
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ex.status, ex.header, ex.body = resp.StatusCode, resp.Header.Clone(), body
	return resp, nil
}

func transportErrorText(req *http.Request, err error) string {
	what := req.Method + " " + req.URL.Redacted()
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return what + ": deadline exceeded: " + err.Error()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return what + ": connection closed before a complete response: " + err.Error()
	default:
		return what + ": " + err.Error()
	}
}
