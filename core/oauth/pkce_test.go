package oauth_test

import (
	"encoding/base64"
	"testing"

	"github.com/claudeflare/claudeflare/core/oauth"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
)

func TestNewPKCE(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 20 {
		p := oauth.NewPKCE()
		raw, err := base64.RawURLEncoding.DecodeString(p.Verifier)
		if err != nil || len(raw) != 32 {
			t.Fatalf("verifier %q: %d bytes, err %v; want 32 bytes of base64url without padding", p.Verifier, len(raw), err)
		}
		if p.Challenge != fakeanthropic.S256(p.Verifier) || len(p.Challenge) != 43 {
			t.Fatalf("challenge %q is not base64url-nopad(sha256(verifier))", p.Challenge)
		}
		if seen[p.Verifier] {
			t.Fatal("a verifier repeated")
		}
		seen[p.Verifier] = true
	}
}

func TestChallengeKnownAnswer(t *testing.T) {
	t.Parallel()
	// RFC 7636, appendix B.
	if got := oauth.Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Errorf("Challenge = %q", got)
	}
}

func TestNewState(t *testing.T) {
	t.Parallel()
	a, b := oauth.NewState(), oauth.NewState()
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 {
		t.Fatalf("state %q: %d bytes, err %v", a, len(raw), err)
	}
	if a == b {
		t.Error("two states are equal")
	}
}
