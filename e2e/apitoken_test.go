package e2e

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
)

// TestLocalAPIToken: every /api/ request and /metrics need the local API
// token serve made at its first start (docs/DESIGN.md, "The local API
// token"); /health and the proxy do not. A refusal says where the token
// is and changes nothing.
func TestLocalAPIToken(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	sb.addAccount(t, "a")
	in := sb.serve(t)
	tokenPath := filepath.Join(sb.Home, "api-token")

	fi, err := os.Stat(tokenPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("api-token: %v, mode %v; want a file of mode 0600", err, fi.Mode().Perm())
	}
	token := sb.apiToken(t)
	if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != 32 {
		t.Errorf("the token is not 32 bytes of base64url (%d characters, %v)", len(token), err)
	}
	if got := strings.TrimSpace(sb.mustCLI(t, "", "api-token").Stdout); got != token {
		t.Error("claudeflare api-token does not print the token serve checks")
	}

	before := in.snapshot(t)
	bearer := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
	for _, tc := range []struct {
		name         string
		method, path string
		body         any
		headers      []string
		want         int
	}{
		{"accounts without the token", "GET", "/api/accounts", nil, []string{noToken, "1"}, 401},
		{"accounts with a wrong token", "GET", "/api/accounts", nil, bearer("AAAA" + token[4:]), 401},
		{"accounts with the token as x-api-key", "GET", "/api/accounts", nil, []string{noToken, "1", "x-api-key", token}, 401},
		{"accounts with the token", "GET", "/api/accounts", nil, bearer(token), 200},
		{"a config change without the token", "PATCH", "/api/config", map[string]any{"upstream_url": "http://127.0.0.1:9"}, []string{noToken, "1"}, 401},
		{"an account added with a wrong token", "POST", "/api/accounts", map[string]any{"name": "evil", "api_key": "sk-ant-api03-evil"}, bearer("wrong"), 401},
		{"events without the token", "GET", "/api/events", nil, []string{noToken, "1"}, 401},
		{"metrics without the token", "GET", "/metrics", nil, []string{noToken, "1"}, 401},
		{"metrics with the token", "GET", "/metrics", nil, bearer(token), 200},
		{"health is open", "GET", "/health", nil, nil, 200},
	} {
		r := in.do(t, tc.method, tc.path, tc.body, tc.headers...)
		if r.Status != tc.want {
			t.Errorf("%s: %s, want %d", tc.name, r, tc.want)
			continue
		}
		if r.Status == 401 {
			if !bytes.Contains(r.Body, []byte(tokenPath)) || !bytes.Contains(r.Body, []byte("claudeflare api-token")) {
				t.Errorf("%s: the refusal %s does not say where the token is", tc.name, r.Body)
			}
			if bytes.Contains(r.Body, []byte(token)) {
				t.Errorf("%s: the refusal shows the token", tc.name)
			}
		}
	}
	if d := before.diff(in.snapshot(t)); d != "" {
		t.Errorf("refused requests changed state: %s", d)
	}
	in.mustServeFrom(t, "a") // the proxy needs no token

	// The token stays across restarts: scripts keep theirs.
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	sb.serve(t)
	if sb.apiToken(t) != token {
		t.Error("a restart made a new token")
	}
}

// TestOtherUserCannotSteer: another user of the machine (nobody) can
// neither read the token nor, through the loopback API, change the
// configuration or add an account; nor can they use the command line on
// the owner's home.
func TestOtherUserCannotSteer(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		t.Skip("needs root to run commands as another user (runuser -u nobody)")
	}
	runuser, err := exec.LookPath("runuser")
	if err != nil {
		t.Skip("needs runuser to run commands as another user")
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("needs curl to play the other user's client")
	}
	sb := newSandbox(t, fakeanthropic.Options{})
	sb.addAccount(t, "a")
	in := sb.serve(t)
	before := in.snapshot(t)
	configBefore := sb.readConfig(t)
	bin := publicCopy(t, binary) // the test binary's folder is root's alone
	as := func(stdin string, args ...string) (string, error) {
		cmd := exec.Command(runuser, append([]string{"-u", "nobody", "--"}, args...)...)
		cmd.Env = sb.env()
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := as("", "cat", filepath.Join(sb.Home, "api-token")); err == nil {
		t.Errorf("nobody read the token: %q", out)
	}
	for _, tc := range []struct{ method, path, body string }{
		{"PATCH", "/api/config", `{"upstream_url":"http://127.0.0.1:9"}`},
		{"POST", "/api/accounts", `{"name":"evil","api_key":"sk-ant-api03-evil"}`},
		{"GET", "/api/accounts", ""},
	} {
		args := []string{curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", tc.method, "-H", "Content-Type: application/json"}
		if tc.body != "" {
			args = append(args, "-d", tc.body)
		}
		out, err := as("", append(args, in.URL()+tc.path)...)
		if err != nil || out != "401" {
			t.Errorf("nobody's %s %s: %q (%v), want 401", tc.method, tc.path, out, err)
		}
	}
	for _, args := range [][]string{{"api-token"}, {"accounts", "add", "evil", "--api-key-stdin"}, {"config", "set", "upstream_url", "http://127.0.0.1:9"}} {
		if out, err := as("sk-ant-api03-evil\n", append([]string{bin}, args...)...); err == nil {
			t.Errorf("nobody ran claudeflare %s on the owner's home: %s", strings.Join(args, " "), out)
		}
	}
	if d := before.diff(in.snapshot(t)); d != "" {
		t.Errorf("the other user changed state: %s", d)
	}
	if !bytes.Equal(sb.readConfig(t), configBefore) {
		t.Error("the other user changed config.json")
	}
}

// publicCopy copies the binary at path where any user may run it.
func publicCopy(t *testing.T, path string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "claudeflare-public-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := filepath.Join(dir, "claudeflare")
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, src); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(fmt.Errorf("copying the binary: %w", err))
	}
	return dst
}
