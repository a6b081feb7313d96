package app

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/view"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

// TestAccountsWindowBrowserLogin: the window's login runs the core's OAuth
// flow; a stand-in browser approves it, and the account appears.
func TestAccountsWindowBrowserLogin(t *testing.T) {
	test.NewTempApp(t)
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	home := t.TempDir()
	env := map[string]string{
		"CLAUDEFLARE_UPSTREAM_URL": fake.URL, "CLAUDEFLARE_AUTHORIZE_URL": fake.AuthorizeURL(),
		"CLAUDEFLARE_TOKEN_URL": fake.TokenURL(), "CLAUDEFLARE_OAUTH_CALLBACK_PORT": "0",
	}
	browser := func(url string) error { // follows the redirect to the loopback callback
		go func() {
			if resp, err := http.Get(url); err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}
	c, err := core.New(context.Background(), core.Options{Home: home,
		Lookup:      func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		OpenCreds:   func(string) (creds.Store, error) { return filestore.New(filepath.Join(home, "credentials.json")), nil },
		OpenBrowser: browser,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown(context.Background())
	w := test.NewTempWindow(t, nil)
	v := newAccountsView(c, w, func(f func()) { f() })
	w.SetContent(v.root)

	v.login(view.LoginRequest{Name: "max"})
	deadline := time.Now().Add(10 * time.Second)
	for len(c.Views()) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no account after login; status %q", v.status.Text)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if a := c.Views()[0]; a.Name != "max" || a.Kind != account.KindOAuth || !a.HasCredential {
		t.Fatalf("%+v", a)
	}
}
