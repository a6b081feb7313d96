package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

// Deadlines of the harness. They bound polling; nothing sleeps for them.
const (
	// startTimeout bounds how long serve may take to answer /health.
	startTimeout = 15 * time.Second
	// stopTimeout bounds a clean shutdown after SIGTERM.
	stopTimeout = 20 * time.Second
	// cliTimeout bounds one command-line run.
	cliTimeout = 30 * time.Second
	// liveDeadline is the "within a second" in which changes made by the
	// command line (and to the live config) reach the running app, measured
	// from the command's exit.
	liveDeadline = time.Second
	// pollEvery is the polling period of waitHealthy.
	pollEvery = 10 * time.Millisecond
)

// clientKey is the credential clients send; it must never reach upstream.
const clientKey = "dummy-client-key"

// sandbox is one isolated Claudeflare installation: a home folder, a fake
// upstream and the environment every claudeflare process of the test gets.
type sandbox struct {
	Home string
	Fake *fakeanthropic.Server
	// Keys maps account names to the API keys added with addAccount.
	Keys map[string]string
}

// newSandbox starts a fake upstream (closed at cleanup) and makes a home folder.
func newSandbox(t *testing.T, fakeOpts fakeanthropic.Options) *sandbox {
	t.Helper()
	fake := fakeanthropic.New(fakeOpts)
	t.Cleanup(fake.Close)
	return &sandbox{Home: t.TempDir(), Fake: fake, Keys: map[string]string{}}
}

// ConfigPath is the sandbox's config.json.
func (sb *sandbox) ConfigPath() string { return filepath.Join(sb.Home, "config.json") }

// env is the environment of claudeflare processes: the caller's, without
// anything that configures Claudeflare, plus the sandbox's settings.
func (sb *sandbox) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "CLAUDEFLARE_"), k == "PORT", k == "LB_STRATEGY", k == "SESSION_DURATION_MS":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"CLAUDEFLARE_HOME="+sb.Home,
		"CLAUDEFLARE_CREDENTIAL_STORE=file",
		"CLAUDEFLARE_UPSTREAM_URL="+sb.Fake.URL,
		"CLAUDEFLARE_LOG=debug",
	)
}

// cliResult is the outcome of one command-line run.
type cliResult struct {
	Stdout, Stderr string
	Code           int
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s--- stderr:\n%s", r.Code, r.Stdout, r.Stderr)
}

// CLI runs `claudeflare args…` against the sandbox with stdin as standard input.
func (sb *sandbox) CLI(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	res, err := execCLI(t.Context(), sb.env(), stdin, args...)
	if err != nil {
		t.Fatalf("%v (a timeout is %s)", err, cliTimeout)
	}
	return res
}

// execCLI runs `claudeflare args…` with env and stdin, within cliTimeout.
// Its error is a failure to run the command to its end (a timeout, a
// signal); an exit status is the result's Code.
func execCLI(ctx context.Context, env []string, stdin string, args ...string) (cliResult, error) {
	ctx, cancel := context.WithTimeout(ctx, cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.Exited():
		res.Code = exit.ExitCode()
	default:
		return res, fmt.Errorf("claudeflare %s: %w\n%s", strings.Join(args, " "), err, res)
	}
	return res, nil
}

// mustCLI runs a command that must succeed.
func (sb *sandbox) mustCLI(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	res := sb.CLI(t, stdin, args...)
	if res.Code != 0 {
		t.Fatalf("claudeflare %s: %s", strings.Join(args, " "), res)
	}
	return res
}

// addAccount adds an API-key account with a key the fake accepts, through
// `accounts add NAME --api-key-stdin`, and returns the key.
func (sb *sandbox) addAccount(t *testing.T, name string) string {
	t.Helper()
	key := sb.Fake.IssueAPIKey()
	sb.mustCLI(t, key+"\n", "accounts", "add", name, "--api-key-stdin")
	sb.Keys[name] = key
	return key
}

