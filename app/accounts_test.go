package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/view"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestAccountDetail(t *testing.T) {
	expires := now.Add(90 * time.Minute)
	v := view.Account{Name: "w", Priority: 2, TotalRequests: 7, Status: string(account.StatusActive), SessionExpiresAt: &expires}
	if got := AccountDetail(v, 0.25, now); got != "w: active · priority 2 · 7 requests (25%) · session 1h30m left" {
		t.Errorf("%q", got)
	}
	if shareOf(1, 0) != 0 || shareOf(1, 4) != 0.25 {
		t.Error("shareOf")
	}
}

// buttons finds the tappable buttons under o by their text.
func buttons(o fyne.CanvasObject, out map[string][]*widget.Button) {
	switch w := o.(type) {
	case *widget.Button:
		out[w.Text] = append(out[w.Text], w)
	case *fyne.Container:
		for _, c := range w.Objects {
			buttons(c, out)
		}
	case interface{ Content() fyne.CanvasObject }:
		buttons(w.Content(), out)
	}
}

func TestAccountsWindowPauseAndResume(t *testing.T) {
	test.NewTempApp(t)
	home := t.TempDir()
	c, err := core.New(context.Background(), core.Options{Home: home, Lookup: func(string) (string, bool) { return "", false },
		OpenCreds: func(string) (creds.Store, error) { return filestore.New(filepath.Join(home, "credentials.json")), nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown(context.Background())
	if _, err := c.AddAPIKey(context.Background(), "work", "sk-ant-api03-k", 0); err != nil {
		t.Fatal(err)
	}
	w := test.NewTempWindow(t, nil)
	v := newAccountsView(c, w, func(f func()) { f() })
	w.SetContent(v.root)

	found := map[string][]*widget.Button{}
	buttons(v.list, found)
	if len(found["Pause"]) != 1 {
		t.Fatalf("buttons: %v", found)
	}
	test.Tap(found["Pause"][0])
	if st := c.Views()[0].Status; st != account.StatusPaused {
		t.Fatalf("status after Pause: %s (%s)", st, v.status.Text)
	}
	found = map[string][]*widget.Button{}
	buttons(v.list, found)
	if len(found["Resume"]) != 1 {
		t.Fatalf("no Resume button after pausing: %v", found)
	}
	test.Tap(found["Resume"][0])
	if st := c.Views()[0].Status; st == account.StatusPaused {
		t.Fatal("still paused")
	}
	if strings.Contains(v.status.Text, ":") {
		t.Errorf("status %q", v.status.Text)
	}
}
