package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// CreateAPIKey ends a console login: it POSTs {upstream}/api/oauth/claude_cli/create_api_key
// with the access token and returns the answer's raw_key.
func CreateAPIKey(ctx context.Context, client *http.Client, upstream, accessToken string) (string, error) {
	target := strings.TrimRight(upstream, "/") + CreateAPIKeyPath
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader("{}"))
	if err != nil {
		return "", fmt.Errorf("creating an API key: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := httpClient(client).Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: creating an API key: %s", ErrUpstream, scrub(err.Error(), accessToken))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return "", fmt.Errorf("%w: creating an API key: reading the answer: %s", ErrUpstream, scrub(err.Error(), accessToken))
	}
	var body struct {
		RawKey string `json:"raw_key"`
		Error  struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(data, &body)
	if resp.StatusCode != http.StatusOK {
		msg := fmt.Sprintf("creating an API key: %s answered HTTP %d", target, resp.StatusCode)
		if m := scrub(body.Error.Message, accessToken); m != "" {
			msg += ": " + m
		}
		return "", fmt.Errorf("%w: %s", ErrUpstream, msg)
	}
	if body.RawKey == "" {
		return "", fmt.Errorf("%w: creating an API key: the answer of %s has no raw_key", ErrUpstream, target)
	}
	return body.RawKey, nil
}
