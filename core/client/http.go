package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/claudeflare/claudeflare/core/view"
)

// Timeouts of HTTP (docs/DESIGN.md, "The typed surface"): the engine is on
// this machine and answers in milliseconds, so a request that takes longer
// than DefaultTimeout is one that hangs. A configuration change may move
// secrets between credential stores (a keychain can take its time), so it
// gets longer.
const (
	DefaultTimeout = 15 * time.Second
	patchTimeout   = 2 * time.Minute
)

// maxAnswer bounds an answer read whole: the largest are the stats and a
// thousand request rows.
const maxAnswer = 32 << 20

// HTTP is API over the engine's HTTP API.
type HTTP struct {
	// Base is the engine's address, e.g. "http://127.0.0.1:8080". It is
	// asked before every request, so a client can follow a listener that
	// moved (the command line reads the running app's lock file).
	Base func() string
	// Token is sent as Authorization: Bearer on every request: the local
	// API token, or with allow_remote the client key. Never logged.
	Token string
	// Timeout bounds each request but Subscribe's stream; DefaultTimeout if 0.
	Timeout time.Duration
	// Client sends the requests; nil: one for this machine, which ignores
	// the environment's proxy (an HTTP_PROXY must not see local API calls).
	Client *http.Client
}

var _ API = (*HTTP)(nil)

var localClient = &http.Client{Transport: &http.Transport{Proxy: nil, ResponseHeaderTimeout: patchTimeout}}

func (h *HTTP) client() *http.Client {
	if h.Client != nil {
		return h.Client
	}
	return localClient
}

func (h *HTTP) timeout() time.Duration {
	if h.Timeout > 0 {
		return h.Timeout
	}
	return DefaultTimeout
}

// send sends one request (body, if not nil, as JSON) and returns the
// answer when its status is want; any other status is an *Error with the
// API's message.
func (h *HTTP) send(ctx context.Context, method, path string, body any, want int) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encoding the request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	base := h.Base()
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("asking Claudeflare at %s: %w", base, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if h.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.Token)
	}
	resp, err := h.client().Do(req)
	if err != nil {
		// The URL in a *url.Error is base+path: no secret is in it.
		return nil, fmt.Errorf("asking Claudeflare at %s: %w", base, errors.Unwrap(err))
	}
	if resp.StatusCode != want {
		defer resp.Body.Close()
		return nil, refusalOf(resp)
	}
	return resp, nil
}

// refusalOf reads an API error answer: {"error": message}.
func refusalOf(resp *http.Response) *Error {
	var body struct {
		Error *string `json:"error"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &body) == nil && body.Error != nil {
		return &Error{Status: resp.StatusCode, Message: *body.Error}
	}
	return &Error{Status: resp.StatusCode, Message: fmt.Sprintf("Claudeflare answered %s", resp.Status)}
}

// call sends a request bounded by the timeout and decodes the answer into out (unless nil).
func (h *HTTP) call(ctx context.Context, method, path string, body any, want int, out any) error {
	return h.callWithin(ctx, h.timeout(), method, path, body, want, out)
}

func (h *HTTP) callWithin(ctx context.Context, d time.Duration, method, path string, body any, want int, out any) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	resp, err := h.send(ctx, method, path, body, want)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(out); err != nil {
		return fmt.Errorf("reading Claudeflare's answer to %s %s: %w", method, path, err)
	}
	return nil
}

func accountPath(name string) string { return "/api/accounts/" + url.PathEscape(name) }

func (h *HTTP) Status(ctx context.Context) (out view.Health, err error) {
	return out, h.call(ctx, http.MethodGet, "/health", nil, http.StatusOK, &out)
}

func (h *HTTP) Accounts(ctx context.Context) (out []view.Account, err error) {
	return out, h.call(ctx, http.MethodGet, "/api/accounts", nil, http.StatusOK, &out)
}

func (h *HTTP) AddAPIKey(ctx context.Context, name, key string, priority int) (out view.Account, err error) {
	body := map[string]any{"name": name, "api_key": key, "priority": priority}
	return out, h.call(ctx, http.MethodPost, "/api/accounts", body, http.StatusCreated, &out)
}

func (h *HTTP) UpdateAccount(ctx context.Context, name string, p view.AccountPatch) (out view.Account, err error) {
	return out, h.call(ctx, http.MethodPatch, accountPath(name), p, http.StatusOK, &out)
}

func (h *HTTP) Pause(ctx context.Context, name string) (out view.Account, err error) {
	return out, h.call(ctx, http.MethodPost, accountPath(name)+"/pause", nil, http.StatusOK, &out)
}

func (h *HTTP) Resume(ctx context.Context, name string) (out view.Account, err error) {
	return out, h.call(ctx, http.MethodPost, accountPath(name)+"/resume", nil, http.StatusOK, &out)
}

func (h *HTTP) Remove(ctx context.Context, name string) error {
	return h.call(ctx, http.MethodDelete, accountPath(name), nil, http.StatusNoContent, nil)
}

func (h *HTTP) StartLogin(ctx context.Context, req view.LoginRequest) (out view.LoginStart, err error) {
	return out, h.call(ctx, http.MethodPost, "/api/oauth/start", req, http.StatusOK, &out)
}

func (h *HTTP) LoginStatus(ctx context.Context, id string) (out view.LoginStatus, err error) {
	return out, h.call(ctx, http.MethodGet, "/api/oauth/"+url.PathEscape(id), nil, http.StatusOK, &out)
}

func (h *HTTP) CompleteLogin(ctx context.Context, id, code string) (out view.Account, err error) {
	body := map[string]string{"session_id": id, "code": code}
	return out, h.call(ctx, http.MethodPost, "/api/oauth/complete", body, http.StatusCreated, &out)
}

func (h *HTTP) CancelLogin(ctx context.Context, id string) error {
	return h.call(ctx, http.MethodDelete, "/api/oauth/"+url.PathEscape(id), nil, http.StatusNoContent, nil)
}

func (h *HTTP) Stats(ctx context.Context, window time.Duration) (out view.Stats, err error) {
	q := url.Values{"window": {view.WindowName(window)}}
	return out, h.call(ctx, http.MethodGet, "/api/stats?"+q.Encode(), nil, http.StatusOK, &out)
}

func (h *HTTP) Requests(ctx context.Context, limit int) (out []view.Request, err error) {
	return out, h.call(ctx, http.MethodGet, "/api/requests?limit="+strconv.Itoa(limit), nil, http.StatusOK, &out)
}

func (h *HTTP) Config(ctx context.Context) (out view.Config, err error) {
	return out, h.call(ctx, http.MethodGet, "/api/config", nil, http.StatusOK, &out)
}

func (h *HTTP) PatchConfig(ctx context.Context, patch map[string]json.RawMessage) (out view.Config, err error) {
	return out, h.callWithin(ctx, max(h.timeout(), patchTimeout), http.MethodPatch, "/api/config", patch, http.StatusOK, &out)
}