// writeConfig writes config.json by hand.
func (sb *sandbox) writeConfig(t *testing.T, data []byte) {
	t.Helper()
	if err := os.WriteFile(sb.ConfigPath(), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// readConfig returns config.json's bytes (nil if it does not exist).
func (sb *sandbox) readConfig(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(sb.ConfigPath())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return b
}

// setConfigKeys merges keys into config.json (written by hand, as a user would).
func (sb *sandbox) setConfigKeys(t *testing.T, keys map[string]any) {
	t.Helper()
	m := map[string]any{}
	if b := sb.readConfig(t); len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("config.json: %v", err)
		}
	}
	for k, v := range keys {
		m[k] = v
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	sb.writeConfig(t, b)
}

// instance is a running `claudeflare serve`.
type instance struct {
	*sandbox
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's result, set before done is closed
	client *http.Client

	mu   sync.Mutex
	port int

	stopOnce sync.Once
}

// serve starts `claudeflare serve` on a free port (written to config.json, so
// that `config set port` can move it later), waits until /health answers and
// registers a cleanup that stops it with SIGTERM and checks that it exits 0.
func (sb *sandbox) serve(t *testing.T) *instance {
	t.Helper()
	var lastErr error
	for range 3 { // the free port may be taken by someone else in between
		port := testkit.FreePort(t)
		sb.setConfigKeys(t, map[string]any{"port": port})
		in, err := sb.startServe(t, port)
		if err == nil {
			return in
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) && !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("starting claudeflare serve: %v", lastErr)
	return nil
}

func (sb *sandbox) startServe(t *testing.T, port int) (*instance, error) {
	t.Helper()
	in := &instance{
		sandbox: sb,
		stdout:  &syncBuffer{},
		stderr:  &syncBuffer{},
		done:    make(chan struct{}),
		port:    port,
		client:  sb.userClient(),
	}
	in.cmd = exec.Command(binary, "serve")
	in.cmd.Env = sb.env()
	in.cmd.Stdout, in.cmd.Stderr = in.stdout, in.stderr
	if err := in.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		in.err = in.cmd.Wait()
		close(in.done)
	}()
	if err := in.waitHealthy(t.Context(), in.URL()); err != nil {
		_ = in.cmd.Process.Kill()
		<-in.done
		return nil, fmt.Errorf("%w\n--- serve stdout:\n%s--- serve stderr:\n%s", err, in.stdout, in.stderr)
	}
	t.Cleanup(func() {
		in.client.CloseIdleConnections()
		if err := in.stop(); err != nil {
			t.Errorf("claudeflare serve did not shut down cleanly: %v", err)
		}
		if t.Failed() {
			t.Logf("--- serve stdout:\n%s--- serve stderr:\n%s", in.stdout, in.stderr)
		}
	})
	return in, nil
}

// userClient is how the sandbox's user talks to serve: it sends the local
// API token of the sandbox's home on /api/ and /metrics, as the CLI and
// scripts do, unless the request carries an Authorization of its own.
func (sb *sandbox) userClient() *http.Client {
	return &http.Client{Transport: &tokenTransport{home: sb.Home, next: &http.Transport{DisableCompression: true}}}
}

// tokenTransport adds the local API token of home to API requests.
type tokenTransport struct {
	home string
	next http.RoundTripper
}

// noToken is a request header that makes userClient send no token (it is
// removed before the request goes out): a client that does not have it.
const noToken = "X-Test-No-Token"

func (tt *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	p := req.URL.Path
	if req.Header.Get(noToken) != "" {
		req = req.Clone(req.Context())
		req.Header.Del(noToken)
	} else if (strings.HasPrefix(p, "/api/") || p == "/metrics") && req.Header.Get("Authorization") == "" {
		if tok := readToken(tt.home); tok != "" {
			req = req.Clone(req.Context())
			req.Header.Set("Authorization", "Bearer "+tok)
		}
	}
	return tt.next.RoundTrip(req)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the transport.
func (tt *tokenTransport) CloseIdleConnections() {
	if c, ok := tt.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// readToken is the local API token serve made in home ("" before it has).
func readToken(home string) string {
	b, err := os.ReadFile(filepath.Join(home, "api-token"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// apiToken is the sandbox's local API token; serve must have made it.
func (sb *sandbox) apiToken(t *testing.T) string {
	t.Helper()
	tok := readToken(sb.Home)
	if tok == "" {
		t.Fatal("no api-token in the sandbox's home")
	}
	return tok
}

// waitHealthy polls base/health until it answers 200 or serve exits.
func (in *instance) waitHealthy(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/health", nil)
		resp, err := in.client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusOK:
				return in.checkIdentity(ctx, base)
			case http.StatusUnauthorized: // up, but allow_remote wants the client key even here
				return nil
			}
		}
		select {
		case <-in.done:
			return fmt.Errorf("serve exited before answering /health: %v", in.err)
		case <-ctx.Done():
			return fmt.Errorf("%s/health did not answer within %s (last error: %v)", base, startTimeout, err)
		case <-time.After(pollEvery):
		}
	}
}

// errPortTaken: the port answered, but for another test's serve.
var errPortTaken = errors.New("address already in use (by another claudeflare)")

// checkIdentity makes sure the serve answering on base is this one (another
// test may have taken the port between freePort and the bind): its upstream
// is this sandbox's own fake.
func (in *instance) checkIdentity(ctx context.Context, base string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/config", nil)
	resp, err := in.client.Do(req)
	if err != nil {
		return fmt.Errorf("GET /api/config: %w", err)
	}
	defer resp.Body.Close()
	var cfg configJSON
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil {
		return fmt.Errorf("GET /api/config: %w", err)
	}
	if cfg.UpstreamURL != in.Fake.URL {
		return errPortTaken
	}
	return nil
}

// stop sends SIGTERM and waits for the exit; it reports anything but a clean
// exit with status 0. Only the first call acts.
func (in *instance) stop() error {
	var err error
	in.stopOnce.Do(func() {
		select {
		case <-in.done:
			err = fmt.Errorf("serve had already exited: %v", in.err)
			return
		default:
		}
		if e := in.cmd.Process.Signal(syscall.SIGTERM); e != nil {
			err = fmt.Errorf("sending SIGTERM: %w", e)
			return
		}
		select {
		case <-in.done:
			if in.err != nil {
				err = fmt.Errorf("after SIGTERM: %v", in.err)
			}
		case <-time.After(stopTimeout):
			_ = in.cmd.Process.Kill()
			<-in.done
			err = fmt.Errorf("still running %s after SIGTERM; killed", stopTimeout)
		}
	})
	return err
}

// URL is the proxy's base URL, such as http://127.0.0.1:41234.
func (in *instance) URL() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return "http://127.0.0.1:" + strconv.Itoa(in.port)
}

// setPort records that the listener moved.
func (in *instance) setPort(p int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.port = p
}

// response is an answer read whole.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// do sends one request to the proxy. body is nil, []byte, string or a value
// sent as JSON (with Content-Type application/json unless headers set one);
// headers are name, value pairs ("Host" sets the Host header).
func (in *instance) do(t *testing.T, method, path string, body any, headers ...string) response {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var rd io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd, contentType = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, in.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if strings.EqualFold(headers[i], "Host") {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := in.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// getJSON GETs path, requires 200 and decodes the answer into v.
func (in *instance) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	r := in.do(t, http.MethodGet, path, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %s", path, r)
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("GET %s: decoding %s: %v", path, r.Body, err)
	}
}

// accountJSON is an entry of GET /api/accounts (docs/DESIGN.md, "The listener").
type accountJSON struct {
	ID               string     `json:"id"`
	Name             string     `json:"name"`
	Kind             string     `json:"kind"`
	Priority         int        `json:"priority"`
	Paused           bool       `json:"paused"`
	Status           string     `json:"status"`
	RateLimitedUntil *time.Time `json:"rate_limited_until"`
	SessionStart     *time.Time `json:"session_start"`
	SessionRequests  int64      `json:"session_requests"`
	TotalRequests    int64      `json:"total_requests"`
}

// accounts returns GET /api/accounts by name, and the names in order.
func (in *instance) accounts(t *testing.T) (map[string]accountJSON, []string) {
	t.Helper()
	var list []accountJSON
	in.getJSON(t, "/api/accounts", &list)
	byName := map[string]accountJSON{}
	var names []string
	for _, a := range list {
		byName[a.Name] = a
		names = append(names, a.Name)
	}
	return byName, names
}

// requestJSON is a row of GET /api/requests.
type requestJSON struct {
	ID                  string `json:"id"`
	Path                string `json:"path"`
	Account             string `json:"account"`
	Status              int    `json:"status"`
	Failovers           int    `json:"failovers"`
	Model               string `json:"model"`
	InputTokens         int    `json:"input_tokens"`
	OutputTokens        int    `json:"output_tokens"`
	CacheReadTokens     int    `json:"cache_read_tokens"`
	CacheCreationTokens int    `json:"cache_creation_tokens"`
	Streamed            bool   `json:"streamed"`
	Error               string `json:"error"`
}

// configJSON is GET /api/config.
type configJSON struct {
	LBStrategy        string            `json:"lb_strategy"`
	SessionDurationMS int64             `json:"session_duration_ms"`
	Port              int               `json:"port"`
	Host              string            `json:"host"`
	UpstreamURL       string            `json:"upstream_url"`
	CredentialStore   string            `json:"credential_store"`
	AllowRemote       bool              `json:"allow_remote"`
	RetentionDays     int               `json:"retention_days"`
	Sources           map[string]string `json:"sources"`
}

// messagesBody is a minimal Messages API request.
func messagesBody(stream bool) []byte {
	b, _ := json.Marshal(map[string]any{
		"model":      "claude-sonnet-4-5-20250929",
		"max_tokens": 64,
		"stream":     stream,
		"messages":   []map[string]string{{"role": "user", "content": "Hello"}},
	})
	return b
}

// message sends a non-streaming /v1/messages request with the client's dummy key.
func (in *instance) message(t *testing.T) response {
	t.Helper()
	return in.do(t, http.MethodPost, "/v1/messages", messagesBody(false),
		"Content-Type", "application/json", "x-api-key", clientKey, "anthropic-version", "2023-06-01")
}

// mustServeFrom sends a message that must succeed on account name.
func (in *instance) mustServeFrom(t *testing.T, name string) response {
	t.Helper()
	r := in.message(t)
	if r.Status != http.StatusOK {
		t.Fatalf("POST /v1/messages: want 200 from %s, got %s", name, r)
	}
	if got := r.Header.Get("x-claudeflare-account"); got != name {
		t.Fatalf("POST /v1/messages: x-claudeflare-account = %q, want %q", got, name)
	}
	return r
}

// seenMessages returns the /v1/messages requests the fake received.
func seenMessages(fake *fakeanthropic.Server) []fakeanthropic.Seen {
	var out []fakeanthropic.Seen
	for _, s := range fake.Requests() {
		if s.Path == "/v1/messages" {
			out = append(out, s)
		}
	}
	return out
}

// checkClientKeyNeverForwarded fails if any request the fake received carried
// the client's dummy key.
func checkClientKeyNeverForwarded(t *testing.T, fake *fakeanthropic.Server) {
	t.Helper()
	for _, s := range fake.Requests() {
		for name, vv := range s.Header {
			for _, v := range vv {
				if strings.Contains(v, clientKey) {
					t.Errorf("the client's key reached upstream in %s: %s %s", name, s.Method, s.Path)
				}
			}
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the process's output goroutines and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
