package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/internal/testkit"
	"github.com/claudeflare/claudeflare/platform/keychain"
)

type run struct {
	code           int
	stdout, stderr string
}

// runCLI runs one command in-process against home with the file credential store.
func runCLI(t *testing.T, home, stdin string, env map[string]string, args ...string) run {
	t.Helper()
	vars := map[string]string{"CLAUDEFLARE_HOME": home, "CLAUDEFLARE_CREDENTIAL_STORE": "file"}
	for k, v := range env {
		vars[k] = v
	}
	var out, errb bytes.Buffer
	code := Run(&Env{
		Args:   args,
		Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		Stdin:  strings.NewReader(stdin),
		Stdout: &out,
		Stderr: &errb,
	})
	return run{code, out.String(), errb.String()}
}

func TestVersionAndUsage(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	if r := runCLI(t, home, "", nil, "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "claudeflare ") {
		t.Fatalf("%+v", r)
	}
	for _, args := range [][]string{{"frobnicate"}, {"accounts"}, {"accounts", "add"}, {"config", "set", "port"}, {"stats", "--window"}, {"serve", "extra"}, {}} {
		r := runCLI(t, home, "", nil, args...)
		if r.code != 2 || !strings.Contains(r.stderr, "Usage:") {
			t.Errorf("%v: exit %d, stderr %q; want 2 with usage", args, r.code, r.stderr)
		}
	}
}

