package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

// TestConfigSetAppliesLive: `config set session_duration_ms` while serve runs
// reaches GET /api/config within a second, with source file.
func TestConfigSetAppliesLive(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	in := sb.serve(t)

	var cfg configJSON
	in.getJSON(t, "/api/config", &cfg)
	if cfg.SessionDurationMS != 18000000 || cfg.Sources["session_duration_ms"] != "default" {
		t.Fatalf("before: session_duration_ms = %d (%s), want the default 18000000", cfg.SessionDurationMS, cfg.Sources["session_duration_ms"])
	}
	if cfg.Sources["upstream_url"] != "env" || cfg.Sources["port"] != "file" {
		t.Errorf("sources = %v, want upstream_url env and port file", cfg.Sources)
	}

	res := sb.mustCLI(t, "", "config", "set", "session_duration_ms", "60000")
	if !strings.Contains(res.Stdout, "session_duration_ms") {
		t.Errorf("config set output does not name the key: %s", res)
	}
	testkit.Eventually(t, liveDeadline, "session_duration_ms applied by the running serve", func() error {
		var cfg configJSON
		in.getJSON(t, "/api/config", &cfg)
		if cfg.SessionDurationMS != 60000 || cfg.Sources["session_duration_ms"] != "file" {
			return fmt.Errorf("GET /api/config: session_duration_ms = %d (source %q)", cfg.SessionDurationMS, cfg.Sources["session_duration_ms"])
		}
		return nil
	})

	if st, err := os.Stat(sb.ConfigPath()); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("config.json after config set: %v, want mode 0600", st.Mode())
	}
	if st, err := os.Stat(filepath.Join(sb.Home, "credentials.json")); err == nil && st.Mode().Perm() != 0o600 {
		t.Errorf("credentials.json: mode %v, want 0600", st.Mode().Perm())
	}

	// config show agrees, with the source.
	show := sb.mustCLI(t, "", "config", "show")
	if !strings.Contains(show.Stdout, "60000") {
		t.Errorf("config show after set: %s", show)
	}
}

// TestConfigSetBadValue: a bad `config set` exits non-zero, names the key and
// changes nothing, neither the file nor the running configuration.
func TestConfigSetBadValue(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	in := sb.serve(t)
	sb.mustCLI(t, "", "config", "set", "session_duration_ms", "120000")
	testkit.Eventually(t, liveDeadline, "session_duration_ms 120000 applied", func() error {
		var cfg configJSON
		in.getJSON(t, "/api/config", &cfg)
		if cfg.SessionDurationMS != 120000 {
			return fmt.Errorf("session_duration_ms = %d", cfg.SessionDurationMS)
		}
		return nil
	})
	fileBefore := sb.readConfig(t)
	var cfgBefore configJSON
	in.getJSON(t, "/api/config", &cfgBefore)

	for _, tc := range []struct{ key, value string }{
		{"session_duration_ms", "5"},
		{"session_duration_ms", "604800001"},
		{"session_duration_ms", "1h"},
		{"port", "70000"},
		{"port", "abc"},
		{"lb_strategy", "round_robin"},
		{"host", "example.com"},
		{"retention_days", "0"},
		{"allow_remote", "maybe"},
		{"upstream_url", "not a url"},
		{"no_such_key", "1"},
		{"upstream_url", "http://127.0.0.1:1"}, // set by CLAUDEFLARE_UPSTREAM_URL
	} {
		res := sb.CLI(t, "", "config", "set", tc.key, tc.value)
		if res.Code == 0 {
			t.Errorf("config set %s %q: exit 0, want non-zero\n%s", tc.key, tc.value, res)
			continue
		}
		if !strings.Contains(res.Stderr, tc.key) {
			t.Errorf("config set %s %q: the message does not name the key:\n%s", tc.key, tc.value, res)
		}
	}
	if after := sb.readConfig(t); !bytes.Equal(after, fileBefore) {
		t.Errorf("config.json changed after refused `config set`s:\nbefore %s\nafter  %s", fileBefore, after)
	}
	var cfgAfter configJSON
	in.getJSON(t, "/api/config", &cfgAfter)
	if fmt.Sprint(cfgAfter) != fmt.Sprint(cfgBefore) {
		t.Errorf("the running configuration changed:\nbefore %+v\nafter  %+v", cfgBefore, cfgAfter)
	}
}

