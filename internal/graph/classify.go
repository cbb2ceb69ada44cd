package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// ForbiddenHint is added to every 403: Graph's own message rarely names the permission, and an
// MFA requirement is a policy no application can meet.
const ForbiddenHint = "the operator's app registration needs the Microsoft Graph application permission " +
	"PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup with admin consent; if the group's PIM policy " +
	"requires multifactor authentication on active assignment, an app cannot satisfy it: relax that rule " +
	"or make the assignment in the portal"

// maxRetryAfter bounds a Retry-After header: a bogus value must not park an object for days.
const maxRetryAfter = time.Hour

// Length caps keep a hostile or broken body from bloating status conditions and logs.
const (
	maxCodeLen    = 128
	maxMessageLen = 2048
	maxSnippetLen = 200
)

// classifyResponse turns one failed HTTP answer into a *pim.Error. It is the production path
// for every Graph error response and never panics, whatever the body holds.
func classifyResponse(op string, status int, header http.Header, body []byte) *pim.Error {
	code, message, requestID, detail := parseErrorBody(header.Get("Content-Type"), body)
	if requestID == "" {
		requestID = header.Get("request-id")
	}
	e := classify(op, status, code, message, requestID, header)
	if detail != "" {
		e.Detail = joinDetail(detail, e.Detail)
	}
	return e
}

// classify is the classification table of DESIGN §4, on plain values.
func classify(op string, status int, code, message, requestID string, header http.Header) *pim.Error {
	e := &pim.Error{
		Op:         op,
		HTTPStatus: status,
		Code:       clip(code, maxCodeLen),
		Message:    clip(message, maxMessageLen),
		RequestID:  clip(requestID, maxCodeLen),
	}
	retryAfter := parseRetryAfter(header.Get("Retry-After"), time.Now())
	switch {
	case status == http.StatusTooManyRequests:
		e.Class, e.RetryAfter = pim.ClassThrottled, retryAfter
	case (status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout) && retryAfter > 0:
		e.Class, e.RetryAfter = pim.ClassThrottled, retryAfter
	case status >= 500 && status < 600:
		e.Class = pim.ClassTransient
	case status == http.StatusUnauthorized:
		e.Class = pim.ClassUnauthenticated
		e.Detail = "Graph rejected the operator's token"
	case status == http.StatusForbidden && op == OpGetGroupPolicy:
		e.Class = pim.ClassForbidden
		e.Detail = PolicyForbiddenHint
	case status == http.StatusForbidden:
		e.Class = pim.ClassForbidden
		e.Detail = ForbiddenHint
	case op == OpCancelRequest && status == http.StatusBadRequest:
		// The v1.0 docs document only "400" for a request that can no longer be cancelled;
		// the code (RequestCannotBeCancelled) comes from the older API, so it is not relied on.
		e.Class = pim.ClassNotCancellable
	case status >= 400 && status < 500 && codeIs(code, pim.CodeActiveDurationTooShort, pim.CodePendingRoleAssignmentRequest):
		e.Class = pim.ClassTransient
	case status >= 400 && status < 500 && codeIs(code, pim.CodeRoleAssignmentDoesNotExist):
		e.Class = pim.ClassAlreadyGone
	case status >= 400 && status < 500 && codeIs(code, pim.CodeRoleAssignmentExists):
		e.Class = pim.ClassAssignmentExists
	case status == http.StatusNotFound:
		e.Class = pim.ClassNotFound
	case status == http.StatusRequestTimeout:
		e.Class = pim.ClassTransient
	case status >= 400 && status < 500:
		e.Class = pim.ClassUserFixable
	default:
		// Not an error status at all (a 3xx that was not followed, or garbage): nothing a person
		// could fix, so retry with backoff.
		e.Class = pim.ClassTransient
		e.Detail = fmt.Sprintf("unexpected HTTP status %d", status)
	}
	return e
}

func codeIs(code string, want ...string) bool {
	for _, w := range want {
		if strings.EqualFold(strings.TrimSpace(code), w) {
			return true
		}
	}
	return false
}

// parseErrorBody reads Graph's error envelope
// {"error":{"code","message","innerError":{"request-id"}}} from any bytes. What it cannot read
// it describes in detail instead, so an HTML page from a proxy still says what it was.
func parseErrorBody(contentType string, body []byte) (code, message, requestID, detail string) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return "", "", "", ""
	}
	mediaType, _, _ := mime.ParseMediaType(contentType)
	var doc any
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		if mediaType == "" {
			mediaType = "unknown content type"
		}
		return "", "", "", fmt.Sprintf("error body is not JSON (%s, %d bytes): %q", mediaType, len(body), snippet(trimmed))
	}
	root, _ := doc.(map[string]any)
	errObj, _ := field(root, "error").(map[string]any)
	if errObj == nil {
		return "", "", "", fmt.Sprintf("error body has no Graph error object: %q", snippet(trimmed))
	}
	code = text(field(errObj, "code"))
	message = text(field(errObj, "message"))
	if m, ok := field(errObj, "message").(map[string]any); ok {
		// OData v3's shape: "message": {"lang": "en-US", "value": "..."}.
		message = text(field(m, "value"))
	}
	if inner, ok := field(errObj, "innerError").(map[string]any); ok {
		requestID = text(field(inner, "request-id"))
		if requestID == "" {
			requestID = text(field(inner, "requestId"))
		}
	}
	return code, message, requestID, ""
}

// field looks key up case-insensitively: Graph spells innerError both ways.
func field(m map[string]any, key string) any {
	if m == nil {
		return nil
	}
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// text renders a JSON scalar; objects and arrays are not text.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	default:
		return ""
	}
}

// parseRetryAfter reads delta-seconds or an HTTP date, as RFC 9110 allows.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs != secs || secs <= 0 { // NaN or nothing to wait
			return 0
		}
		if secs >= maxRetryAfter.Seconds() {
			return maxRetryAfter
		}
		d = time.Duration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// snippet is a short, single-line, printable excerpt of a body for an error message.
func snippet(b []byte) string {
	if len(b) > 4*maxSnippetLen {
		b = b[:4*maxSnippetLen]
	}
	s := strings.ToValidUTF8(string(b), "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	return clip(s, maxSnippetLen)
}

// clip shortens s to at most n bytes without splitting a rune.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func joinDetail(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}
