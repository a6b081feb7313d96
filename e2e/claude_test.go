package e2e

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
)

// claudeTimeout bounds one run of the Claude Code CLI.
const claudeTimeout = 120 * time.Second

// claudeBin returns node_modules/.bin/claude, or skips the test.
func claudeBin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(repoRoot, "node_modules", ".bin", "claude")
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("the Claude Code CLI is not installed (%s missing): run `npm ci` at the repo root "+
			"(package.json pins @anthropic-ai/claude-code)", bin)
	}
	return bin
}

// claudeRun is one run of `claude -p`.
type claudeRun struct {
	Stdout, Stderr string
	Err            error
}

// runClaude runs `claude -p prompt` against baseURL, isolated from the
// machine: its own HOME, no telemetry, no updater, no other traffic, and the
// dummy client key as its only credential.
func runClaude(t *testing.T, bin, baseURL, prompt string) claudeRun {
	t.Helper()
	return runClaudeEnv(t, bin, prompt, "ANTHROPIC_BASE_URL="+baseURL, "ANTHROPIC_API_KEY="+clientKey)
}

// runClaudeEnv runs `claude -p prompt` isolated from the machine, with env
// (NAME=value) added: where to send requests and which credential to use.
func runClaudeEnv(t *testing.T, bin, prompt string, env ...string) claudeRun {
	t.Helper()
	return runClaudeIn(t, bin, t.TempDir(), claudeTimeout, prompt, env...)
}

// claudeEnv is the environment that isolates Claude Code from the machine,
// with home as its HOME: no telemetry, no updater, no other traffic, and no
// ANTHROPIC_* variable at all.
func claudeEnv(t *testing.T, home string) []string {
	t.Helper()
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"TMPDIR=" + t.TempDir(),
		"LANG=C.UTF-8",
		"TERM=dumb",
		"NO_PROXY=127.0.0.1,localhost",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		"DISABLE_TELEMETRY=1",
		"DISABLE_AUTOUPDATER=1",
		"DISABLE_ERROR_REPORTING=1",
	}
}

// runClaudeIn is runClaudeEnv with home as Claude Code's HOME (so its
// ~/.claude/settings.json is home's), for at most timeout.
func runClaudeIn(t *testing.T, bin, home string, timeout time.Duration, prompt string, env ...string) claudeRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-p", prompt)
	cmd.Dir = t.TempDir()
	cmd.Env = append(claudeEnv(t, home), env...)
	cmd.Stdin = strings.NewReader("")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		err = errors.Join(err, ctx.Err())
	}
	return claudeRun{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
}

