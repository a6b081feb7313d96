package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
	"github.com/claudeflare/claudeflare/platform/claudecode"
)

// unroutedTimeout bounds the run of Claude Code that must not reach the
// proxy: it tries api.anthropic.com, unreachable here, and would retry for
// minutes.
const unroutedTimeout = 15 * time.Second

// TestClaudeCodeSettingsFile: `claude-code enable` alone routes the real
// Claude Code CLI, run with no ANTHROPIC_* variable at all, through the
// proxy; `claude-code disable` puts the user's settings file back byte for
// byte, and the next run no longer reaches the proxy.
func TestClaudeCodeSettingsFile(t *testing.T) {
	t.Parallel()
	bin := claudeBin(t)
	in := twoAccounts(t)
	claudeHome := t.TempDir()
	settings := filepath.Join(claudeHome, ".claude", "settings.json")
	original := "{\n  \"includeCoAuthoredBy\": false,\n  \"env\": {\n    \"MY_TOOL_HOME\": \"/opt/zoë\"\n  }\n}\n"
	if err := os.MkdirAll(filepath.Dir(settings), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(settings, []byte(original), 0o644); err != nil {
		t.Fatal(err)
	}

	res := in.mustCLI(t, "", "claude-code", "enable", "--settings", settings)
	if !strings.Contains(res.Stdout, "at "+in.URL()+".") || strings.Contains(res.Stdout, "does not answer") {
		t.Fatalf("enable found the wrong address, or none running (serve is at %s):\n%s", in.URL(), res)
	}
	var wired struct {
		IncludeCoAuthoredBy *bool             `json:"includeCoAuthoredBy"`
		Env                 map[string]string `json:"env"`
	}
	data, _ := os.ReadFile(settings)
	if err := json.Unmarshal(data, &wired); err != nil {
		t.Fatalf("settings after enable: %v\n%s", err, data)
	}
	if wired.Env["ANTHROPIC_BASE_URL"] != in.URL() || wired.Env["CLAUDE_CODE_OAUTH_TOKEN"] != claudecode.Placeholder ||
		wired.Env["MY_TOOL_HOME"] != "/opt/zoë" || wired.IncludeCoAuthoredBy == nil || *wired.IncludeCoAuthoredBy {
		t.Fatalf("settings after enable:\n%s", data)
	}
	if res := in.mustCLI(t, "", "claude-code", "status", "--settings", settings); !strings.Contains(res.Stdout, "Claudeflare answers there") {
		t.Errorf("status:\n%s", res)
	}

	// Claude Code with nothing but its settings file to go on.
	for _, kv := range claudeEnv(t, claudeHome) {
		if strings.HasPrefix(kv, "ANTHROPIC_") || strings.HasPrefix(kv, "CLAUDE_CODE_OAUTH") {
			t.Fatalf("the environment sets %s", kv)
		}
	}
	run := runClaudeIn(t, bin, claudeHome, claudeTimeout, "say hi")
	if run.Err != nil {
		t.Fatalf("claude -p routed by the settings file: %v\n--- stdout:\n%s--- stderr:\n%s", run.Err, run.Stdout, run.Stderr)
	}
	want := strings.TrimSpace(fakeanthropic.StreamText(fakeanthropic.DefaultStreamChunks))
	if !strings.Contains(run.Stdout, want) {
		t.Errorf("claude -p printed %q, want the fake's text %q\n--- stderr:\n%s", run.Stdout, want, run.Stderr)
	}
	byKey := map[string]string{}
	for name, key := range in.Keys {
		byKey[key] = name
	}
	served := 0
	for _, s := range seenMessages(in.Fake) {
		if byKey[s.Credential] == "" {
			t.Errorf("the fake saw /v1/messages with a credential that is no account's key: %q", s.Credential)
		}
		if s.Status == http.StatusOK {
			served++
		}
	}
	if served == 0 {
		t.Fatal("the fake served no /v1/messages: Claude Code did not go through the proxy")
	}
	for _, s := range in.Fake.Requests() {
		for name, vv := range s.Header {
			for _, v := range vv {
				if strings.Contains(v, claudecode.Placeholder) {
					t.Errorf("the placeholder credential reached upstream in %s: %s %s", name, s.Method, s.Path)
				}
			}
		}
	}
	in.waitForRow(t, "a", http.StatusOK)

	// Disabled: the user's file is as it was, and Claude Code goes elsewhere.
	res = in.mustCLI(t, "", "claude-code", "disable", "--settings", settings)
	if !strings.Contains(res.Stdout, "as it was before") {
		t.Errorf("disable:\n%s", res)
	}
	if got, _ := os.ReadFile(settings); string(got) != original {
		t.Fatalf("settings after disable:\n%q\nwant the original:\n%q", got, original)
	}
	seenBefore := len(in.Fake.Requests())
	rowsBefore := in.rowCount(t)

	// Exactly the environment that worked before: with the settings file
	// back as it was, Claude Code has no credential and no proxy.
	notRouted := func(name string, env ...string) {
		t.Helper()
		start := time.Now()
		run := runClaudeIn(t, bin, claudeHome, unroutedTimeout, "say hi", env...)
		t.Logf("claude -p after disable, %s: %v after %s\n--- stdout:\n%s--- stderr:\n%s",
			name, run.Err, time.Since(start).Round(time.Millisecond), run.Stdout, run.Stderr)
		if run.Err == nil || strings.Contains(run.Stdout, want) {
			t.Errorf("claude -p after disable (%s) succeeded: it still went through the proxy", name)
		}
	}
	notRouted("same environment")
	// As a user logged in to claude.ai would: a credential of its own, so it
	// really sends the request, to api.anthropic.com (which does not resolve
	// here). CLAUDE_CODE_MAX_RETRIES=0 and a short API_TIMEOUT_MS make it give
	// up sooner; unroutedTimeout bounds it anyway.
	notRouted("with a credential of its own", "CLAUDE_CODE_OAUTH_TOKEN=sk-ant-oat01-e2e-own-login",
		"CLAUDE_CODE_MAX_RETRIES=0", "API_TIMEOUT_MS=5000")

	// A marker request: its row is written after any the runs caused (the
	// writer commits in order), so counting once it is there misses nothing.
	in.mustServeFrom(t, "a")
	testkit.Eventually(t, 5*time.Second, "the marker's row", func() error {
		if n := in.rowCount(t); n <= rowsBefore {
			return fmt.Errorf("%d rows, %d before the marker", n, rowsBefore)
		}
		return nil
	})
	if got := in.rowCount(t) - rowsBefore; got != 1 {
		t.Errorf("the proxy logged %d requests after disable, want only the marker", got)
	}
	if got := len(in.Fake.Requests()) - seenBefore; got != 1 {
		t.Errorf("the fake saw %d requests after disable, want only the marker", got)
	}
}

// rowCount is the number of request rows the proxy has written.
func (in *instance) rowCount(t *testing.T) int {
	t.Helper()
	var rows []requestJSON
	in.getJSON(t, "/api/requests?limit=1000", &rows)
	return len(rows)
}