func TestConfigShowAndSet(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	r := runCLI(t, home, "", map[string]string{"PORT": "9090"}, "config", "show")
	if r.code != 0 || !strings.Contains(r.stdout, "9090") || !strings.Contains(r.stdout, "PORT") || !strings.Contains(r.stdout, "default") {
		t.Fatalf("%+v", r)
	}
	if r := runCLI(t, home, "", nil, "config", "set", "session_duration_ms", "3600000"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	path := filepath.Join(home, "config.json")
	saved, _ := os.ReadFile(path)
	var m map[string]any
	if json.Unmarshal(saved, &m) != nil || m["session_duration_ms"] != 3600000.0 {
		t.Fatalf("config.json: %s", saved)
	}
	bad := []struct {
		args  []string
		env   map[string]string
		where string
	}{
		{[]string{"config", "set", "session_duration_ms", "5"}, nil, "session_duration_ms"},
		{[]string{"config", "set", "port", "eighty"}, nil, "port"},
		{[]string{"config", "set", "lb_strategy", "round_robin"}, nil, "session"},
		{[]string{"config", "set", "nope", "1"}, nil, "nope"},
		{[]string{"config", "set", "port", "9000"}, map[string]string{"PORT": "9090"}, "PORT"},
	}
	for _, b := range bad {
		r := runCLI(t, home, "", b.env, b.args...)
		if r.code != 1 || !strings.Contains(r.stderr, b.where) {
			t.Errorf("%v: exit %d stderr %q; want 1 naming %s", b.args, r.code, r.stderr, b.where)
		}
	}
	if after, _ := os.ReadFile(path); string(after) != string(saved) {
		t.Errorf("refused sets changed config.json: %s", after)
	}
	// A broken file is reported with its path, and left alone.
	os.WriteFile(path, []byte("{not json"), 0o600)
	if r := runCLI(t, home, "", nil, "config", "show"); r.code != 1 || !strings.Contains(r.stderr, path) {
		t.Errorf("broken config: %+v", r)
	}
	os.WriteFile(path, []byte("{}"), 0o600)
	if r := runCLI(t, home, "", map[string]string{"SESSION_DURATION_MS": "forever"}, "config", "show"); r.code != 1 || !strings.Contains(r.stderr, "SESSION_DURATION_MS") {
		t.Errorf("bad env: %+v", r)
	}
}

func TestAccountsLifecycle(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	if r := runCLI(t, home, "sk-ant-api03-first\n", nil, "accounts", "add", "first", "--api-key-stdin"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	if r := runCLI(t, home, "sk-ant-api03-second", nil, "accounts", "add", "--priority", "2", "--api-key-stdin", "second"); r.code != 0 {
		t.Fatalf("flags after and before the name: %+v", r)
	}
	for _, bad := range []struct {
		stdin string
		args  []string
		code  int
	}{
		{"", []string{"accounts", "add", "empty", "--api-key-stdin"}, 2},
		{"k", []string{"accounts", "add", "first", "--api-key-stdin"}, 1},
		{"k", []string{"accounts", "add", "bad/name", "--api-key-stdin"}, 1},
		{"k", []string{"accounts", "add", "p", "--api-key-stdin", "--priority", "500"}, 1},
		{"k", []string{"accounts", "add", "p", "--api-key-stdin", "--priority", "x"}, 2},
		{"", []string{"accounts", "pause", "ghost"}, 1},
		{"", []string{"accounts", "remove", "ghost"}, 1},
	} {
		if r := runCLI(t, home, bad.stdin, nil, bad.args...); r.code != bad.code || r.stderr == "" {
			t.Errorf("%v: exit %d (%q), want %d", bad.args, r.code, r.stderr, bad.code)
		}
	}
	r := runCLI(t, home, "", nil, "accounts", "list", "--json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 2 || list[0]["name"] != "first" || list[1]["priority"] != 2.0 {
		t.Fatalf("%v %+v", err, r)
	}
	if strings.Contains(r.stdout, "sk-ant") {
		t.Fatal("accounts list shows a key")
	}
	if r := runCLI(t, home, "", nil, "accounts", "pause", "first"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	if r := runCLI(t, home, "", nil, "accounts", "list"); !strings.Contains(r.stdout, "paused") || !strings.Contains(r.stdout, "second") {
		t.Fatalf("%+v", r)
	}
	if r := runCLI(t, home, "", nil, "accounts", "remove", "first"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	if cred, _ := os.ReadFile(filepath.Join(home, "credentials.json")); strings.Contains(string(cred), "sk-ant-api03-first") {
		t.Error("removed account's key still stored")
	}
}

func TestStatsAndClientKey(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	r := runCLI(t, home, "", nil, "stats", "--json", "--window", "7d")
	var s map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &s) != nil || s["window"] != "7d" {
		t.Fatalf("%+v", r)
	}
	if r := runCLI(t, home, "", nil, "stats"); r.code != 0 || !strings.Contains(r.stdout, "total") {
		t.Fatalf("%+v", r)
	}
	if r := runCLI(t, home, "", nil, "stats", "--window", "forever"); r.code != 2 {
		t.Fatalf("%+v", r)
	}
	k1 := runCLI(t, home, "", nil, "client-key")
	k2 := runCLI(t, home, "", nil, "client-key")
	if k1.code != 0 || len(strings.TrimSpace(k1.stdout)) < 40 || k1.stdout != k2.stdout {
		t.Fatalf("client key must be made once and kept: %+v %+v", k1, k2)
	}
}

// TestSecondLaunchNamesWhereTheAppIsNow: a second tray launch is refused,
// naming the address of the first, also after a live port change.
func TestSecondLaunchNamesWhereTheAppIsNow(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	vars := map[string]string{"CLAUDEFLARE_HOME": home, "CLAUDEFLARE_CREDENTIAL_STORE": "file"}
	if err := os.WriteFile(filepath.Join(home, "config.json"), []byte(`{"port": `+strconv.Itoa(testkit.FreePort(t))+`}`), 0o600); err != nil {
		t.Fatal(err)
	}
	launch := func(tray TrayFunc) run {
		var out, errb bytes.Buffer
		code := Run(&Env{
			Args:   nil,
			Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
			Stdin:  strings.NewReader(""), Stdout: &out, Stderr: &errb,
			Tray: tray,
		})
		return run{code, out.String(), errb.String()}
	}
	var second run
	first := launch(func(c *core.Core, _ TrayOptions) error {
		moved := testkit.FreePort(t)
		if _, err := c.ConfigManager().Patch(map[string]json.RawMessage{"port": json.RawMessage(strconv.Itoa(moved))}); err != nil {
			return err
		}
		second = launch(func(*core.Core, TrayOptions) error { return errors.New("the second launch started a tray") })
		if want := "already running at http://127.0.0.1:" + strconv.Itoa(moved); second.code != 1 || !strings.Contains(second.stderr, want) {
			return fmt.Errorf("second launch: exit %d, stderr %q; want 1 saying %q", second.code, second.stderr, want)
		}
		return nil
	})
	if first.code != 0 {
		t.Fatalf("first launch: exit %d, stderr %q", first.code, first.stderr)
	}
}

// TestConfigSetCredentialStoreMovesSecrets: `config set credential_store`
// carries the accounts' secrets to the chosen store and out of the old one,
// there and back, through the real OS keychain.
func TestConfigSetCredentialStoreMovesSecrets(t *testing.T) {
	if os.Getenv("CLAUDEFLARE_TEST_REAL_KEYCHAIN") != "1" {
		t.Skip("needs the real keychain: run under .ci/with-keyring.sh")
	}
	home := t.TempDir()
	vars := map[string]string{"CLAUDEFLARE_HOME": home}
	run := func(stdin string, args ...string) run {
		t.Helper()
		var out, errb bytes.Buffer
		code := Run(&Env{Args: args, Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
			Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
		return run{code, out.String(), errb.String()}
	}
	file := filepath.Join(home, "credentials.json")
	if err := os.WriteFile(filepath.Join(home, "config.json"), []byte(`{"credential_store": "file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	const key = "sk-ant-api03-move-me"
	if r := run(key+"\n", "accounts", "add", "work", "--api-key-stdin"); r.code != 0 {
		t.Fatalf("accounts add: %+v", r)
	}
	t.Cleanup(func() { run("", "accounts", "remove", "work") })
	inFile := func() bool { b, _ := os.ReadFile(file); return strings.Contains(string(b), key) }
	if !inFile() {
		t.Fatal("the key is not in credentials.json to begin with")
	}

	var list []struct{ ID string }
	if r := run("", "accounts", "list", "--json"); r.code != 0 || json.Unmarshal([]byte(r.stdout), &list) != nil || len(list) != 1 {
		t.Fatalf("accounts list --json: %+v", r)
	}
	r := run("", "config", "set", "credential_store", "keychain")
	if r.code != 0 || !strings.Contains(r.stdout, "Moved 1 secret from") {
		t.Fatalf("config set credential_store keychain: %+v", r)
	}
	if inFile() {
		t.Error("the key is still in credentials.json after moving to the keychain")
	}
	if s, err := keychain.New().Get(context.Background(), list[0].ID); err != nil || s.APIKey != key {
		t.Errorf("the keychain does not hold the moved key (err %v)", err)
	}

	r = run("", "config", "set", "credential_store", "file")
	if r.code != 0 || !strings.Contains(r.stdout, "Moved 1 secret from") || !inFile() {
		t.Fatalf("config set credential_store file: %+v; key back in credentials.json: %v", r, inFile())
	}
}