// checkClaudeTraffic compares what Claude Code sent (seen by the tap) with
// what reached the fake: every /v1/messages request carries ?beta=true, the
// client's anthropic-beta list reaches upstream unchanged, the client's dummy
// key is replaced by the account's. It returns the client's exchanges.
func checkClaudeTraffic(t *testing.T, in *instance, tp *tap) []exchange {
	t.Helper()
	exs := tp.Exchanges()
	var sent []exchange
	for _, ex := range exs {
		t.Logf("claude → proxy: %s (anthropic-beta %q, user-agent %q)", ex, ex.Req.Header.Get("anthropic-beta"), ex.Req.Header.Get("User-Agent"))
		if ex.Req.URL.Path == "/v1/messages" {
			sent = append(sent, ex)
		}
		if !strings.HasPrefix(ex.Req.URL.Path, "/v1/") {
			t.Errorf("Claude Code requested %s, which is not under /v1/: Claudeflare answered %s %s",
				ex.Req.URL.RequestURI(), ex.Resp.Status, ex.RespBody)
		}
		if ex.Resp != nil && ex.Resp.StatusCode >= 400 {
			t.Errorf("Claude Code got an error from the proxy: %s %s", ex, ex.RespBody)
		}
	}
	if len(sent) == 0 {
		t.Fatalf("Claude Code sent no POST /v1/messages through the proxy (exchanges: %v)", exs)
	}

	// The fake's view: the same requests, on accounts' keys, in order.
	byKey := map[string]string{}
	for name, key := range in.Keys {
		byKey[key] = name
	}
	var served []fakeanthropic.Seen
	for _, s := range seenMessages(in.Fake) {
		if byKey[s.Credential] == "" {
			t.Errorf("the fake saw /v1/messages with a credential that is no account's key: %q", s.Credential)
		}
		if s.Status == http.StatusOK {
			served = append(served, s)
		}
	}
	if len(served) != len(sent) {
		t.Fatalf("Claude Code sent %d /v1/messages requests, the fake served %d", len(sent), len(served))
	}
	for i, ex := range sent {
		up := served[i]
		if ex.Req.Method != http.MethodPost || up.Method != http.MethodPost {
			t.Errorf("request %d: method %s → %s, want POST", i, ex.Req.Method, up.Method)
		}
		if ex.Req.URL.RawQuery != "beta=true" || up.RawQuery != "beta=true" {
			t.Errorf("request %d: query %q → %q, want beta=true on both sides", i, ex.Req.URL.RawQuery, up.RawQuery)
		}
		cb, ub := ex.Req.Header.Values("anthropic-beta"), up.Header.Values("anthropic-beta")
		if strings.Join(cb, ",") != strings.Join(ub, ",") {
			t.Errorf("request %d: anthropic-beta changed on the way:\nclient   %q\nupstream %q", i, cb, ub)
		}
		if !strings.Contains(strings.Join(cb, ","), "claude-code-20250219") {
			t.Errorf("request %d: the client's anthropic-beta %q lacks claude-code-20250219", i, cb)
		}
		if got := ex.Req.Header.Get("x-api-key"); got != clientKey {
			t.Errorf("request %d: Claude Code sent x-api-key %q, want the dummy key", i, got)
		}
		if !bytes.Equal(ex.ReqBody, up.Body) {
			t.Errorf("request %d: the body changed on the way (%d bytes → %d bytes)", i, len(ex.ReqBody), len(up.Body))
		}
		if got := ex.Resp.Header.Get("x-claudeflare-account"); got == "" || byKey[up.Credential] != got {
			t.Errorf("request %d: x-claudeflare-account %q, but upstream saw %s's key", i, got, byKey[up.Credential])
		}
	}
	checkClientKeyNeverForwarded(t, in.Fake)
	return sent
}

// TestClaudeCode runs the real Claude Code CLI through the proxy.
func TestClaudeCode(t *testing.T) {
	t.Parallel()
	bin := claudeBin(t)
	in := twoAccounts(t)
	tp := newTap(t, strings.TrimPrefix(in.URL(), "http://"))

	run := runClaude(t, bin, tp.URL(), "say hi")
	if run.Err != nil {
		checkClaudeTraffic(t, in, tp)
		t.Fatalf("claude -p: %v\n--- stdout:\n%s--- stderr:\n%s", run.Err, run.Stdout, run.Stderr)
	}
	want := strings.TrimSpace(fakeanthropic.StreamText(fakeanthropic.DefaultStreamChunks))
	if !strings.Contains(run.Stdout, want) {
		t.Errorf("claude -p printed %q, want the fake's text %q\n--- stderr:\n%s", run.Stdout, want, run.Stderr)
	}
	sent := checkClaudeTraffic(t, in, tp)
	for _, ex := range sent {
		if got := ex.Resp.Header.Get("x-claudeflare-account"); got != "a" {
			t.Errorf("%s served by %q, want a (the session's account)", ex, got)
		}
	}
	in.waitForRow(t, "a", http.StatusOK)
}

