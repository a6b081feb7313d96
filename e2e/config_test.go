package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
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
	eventually(t, liveDeadline, "session_duration_ms applied by the running serve", func() error {
		var cfg configJSON
		in.getJSON(t, "/api/config", &cfg)
		if cfg.SessionDurationMS != 60000 || cfg.Sources["session_duration_ms"] != "file" {
			return fmt.Errorf("GET /api/config: session_duration_ms = %d (source %q)", cfg.SessionDurationMS, cfg.Sources["session_duration_ms"])
		}
		return nil
	})

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
	eventually(t, liveDeadline, "session_duration_ms 120000 applied", func() error {
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
				args = append(args, "--port", strconv.Itoa(freePort(t)))
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

// TestConfigSetPortMovesListener: `config set port N` re-binds the listener.
func TestConfigSetPortMovesListener(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	sb.addAccount(t, "a")
	in := sb.serve(t)
	oldURL := in.URL()
	in.mustServeFrom(t, "a")

	newPort := freePort(t)
	sb.mustCLI(t, "", "config", "set", "port", strconv.Itoa(newPort))
	in.setPort(newPort)
	eventually(t, 5*time.Second, "the new port answers /health", func() error {
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

	// The old listener stops accepting once it is drained.
	oldAddr := strings.TrimPrefix(oldURL, "http://")
	eventually(t, 5*time.Second, "the old port stops listening", func() error {
		c, err := net.DialTimeout("tcp", oldAddr, time.Second)
		if err != nil {
			return nil
		}
		c.Close()
		return fmt.Errorf("%s still accepts connections", oldAddr)
	})
}
