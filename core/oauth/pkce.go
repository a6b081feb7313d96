package oauth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// PKCE is a proof key for one login (RFC 7636, method S256).
type PKCE struct {
	// Verifier is 32 random bytes, base64url without padding; it stays on this machine
	// until the code exchange.
	Verifier string
	// Challenge is base64url-nopad(sha256(Verifier)); it goes in the authorize URL.
	Challenge string
}

// NewPKCE makes a fresh verifier and its S256 challenge.
func NewPKCE() PKCE {
	v := random32()
	return PKCE{Verifier: v, Challenge: Challenge(v)}
}

// Challenge is the S256 code challenge of verifier.
func Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// NewState makes a login's state: 32 random bytes, base64url without padding.
func NewState() string { return random32() }

func random32() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}
