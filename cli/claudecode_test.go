package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/claudeflare/claudeflare/internal/testkit"
	"github.com/tidwall/gjson"
)

// TestClaudeCodeWithNoAppRunning: enable takes the configuration's address
// and says nothing answers there; status and disable follow; disable twice
// is fine.
func TestClaudeCodeWithNoAppRunning(t *testing.T) {
	t.Parallel()
	home, user := t.TempDir(), t.TempDir()
	port := strconv.Itoa(testkit.FreePort(t))
	env := map[string]string{"HOME": user, "PORT": port}
	settings := filepath.Join(user, ".claude", "settings.json")
	want := "http://127.0.0.1:" + port

	r := runCLI(t, home, "", env, "claude-code", "enable")
	if r.code != 0 || !strings.Contains(r.stdout, "now goes through Claudeflare at "+want) || !strings.Contains(r.stdout, "does not answer") {
		t.Fatalf("enable: %+v", r)
	}
	data, err := os.ReadFile(settings)
	if err != nil {
		t.Fatal(err)
	}
	if got := gjson.GetBytes(data, "env.ANTHROPIC_BASE_URL").String(); got != want {
		t.Errorf("env.ANTHROPIC_BASE_URL = %q, want %q", got, want)
	}
	if gjson.GetBytes(data, "statusLine").Exists() {
		t.Error("statusLine set without --statusline")
	}
	if r := runCLI(t, home, "", env, "claude-code", "enable"); r.code != 0 || !strings.Contains(r.stdout, "nothing to change") {
		t.Errorf("second enable: %+v", r)
	}
	r = runCLI(t, home, "", env, "claude-code", "status")
	if r.code != 0 || !strings.Contains(r.stdout, "goes to "+want) || !strings.Contains(r.stdout, "set by `claude-code enable`") ||
		!strings.Contains(r.stdout, "placeholder") || !strings.Contains(r.stdout, "Nothing answers there") {
		t.Errorf("status: %+v", r)
	}
	r = runCLI(t, home, "", env, "claude-code", "disable")
	if r.code != 0 || !strings.Contains(r.stdout, "removed "+settings) {
		t.Errorf("disable: %+v", r)
	}
	if _, err := os.Stat(settings); !os.IsNotExist(err) {
		t.Errorf("settings file after disable: %v", err)
	}
	r = runCLI(t, home, "", env, "claude-code", "disable")
	if r.code != 0 || !strings.Contains(r.stdout, "Nothing to undo") {
		t.Errorf("disable with nothing to undo: %+v", r)
	}
	if r := runCLI(t, home, "", env, "claude-code", "status"); r.code != 0 || !strings.Contains(r.stdout, "not wired") {
		t.Errorf("status after disable: %+v", r)
	}
}

// TestClaudeCodeFindsTheTray: the tray's lock file names the address, over
// the configuration's; status tells when the app has moved.
func TestClaudeCodeFindsTheTray(t *testing.T) {
	t.Parallel()
	home, user := t.TempDir(), t.TempDir()
	app := newFakeApp(t, []any{})
	l := holdLock(t, home, app.URL)
	env := map[string]string{"HOME": user, "PORT": strconv.Itoa(testkit.FreePort(t))}
	settings := filepath.Join(user, ".claude", "settings.json")

	r := runCLI(t, home, "", env, "claude-code", "enable", "--statusline")
	if r.code != 0 || !strings.Contains(r.stdout, "at "+app.URL+".") || strings.Contains(r.stdout, "does not answer") {
		t.Fatalf("enable: %+v", r)
	}
	data, _ := os.ReadFile(settings)
	if got := gjson.GetBytes(data, "env.ANTHROPIC_BASE_URL").String(); got != app.URL {
		t.Errorf("env.ANTHROPIC_BASE_URL = %q, want the tray's %q", got, app.URL)
	}
	self, err := selfPath()
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := json.Marshal(shellQuote(self) + " statusline")
	if got, want := gjson.GetBytes(data, "statusLine").Raw, `{"type":"command","command":`+string(cmd)+`}`; !sameJSONText(got, want) {
		t.Errorf("statusLine = %s, want %s", got, want)
	}
	if r := runCLI(t, home, "", env, "claude-code", "status"); r.code != 0 || !strings.Contains(r.stdout, "Claudeflare answers there") ||
		!strings.Contains(r.stdout, "status line") {
		t.Errorf("status: %+v", r)
	}

	// The tray moves to another port (it rewrites its lock file).
	moved := newFakeApp(t, []any{})
	if err := l.SetAddress(moved.URL); err != nil {
		t.Fatal(err)
	}
	app.Close()
	r = runCLI(t, home, "", env, "claude-code", "status")
	if r.code != 0 || !strings.Contains(r.stdout, "it runs at "+moved.URL) || !strings.Contains(r.stdout, "enable` again") {
		t.Errorf("status after the app moved: %+v", r)
	}
	if r := runCLI(t, home, "", env, "claude-code", "enable"); r.code != 0 || !strings.Contains(r.stdout, "at "+moved.URL) {
		t.Errorf("enable after the move: %+v", r)
	}
	data, _ = os.ReadFile(settings)
	if got := gjson.GetBytes(data, "env.ANTHROPIC_BASE_URL").String(); got != moved.URL {
		t.Errorf("env.ANTHROPIC_BASE_URL = %q after the move, want %q", got, moved.URL)
	}
}

