package graphemu

import (
	"net/http"
	"strings"
	"testing"
)

func TestRequireToken(t *testing.T) {
	h := newHarness(t, Options{RequireToken: "s3cret"})

	r := h.do(http.MethodPost, requestsPath, assignBody())
	wantError(t, r, http.StatusUnauthorized, CodeInvalidAuthenticationToken)
	if r.str("error", "message") != "Access token is empty." {
		t.Fatalf("message %q", r.str("error", "message"))
	}
	if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer ") {
		t.Fatalf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
	}
	wantError(t, h.do(http.MethodPost, requestsPath, assignBody(), "Authorization", "Bearer wrong"), http.StatusUnauthorized, CodeInvalidAuthenticationToken)
	wantError(t, h.do(http.MethodPost, requestsPath, assignBody(), "Authorization", "Basic s3cret"), http.StatusUnauthorized, CodeInvalidAuthenticationToken)
	if n := len(h.emu.Requests()); n != 0 {
		t.Fatalf("unauthenticated creates stored %d requests", n)
	}

	wantStatus(t, h.do(http.MethodPost, requestsPath, assignBody(), "Authorization", "Bearer s3cret"), http.StatusCreated)
	wantStatus(t, h.do(http.MethodPost, requestsPath, assignBody(with("principalId", principalB)), "Authorization", "bearer s3cret"), http.StatusCreated)

	// The control API needs no token.
	wantStatus(t, h.do(http.MethodGet, "/_emulator/requests", nil), http.StatusOK)

	h.emu.SetRequireToken("")
	wantStatus(t, h.list(requestsPath, "groupId eq '"+groupA+"'"), http.StatusOK)
}