// TestServeRefusesBadConfigFile: a hand-written bad config.json stops serve at
// start-up with a non-zero status and a message naming the file and the key;
// the file is left as it was.
func TestServeRefusesBadConfigFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file, key string
	}{
		{"wrong type", `{"session_duration_ms": "an hour"}`, "session_duration_ms"},
		{"out of range", `{"session_duration_ms": 5}`, "session_duration_ms"},
		{"port out of range", `{"port": 70000}`, "port"},
		{"unknown strategy", `{"lb_strategy": "round_robin"}`, "lb_strategy"},
		{"bad retention", `{"retention_days": 0}`, "retention_days"},
		{"remote host without allow_remote", `{"host": "10.1.2.3"}`, "host"},
		{"not JSON", `{"port": 8080,,}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sb := newSandbox(t, fakeanthropic.Options{})
			sb.writeConfig(t, []byte(tc.file))
			args := []string{"serve"}
			if tc.key != "port" { // should serve start by mistake, it must not take a fixed port
				args = append(args, "--port", strconv.Itoa(testkit.FreePort(t)))
			}
			res := sb.CLI(t, "", args...)
			if res.Code == 0 {
				t.Fatalf("serve with config.json %s: exit 0, want non-zero\n%s", tc.file, res)
			}
			if !strings.Contains(res.Stderr, sb.ConfigPath()) {
				t.Errorf("serve's message does not name the file %s:\n%s", sb.ConfigPath(), res)
			}
			if tc.key != "" && !strings.Contains(res.Stderr, tc.key) {
				t.Errorf("serve's message does not name the key %s:\n%s", tc.key, res)
			}
			if got := string(sb.readConfig(t)); got != tc.file {
				t.Errorf("config.json was changed to %s", got)
			}
		})
	}
}

// TestServeRefusesBadEnvironment: a bad environment value is reported naming the variable.
func TestServeRefusesBadEnvironment(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "serve")
	cmd.Env = append(sb.env(), "SESSION_DURATION_MS=soon")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("serve with SESSION_DURATION_MS=soon: exit 0\n%s", out)
	}
	if ctx.Err() != nil {
		t.Fatalf("serve with SESSION_DURATION_MS=soon did not exit: %s", out)
	}
	if !strings.Contains(string(out), "SESSION_DURATION_MS") {
		t.Errorf("serve's message does not name the variable SESSION_DURATION_MS:\n%s", out)
	}
}

// TestConfigSetPortMovesListener: `config set port N` re-binds the listener:
// the new port answers, a stream in flight on the old one finishes, then the
// old one stops listening.
func TestConfigSetPortMovesListener(t *testing.T) {
	t.Parallel()
	const chunks = 12
	sb := newSandbox(t, fakeanthropic.Options{EventDelay: 100 * time.Millisecond, StreamChunks: chunks})
	sb.addAccount(t, "a")
	in := sb.serve(t)
	oldURL := in.URL()
	in.mustServeFrom(t, "a")

	// A slow stream on the old port, in flight during the move.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", oldURL+"/v1/messages", bytes.NewReader(messagesBody(true)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", clientKey)
	resp, err := in.client.Do(req)
	if err != nil {
		t.Fatalf("starting a stream: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("starting a stream: %s", resp.Status)
	}
	streamed := make(chan string, 1)
	go func() {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			b = append(b, "\n[read error: "+err.Error()+"]"...)
		}
		streamed <- string(b)
	}()

	newPort := testkit.FreePort(t)
	sb.mustCLI(t, "", "config", "set", "port", strconv.Itoa(newPort))
	in.setPort(newPort)
	testkit.Eventually(t, 5*time.Second, "the new port answers /health", func() error {
		r, err := in.client.Get(in.URL() + "/health")
		if err != nil {
			return err
		}
		r.Body.Close()
		if r.StatusCode != 200 {
			return fmt.Errorf("status %d", r.StatusCode)
		}
		return nil
	})
	var cfg configJSON
	in.getJSON(t, "/api/config", &cfg)
	if cfg.Port != newPort || cfg.Sources["port"] != "file" {
		t.Errorf("GET /api/config on the new port: port %d (%s), want %d (file)", cfg.Port, cfg.Sources["port"], newPort)
	}
	in.mustServeFrom(t, "a")

	body := <-streamed
	if !strings.Contains(body, "event: message_stop") || !strings.Contains(body, fmt.Sprintf("chunk-%d ", chunks-1)) {
		t.Errorf("the stream in flight during the move did not finish:\n%s", body)
	}

	// The old listener stops accepting once it is drained.
	oldAddr := strings.TrimPrefix(oldURL, "http://")
	testkit.Eventually(t, 5*time.Second, "the old port stops listening", func() error {
		c, err := net.DialTimeout("tcp", oldAddr, time.Second)
		if err != nil {
			return nil
		}
		c.Close()
		return fmt.Errorf("%s still accepts connections", oldAddr)
	})
}

// TestHandEditedConfig: a hand edit of config.json applies live; a bad one is
// reported and leaves both the file and the running configuration alone.
func TestHandEditedConfig(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	sb.addAccount(t, "a")
	in := sb.serve(t)

	sb.setConfigKeys(t, map[string]any{"session_duration_ms": 90000, "x_unknown_key": "kept"})
	testkit.Eventually(t, liveDeadline, "hand edit applied", func() error {
		var cfg configJSON
		in.getJSON(t, "/api/config", &cfg)
		if cfg.SessionDurationMS != 90000 || cfg.Sources["session_duration_ms"] != "file" {
			return fmt.Errorf("session_duration_ms = %d (%s)", cfg.SessionDurationMS, cfg.Sources["session_duration_ms"])
		}
		return nil
	})

	bad := []byte(`{"port": ` + strconv.Itoa(mustPort(t, in)) + `, "session_duration_ms": "soon", "x_unknown_key": "kept"}`)
	sb.writeConfig(t, bad)
	// Once serve has reported the bad file, it must still run on the old configuration.
	testkit.Eventually(t, 3*time.Second, "the bad file reported by serve", func() error {
		if !hasLine(in.stderr.String(), sb.ConfigPath(), "session_duration_ms", "soon") {
			return fmt.Errorf("serve's log does not name session_duration_ms yet:\n%s", in.stderr)
		}
		return nil
	})
	var cfg configJSON
	in.getJSON(t, "/api/config", &cfg)
	if cfg.SessionDurationMS != 90000 {
		t.Errorf("after a bad hand edit, session_duration_ms = %d, want 90000 (kept)", cfg.SessionDurationMS)
	}
	in.mustServeFrom(t, "a")
	if got := sb.readConfig(t); !bytes.Equal(got, bad) {
		t.Errorf("the bad config.json was replaced by %s", got)
	}

	// `config set` keeps keys it does not know.
	sb.writeConfig(t, []byte(`{"port": `+strconv.Itoa(mustPort(t, in))+`, "x_unknown_key": "kept"}`))
	sb.mustCLI(t, "", "config", "set", "retention_days", "7")
	if got := string(sb.readConfig(t)); !strings.Contains(got, `"x_unknown_key"`) || !strings.Contains(got, "kept") {
		t.Errorf("config set dropped an unknown key: %s", got)
	}
	testkit.Eventually(t, liveDeadline, "retention_days applied", func() error {
		var cfg configJSON
		in.getJSON(t, "/api/config", &cfg)
		if cfg.RetentionDays != 7 || cfg.SessionDurationMS != 18000000 {
			return fmt.Errorf("retention_days = %d, session_duration_ms = %d", cfg.RetentionDays, cfg.SessionDurationMS)
		}
		return nil
	})
}

// mustPort is the port serve listens on.
func mustPort(t *testing.T, in *instance) int {
	t.Helper()
	_, p, err := net.SplitHostPort(strings.TrimPrefix(in.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// hasLine reports whether one line of text contains every part.
func hasLine(text string, parts ...string) bool {
	for line := range strings.Lines(text) {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}
