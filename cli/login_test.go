package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

// loginRig runs login commands in-process against a fake Anthropic.
type loginRig struct {
	t    *testing.T
	home string
	fake *fakeanthropic.Server
}

func newLoginRig(t *testing.T) *loginRig {
	t.Helper()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	t.Cleanup(fake.Close)
	return &loginRig{t: t, home: t.TempDir(), fake: fake}
}

// browserFollows is an opener that plays a browser which follows the
// redirect to the loopback callback.
func browserFollows(u string) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

// run runs one command; stdin may be nil.
func (r *loginRig) run(stdin io.Reader, open func(string) error, args ...string) run {
	r.t.Helper()
	vars := map[string]string{
		"CLAUDEFLARE_HOME":                r.home,
		"CLAUDEFLARE_CREDENTIAL_STORE":    "file",
		"CLAUDEFLARE_UPSTREAM_URL":        r.fake.URL,
		"CLAUDEFLARE_AUTHORIZE_URL":       r.fake.AuthorizeURL(),
		"CLAUDEFLARE_TOKEN_URL":           r.fake.TokenURL(),
		"CLAUDEFLARE_OAUTH_CALLBACK_PORT": "0",
	}
	var out, errb bytes.Buffer
	code := Run(&Env{
		Args:        args,
		Lookup:      func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		Stdin:       stdin,
		Stdout:      &out,
		Stderr:      &errb,
		OpenBrowser: open,
	})
	return run{code, out.String(), errb.String()}
}

// paster is an opener for the manual flow: it reads the code#state the
// authorize page shows and types lines (before it, then it) into stdin.
func paster(t *testing.T, before ...string) (io.Reader, func(string) error) {
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	return pr, func(u string) error {
		resp, err := http.Get(u)
		if err != nil {
			return err
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		code, err := fakeanthropic.ManualCode(page)
		if err != nil {
			return err
		}
		go func() {
			for _, l := range before {
				fmt.Fprintln(pw, l)
			}
			fmt.Fprintln(pw, code)
		}()
		return nil
	}
}

// secrets reads the credential file.
func (r *loginRig) secrets() map[string]creds.Secret {
	r.t.Helper()
	fs := filestore.New(filepath.Join(r.home, "credentials.json"))
	out := map[string]creds.Secret{}
	list := r.run(nil, nil, "accounts", "list", "--json")
	for _, line := range strings.Split(list.stdout, "\n") {
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), `"id": "`); ok {
			id = strings.TrimSuffix(id, `",`)
			s, err := fs.Get(context.Background(), id)
			if err != nil {
				r.t.Fatal(err)
			}
			out[id] = s
		}
	}
	return out
}

func TestAccountsAddBrowserLogin(t *testing.T) {
	t.Parallel()
	r := newLoginRig(t)
	res := r.run(nil, browserFollows, "accounts", "add", "work", "--priority", "4")
	if res.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, "If no browser opens, visit:\n\n  "+r.fake.AuthorizeURL()+"?") ||
		!strings.Contains(res.stdout, `Added Claude account "work" (priority 4)`) {
		t.Errorf("stdout:\n%s", res.stdout)
	}
	list := r.run(nil, nil, "accounts", "list")
	if !strings.Contains(list.stdout, "work") || !strings.Contains(list.stdout, "oauth") {
		t.Errorf("accounts list:\n%s", list.stdout)
	}
	for _, s := range r.secrets() {
		if s.RefreshToken == "" || strings.Contains(res.stdout+res.stderr+list.stdout, s.RefreshToken) || strings.Contains(res.stdout+res.stderr, s.AccessToken) {
			t.Error("tokens missing from the store, or shown on the terminal")
		}
	}

	// Log it in again.
	again := r.run(nil, browserFollows, "accounts", "login", "work")
	if again.code != 0 || !strings.Contains(again.stdout, `Logged "work" in again`) {
		t.Fatalf("login: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}
	if got := r.fake.TokenRequests(); got != 2 {
		t.Errorf("token requests = %d, want 2", got)
	}
}

func TestAccountsAddManualAndConsole(t *testing.T) {
	t.Parallel()
	r := newLoginRig(t)
	stdin, open := paster(t, "", "not-a-code")
	res := r.run(stdin, open, "accounts", "add", "console team", "--mode", "console", "--manual")
	if res.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, "code#state") || !strings.Contains(res.stdout, `Added console account "console team"`) {
		t.Errorf("stdout:\n%s", res.stdout)
	}
	if strings.Count(res.stdout, "Paste it here") < 2 {
		t.Errorf("a bad paste did not prompt again:\n%s", res.stdout)
	}
	for _, s := range r.secrets() {
		if !strings.HasPrefix(s.APIKey, fakeanthropic.APIKeyPrefix) || s.RefreshToken != "" {
			t.Error("a console login must store just an API key")
		}
	}
	if list := r.run(nil, nil, "accounts", "list"); !strings.Contains(list.stdout, "api_key") {
		t.Errorf("accounts list:\n%s", list.stdout)
	}
}

func TestAccountsAddLoginFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		setup func(r *loginRig) (io.Reader, func(string) error)
		args  []string
		code  int
		says  string
	}{
		{"unknown mode", nil, []string{"accounts", "add", "x", "--mode", "team"}, 2, "--mode"},
		{"manual with api key", nil, []string{"accounts", "add", "x", "--api-key-stdin", "--manual"}, 2, "--manual"},
		{"bad name", nil, []string{"accounts", "add", "a/b"}, 1, "name"},
		{"login of unknown account", nil, []string{"accounts", "login", "ghost"}, 1, "ghost"},
		{"login without name", nil, []string{"accounts", "login"}, 2, "NAME"},
		{"denied", func(r *loginRig) (io.Reader, func(string) error) {
			r.fake.DenyNextAuthorize()
			return nil, browserFollows
		}, []string{"accounts", "add", "x"}, 1, "access_denied"},
		{"stdin ends before a code", func(r *loginRig) (io.Reader, func(string) error) {
			return strings.NewReader(""), func(string) error { return nil }
		}, []string{"accounts", "add", "x", "--manual"}, 1, "standard input ended"},
		{"browser cannot open", func(r *loginRig) (io.Reader, func(string) error) {
			return strings.NewReader("bad#code\n"), func(string) error { return fmt.Errorf("no xdg-open") }
		}, []string{"accounts", "add", "x", "--manual"}, 1, "state"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newLoginRig(t)
			var stdin io.Reader
			var open func(string) error
			if c.setup != nil {
				stdin, open = c.setup(r)
			}
			res := r.run(stdin, open, c.args...)
			if res.code != c.code || !strings.Contains(res.stderr, c.says) {
				t.Errorf("exit %d, stderr %q; want %d saying %q\nstdout: %s", res.code, res.stderr, c.code, c.says, res.stdout)
			}
			if got := r.secrets(); len(got) != 0 {
				t.Errorf("a failed login left %d account(s)", len(got))
			}
		})
	}
}

func TestAccountsAddTakenName(t *testing.T) {
	t.Parallel()
	r := newLoginRig(t)
	if res := r.run(strings.NewReader("sk-ant-api03-k\n"), nil, "accounts", "add", "dup", "--api-key-stdin"); res.code != 0 {
		t.Fatal(res.stderr)
	}
	res := r.run(nil, func(string) error { t.Error("browser opened for a taken name"); return nil }, "accounts", "add", "dup")
	if res.code != 1 || !strings.Contains(res.stderr, "already exists") {
		t.Errorf("exit %d: %s", res.code, res.stderr)
	}
}
