package fakeanthropic

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// Prefixes of the credentials the fake issues, as the real services spell them.
const (
	APIKeyPrefix       = "sk-ant-api03-"
	AccessTokenPrefix  = "sk-ant-oat01-"
	RefreshTokenPrefix = "sk-ant-ort01-"
)

// randomToken returns n random bytes encoded as base64url without padding.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

func newAPIKey() string       { return APIKeyPrefix + randomToken(60) + "AA" }
func newAccessToken() string  { return AccessTokenPrefix + randomToken(64) + "AA" }
func newRefreshToken() string { return RefreshTokenPrefix + randomToken(64) + "AA" }
func newRequestID() string    { return "req_011C" + randomToken(18) }
func newMessageID() string    { return "msg_01" + randomToken(18) }

// uuidFor derives a stable version-4-shaped UUID from a string, so that the same e-mail address
// always maps to the same account UUID.
func uuidFor(s string) string {
	h := sha256.Sum256([]byte(s))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
