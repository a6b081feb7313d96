package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/claudeflare/claudeflare/core/creds"
)

// maxAnswer bounds what is read of an answer from Anthropic's endpoints.
const maxAnswer = 1 << 20

// Tokens is a successful answer of the token endpoint.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"` // seconds
	Scope        string `json:"scope"`
}

// String never reveals the tokens.
func (t Tokens) String() string { return "[redacted tokens]" }

// GoString keeps %#v from revealing the tokens.
func (t Tokens) GoString() string { return t.String() }

// LogValue keeps slog from revealing the tokens.
func (t Tokens) LogValue() slog.Value { return slog.StringValue(t.String()) }

// Secret is what the credential store keeps of t, received at now. With no
// expires_in the expiry is unknown (zero): the token is used until refused.
func (t Tokens) Secret(now time.Time) creds.Secret {
	s := creds.Secret{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken}
	if t.ExpiresIn > 0 {
		s.ExpiresAt = now.Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	return s
}

// TokenClient talks to the token endpoint.
type TokenClient struct {
	HTTP *http.Client // nil: http.DefaultClient
	URL  string       // the token endpoint
}

// Exchange redeems an authorization code (grant authorization_code).
func (c *TokenClient) Exchange(ctx context.Context, code, state, redirectURI, verifier string) (Tokens, error) {
	return c.post(ctx, map[string]string{
		"grant_type":    "authorization_code",
		"code":          code,
		"state":         state,
		"redirect_uri":  redirectURI,
		"client_id":     ClientID,
		"code_verifier": verifier,
	}, code, verifier)
}

// Refresh trades a refresh token for new tokens (grant refresh_token). The
// refresh token is spent: the answer carries its successor.
func (c *TokenClient) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	return c.post(ctx, map[string]string{
		"grant_type":    "refresh_token",
		"refresh_token": refreshToken,
		"client_id":     ClientID,
	}, refreshToken)
}

// post sends body as JSON; secrets are scrubbed from any error text.
func (c *TokenClient) post(ctx context.Context, body map[string]string, secrets ...string) (Tokens, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(b))
	if err != nil {
		return Tokens{}, fmt.Errorf("token endpoint %q: %w", c.URL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := httpClient(c.HTTP).Do(req)
	if err != nil {
		return Tokens{}, fmt.Errorf("%w: calling the token endpoint: %s", ErrUpstream, scrub(err.Error(), secrets...))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return Tokens{}, fmt.Errorf("%w: reading the token endpoint's answer: %s", ErrUpstream, scrub(err.Error(), secrets...))
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error       any    `json:"error"`
			Description string `json:"error_description"`
		}
		te := &TokenError{Status: resp.StatusCode}
		if json.Unmarshal(data, &e) == nil {
			if code, ok := e.Error.(string); ok {
				te.Code = scrub(code, secrets...)
			}
			te.Description = scrub(e.Description, secrets...)
		}
		return Tokens{}, te
	}
	var t Tokens
	if err := json.Unmarshal(data, &t); err != nil || t.AccessToken == "" {
		return Tokens{}, fmt.Errorf("%w: the token endpoint's answer has no access_token", ErrUpstream)
	}
	return t, nil
}

func httpClient(c *http.Client) *http.Client {
	if c == nil {
		return http.DefaultClient
	}
	return c
}