func TestClaudeCodeSettingsPath(t *testing.T) {
	t.Parallel()
	user, other := t.TempDir(), t.TempDir()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"default", map[string]string{"HOME": user}, nil, filepath.Join(user, ".claude", "settings.json")},
		{"CLAUDE_CONFIG_DIR", map[string]string{"HOME": user, "CLAUDE_CONFIG_DIR": filepath.Join(other, "cc")}, nil, filepath.Join(other, "cc", "settings.json")},
		{"--settings", map[string]string{"HOME": user}, []string{"--settings", filepath.Join(other, "s.json")}, filepath.Join(other, "s.json")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			tt.env["PORT"] = "9"
			args := append([]string{"claude-code", "enable"}, tt.args...)
			if r := runCLI(t, home, "", tt.env, args...); r.code != 0 || !strings.Contains(r.stdout, tt.want) {
				t.Fatalf("enable: %+v", r)
			}
			if _, err := os.Stat(tt.want); err != nil {
				t.Errorf("no settings file at %s: %v", tt.want, err)
			}
			args = append([]string{"claude-code", "disable"}, tt.args...)
			if r := runCLI(t, home, "", tt.env, args...); r.code != 0 {
				t.Errorf("disable: %+v", r)
			}
		})
	}
}

// TestClaudeCodeRefusesABrokenFile: exit 1, the file named, not a byte changed.
func TestClaudeCodeRefusesABrokenFile(t *testing.T) {
	t.Parallel()
	home, user := t.TempDir(), t.TempDir()
	settings := filepath.Join(user, "settings.json")
	broken := "{\"model\": \"opus\",,}\n"
	if err := os.WriteFile(settings, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, home, "", map[string]string{"HOME": user}, "claude-code", "enable", "--settings", settings)
	if r.code != 1 || !strings.Contains(r.stderr, settings) || !strings.Contains(r.stderr, "not valid JSON") {
		t.Errorf("enable of a broken file: %+v", r)
	}
	if got, _ := os.ReadFile(settings); string(got) != broken {
		t.Errorf("the broken file changed: %q", got)
	}
}

func TestClaudeCodeUsage(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	for _, args := range [][]string{
		{"claude-code"}, {"claude-code", "frob"}, {"claude-code", "enable", "extra"},
		{"claude-code", "disable", "--statusline"}, {"claude-code", "status", "--settings"},
	} {
		if r := runCLI(t, home, "", map[string]string{"HOME": home}, args...); r.code != 2 || !strings.Contains(r.stderr, "Usage:") {
			t.Errorf("%v: exit %d, stderr %q; want 2 with usage", args, r.code, r.stderr)
		}
	}
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Windows paths are always double-quoted")
	}
	tests := []struct{ in, want string }{
		{"/usr/local/bin/claudeflare", "/usr/local/bin/claudeflare"},
		{"/home/a b/claudeflare", "'/home/a b/claudeflare'"},
		{"/tmp/it's/cf", `'/tmp/it'\''s/cf'`},
		{"/tmp/$HOME/cf", "'/tmp/$HOME/cf'"},
	}
	for _, tt := range tests {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// sameJSONText compares two JSON texts ignoring white space outside strings.
func sameJSONText(a, b string) bool {
	var ca, cb bytes.Buffer
	return json.Compact(&ca, []byte(a)) == nil && json.Compact(&cb, []byte(b)) == nil && ca.String() == cb.String()
}
