package fakeanthropic

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// msgBody is a valid /v1/messages body.
const msgBody = `{"model":"claude-sonnet-4-5-20250929","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`

// streamBody is a valid streaming /v1/messages body.
const streamBody = `{"model":"claude-sonnet-4-5-20250929","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}`

// newTestServer starts a server closed at the end of the test.
func newTestServer(t *testing.T, opts Options) *Server {
	t.Helper()
	s := New(opts)
	t.Cleanup(s.Close)
	return s
}

// auth describes how a test request authenticates.
type auth struct {
	apiKey, bearer, beta string
}

func apiKeyAuth(k string) auth { return auth{apiKey: k} }
func oauthAuth(tok string) auth {
	return auth{bearer: tok, beta: "claude-code-20250219," + OAuthBeta + ",interleaved-thinking-2025-05-14"}
}

// do sends a request and returns the response with its body read. Use fetch off the test's
// goroutine.
func do(t *testing.T, ctx context.Context, method, url string, a auth, body string) (*http.Response, []byte) {
	t.Helper()
	resp, data, err := fetch(ctx, method, url, a, body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

// fetch sends a request and returns the response with its body read.
func fetch(ctx context.Context, method, url string, a auth, body string) (*http.Response, []byte, error) {
	resp, err := send(ctx, method, url, a, body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("reading body of %s %s: %w", method, url, err)
	}
	return resp, data, nil
}

// send sends a request and returns the response unread.
func send(ctx context.Context, method, url string, a auth, body string) (*http.Response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("anthropic-version", "2023-06-01")
	if a.apiKey != "" {
		req.Header.Set("x-api-key", a.apiKey)
	}
	if a.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+a.bearer)
	}
	if a.beta != "" {
		req.Header.Set("anthropic-beta", a.beta)
	}
	return http.DefaultClient.Do(req)
}

// apiErr decodes an Anthropic error body, failing the test if it is not one.
func apiErr(t *testing.T, data []byte) (typ, msg string) {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(data, &e); err != nil || e.Type != "error" || e.Error.Type == "" {
		t.Fatalf("not an Anthropic error body: %s", data)
	}
	return e.Error.Type, e.Error.Message
}

// sseEvent is one parsed server-sent event.
type sseEvent struct {
	name string
	data json.RawMessage
}

// readSSE parses events until the end of r; it returns the events read and the read error.
func readSSE(r io.Reader) ([]sseEvent, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []sseEvent
	var cur sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.name != "" || cur.data != nil {
				out = append(out, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = append(cur.data, bytes.TrimPrefix([]byte(line), []byte("data: "))...)
		}
	}
	return out, sc.Err()
}