// TestClaudeCodeFailover: the first account answers 429 and Claude Code still
// succeeds, through the second, without seeing the 429.
func TestClaudeCodeFailover(t *testing.T) {
	t.Parallel()
	bin := claudeBin(t)
	in := twoAccounts(t)
	in.Fake.SetBehavior(in.Keys["a"], fakeanthropic.Behavior{Status: http.StatusTooManyRequests, RetryAfter: "3600"})
	tp := newTap(t, strings.TrimPrefix(in.URL(), "http://"))

	run := runClaude(t, bin, tp.URL(), "say hi")
	if run.Err != nil {
		checkClaudeTraffic(t, in, tp)
		t.Fatalf("claude -p with a rate-limited: %v\n--- stdout:\n%s--- stderr:\n%s", run.Err, run.Stdout, run.Stderr)
	}
	want := strings.TrimSpace(fakeanthropic.StreamText(fakeanthropic.DefaultStreamChunks))
	if !strings.Contains(run.Stdout, want) {
		t.Errorf("claude -p printed %q, want the fake's text %q\n--- stderr:\n%s", run.Stdout, want, run.Stderr)
	}
	sent := checkClaudeTraffic(t, in, tp)
	for _, ex := range sent {
		if got := ex.Resp.Header.Get("x-claudeflare-account"); got != "b" {
			t.Errorf("%s served by %q, want b", ex, got)
		}
	}
	var limited int
	for _, s := range seenMessages(in.Fake) {
		if s.Credential == in.Keys["a"] {
			limited++
			if s.Status != http.StatusTooManyRequests {
				t.Errorf("a answered %d, want 429", s.Status)
			}
		}
	}
	if limited != 1 {
		t.Errorf("the fake saw %d requests on a, want exactly 1 (then a is known to be limited)", limited)
	}
	accts, _ := in.accounts(t)
	checkStatus(t, accts, "a", "rate_limited")
	checkStatus(t, accts, "b", "active")
}

// TestClaudeCodeAllRateLimited: when every account is limited for a moment,
// Claude Code gets the proxy's 429 with retry-after, waits, retries and succeeds.
func TestClaudeCodeAllRateLimited(t *testing.T) {
	t.Parallel()
	bin := claudeBin(t)
	in := twoAccounts(t)
	in.Fake.SetBehavior(in.Keys["a"], fakeanthropic.Behavior{Status: http.StatusTooManyRequests, RetryAfter: "2", Times: 1})
	in.Fake.SetBehavior(in.Keys["b"], fakeanthropic.Behavior{Status: http.StatusTooManyRequests, RetryAfter: "3", Times: 1})
	tp := newTap(t, strings.TrimPrefix(in.URL(), "http://"))

	run := runClaude(t, bin, tp.URL(), "say hi")
	exs := tp.Exchanges()
	for _, ex := range exs {
		t.Logf("claude → proxy: %s (retry-after %q)", ex, ex.Resp.Header.Get("retry-after"))
	}
	if run.Err != nil {
		t.Fatalf("claude -p with every account limited for 2 s: %v\n--- stdout:\n%s--- stderr:\n%s", run.Err, run.Stdout, run.Stderr)
	}
	want := strings.TrimSpace(fakeanthropic.StreamText(fakeanthropic.DefaultStreamChunks))
	if !strings.Contains(run.Stdout, want) {
		t.Errorf("claude -p printed %q, want the fake's text %q", run.Stdout, want)
	}
	if len(exs) < 2 || exs[0].Resp == nil || exs[0].Resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("Claude Code should first have got the proxy's 429, then retried: %v", exs)
	}
	first, last := exs[0], exs[len(exs)-1]
	if ra := first.Resp.Header.Get("retry-after"); ra != "2" && ra != "1" {
		t.Errorf("the proxy's 429 said retry-after %q, want about 2 (a's reset)", ra)
	}
	if !strings.Contains(string(first.RespBody), "rate_limit_error") {
		t.Errorf("the proxy's 429 body = %s, want a rate_limit_error", first.RespBody)
	}
	if last.Resp.StatusCode != http.StatusOK || last.Resp.Header.Get("x-claudeflare-account") != "a" {
		t.Errorf("Claude Code's retry: %s from %q, want 200 from a (its limit passed first)", last, last.Resp.Header.Get("x-claudeflare-account"))
	}
}
