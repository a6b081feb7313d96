package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/testkit"
)

// claudeStdin is the kind of document Claude Code sends a statusLine command.
const claudeStdin = `{"session_id":"abc","transcript_path":"/tmp/t.jsonl","cwd":"/src","model":{"id":"claude-sonnet-4-5","display_name":"Sonnet 4.5"},"workspace":{"current_dir":"/src","project_dir":"/src"},"version":"2.1.328","output_style":{"name":"default"},"cost":{"total_cost_usd":0.01}}`

var lineNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { t := lineNow.Add(d); return &t }
func frac(f float64) *float64       { return &f }

func TestFormatStatusLine(t *testing.T) {
	t.Parallel()
	limits := map[string]lineWindow{
		"five_hour": {Utilization: frac(0.83), ResetsAt: at(2 * time.Hour)},
		"seven_day": {Utilization: frac(0.414), ResetsAt: at(72 * time.Hour)},
		"7d_oi":     {Utilization: frac(0.99)},
	}
	tests := []struct {
		name  string
		accts []lineAccount
		want  string
	}{
		{"active with limits", []lineAccount{
			{Name: "home", Status: "available"},
			{Name: "work", Status: "active", SessionExpiresAt: at(3*time.Hour + 12*time.Minute + 30*time.Second), Limits: limits},
		}, "⇄ work · 5h 83% · 7d 41% · 3h12m"},
		{"active without limits", []lineAccount{
			{Name: "work", Status: "active", SessionExpiresAt: at(42 * time.Minute)},
		}, "⇄ work · 42m"},
		{"only the 5-hour window known", []lineAccount{
			{Name: "w", Status: "active", SessionExpiresAt: at(30 * time.Second), Limits: map[string]lineWindow{"five_hour": {Utilization: frac(1.01)}}},
		}, "⇄ w · 5h 101% · 30s"},
		{"a window whose reset has passed is unused", []lineAccount{
			{Name: "w", Status: "active", Limits: map[string]lineWindow{"five_hour": {Utilization: frac(0.97), ResetsAt: at(-time.Minute)}}},
		}, "⇄ w · 5h 0%"},
		{"no session yet: the first available", []lineAccount{
			{Name: "limited", Status: "rate_limited", RateLimitedUntil: at(time.Hour)},
			{Name: "next", Status: "available", Limits: limits},
			{Name: "later", Status: "available"},
		}, "⇄ next · 5h 83% · 7d 41%"},
		{"expired session shows no time", []lineAccount{
			{Name: "w", Status: "active", SessionExpiresAt: at(-time.Minute)},
		}, "⇄ w"},
		{"none can serve", []lineAccount{
			{Name: "a", Status: "rate_limited", RateLimitedUntil: at(2 * time.Hour)},
			{Name: "b", Status: "rate_limited", RateLimitedUntil: at(65 * time.Minute)},
			{Name: "c", Status: "paused"},
		}, "⇄ no account can serve · first reset in 1h05m"},
		{"none can serve, none limited", []lineAccount{{Name: "c", Status: "needs_login"}}, "⇄ no account can serve"},
		{"no accounts", nil, "⇄ claudeflare · no accounts: add one with `claudeflare accounts add`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := formatStatusLine(tt.accts, lineNow); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// apiAccounts is GET /api/accounts as the running app answers it, with the
// limits field (docs/DESIGN.md, "Quota windows") on the active account.
func apiAccounts(expires time.Time) []map[string]any {
	return []map[string]any{
		{"id": "1", "name": "work", "kind": "oauth", "status": "active", "session_expires_at": expires.Format(time.RFC3339),
			"limits": map[string]any{
				"five_hour": map[string]any{"utilization": 0.83, "resets_at": time.Now().Add(time.Hour).Format(time.RFC3339), "status": "allowed_warning"},
				"seven_day": map[string]any{"utilization": 0.41, "resets_at": time.Now().Add(48 * time.Hour).Format(time.RFC3339), "status": "allowed"},
			}},
		{"id": "2", "name": "home", "kind": "api_key", "status": "available", "limits": nil},
	}
}

// TestStatuslineCommand runs the command as Claude Code does: JSON on
// standard input, one line out, exit 0, whatever the app's state.
func TestStatuslineCommand(t *testing.T) {
	t.Parallel()
	expires := time.Now().Add(3*time.Hour + 12*time.Minute + 30*time.Second)
	withLimits := apiAccounts(expires)
	noLimits := []map[string]any{{"name": "solo", "status": "active", "session_expires_at": expires.Format(time.RFC3339)}}

	tests := []struct {
		name  string
		setup func(t *testing.T, home string) map[string]string // returns extra env
		want  string
	}{
		{"tray with limits", func(t *testing.T, home string) map[string]string {
			holdLock(t, home, newFakeApp(t, withLimits).URL)
			return nil
		}, "⇄ work · 5h 83% · 7d 41% · 3h12m\n"},
		{"serve without limits, found through the configuration", func(t *testing.T, home string) map[string]string {
			app := newFakeApp(t, noLimits)
			return map[string]string{"PORT": app.URL[strings.LastIndex(app.URL, ":")+1:]}
		}, "⇄ solo · 3h12m\n"},
		{"stale lock, app found through the configuration", func(t *testing.T, home string) map[string]string {
			gone := httptest.NewServer(http.NotFoundHandler())
			gone.Close()
			holdLock(t, home, gone.URL)
			app := newFakeApp(t, noLimits)
			return map[string]string{"PORT": app.URL[strings.LastIndex(app.URL, ":")+1:]}
		}, "⇄ solo · 3h12m\n"},
		{"API token sent", func(t *testing.T, home string) map[string]string {
			app := newFakeApp(t, noLimits)
			app.token = "local-api-token-1234"
			if err := os.WriteFile(filepath.Join(home, apiTokenFile), []byte(app.token+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			holdLock(t, home, app.URL)
			return nil
		}, "⇄ solo · 3h12m\n"},
		{"API token missing", func(t *testing.T, home string) map[string]string {
			app := newFakeApp(t, noLimits)
			app.token = "local-api-token-1234"
			holdLock(t, home, app.URL)
			return nil
		}, "⇄ claudeflare: the API answered 401\n"},
		{"not running", func(t *testing.T, home string) map[string]string {
			return map[string]string{"PORT": strconv.Itoa(testkit.FreePort(t))}
		}, notRunningLine + "\n"},
		{"app hangs", func(t *testing.T, home string) map[string]string {
			release := make(chan struct{})
			hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}))
			t.Cleanup(func() { close(release); hung.Close() })
			holdLock(t, home, hung.URL)
			return map[string]string{"PORT": strconv.Itoa(testkit.FreePort(t))}
		}, notRunningLine + "\n"},
		{"unsafe home: its lock file is not trusted with the token", func(t *testing.T, home string) map[string]string {
			if runtime.GOOS == "windows" {
				t.Skip("no owner and mode check on Windows")
			}
			app := newFakeApp(t, noLimits)
			holdLock(t, home, app.URL)
			if err := os.Chmod(home, 0o777); err != nil {
				t.Fatal(err)
			}
			return nil
		}, unsafeHomeLine + "\n"},
		{"broken config.json", func(t *testing.T, home string) map[string]string {
			if err := os.WriteFile(filepath.Join(home, "config.json"), []byte("{"), 0o600); err != nil {
				t.Fatal(err)
			}
			return nil
		}, notRunningLine + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			env := tt.setup(t, home)
			r := runCLI(t, home, claudeStdin, env, "statusline")
			if r.code != 0 || r.stdout != tt.want || r.stderr != "" {
				t.Errorf("statusline: exit %d, stdout %q, stderr %q; want exit 0 and %q", r.code, r.stdout, r.stderr, tt.want)
			}
		})
	}
}

// TestStatuslineCreatesNothing: a status line runs after every message; it
// must not make a home folder where there is none.
func TestStatuslineCreatesNothing(t *testing.T) {
	t.Parallel()
	home := filepath.Join(t.TempDir(), "absent")
	if r := runCLI(t, home, "", map[string]string{"PORT": strconv.Itoa(testkit.FreePort(t))}, "statusline"); r.code != 0 || r.stdout != notRunningLine+"\n" {
		t.Errorf("statusline: %+v", r)
	}
	if _, err := os.Stat(home); !os.IsNotExist(err) {
		t.Errorf("statusline created the home folder: %v", err)
	}
}

// BenchmarkStatusline measures the command in-process against a running
// app: what Claude Code waits for after every message, apart from the
// process start (see e2e's TestStatusline for the real binary).
func BenchmarkStatusline(b *testing.B) {
	home := b.TempDir()
	app := newFakeApp(b, apiAccounts(time.Now().Add(time.Hour)))
	holdLock(b, home, app.URL)
	vars := map[string]string{"CLAUDEFLARE_HOME": home}
	var out bytes.Buffer
	for b.Loop() {
		out.Reset()
		Run(&Env{
			Args:   []string{"statusline"},
			Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
			Stdin:  strings.NewReader(claudeStdin),
			Stdout: &out,
			Stderr: &out,
		})
	}
	if !strings.HasPrefix(out.String(), "⇄ work") {
		b.Fatalf("statusline printed %q", out.String())
	}
}
