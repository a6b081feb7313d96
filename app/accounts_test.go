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
	"github.com/claudeflare/claudeflare/core/client"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/view"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestAccountDetail(t *testing.T) {
	expires := now.Add(90 * time.Minute)
	v := view.Account{Name: "w", Priority: 2, TotalRequests: 7, Status: string(account.StatusActive), SessionExpiresAt: &expires}
	if got := AccountDetail(v, 0.25, now); got != "active · session 1h30m left · 7 requests (25%)" {
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

// accountsOnly answers Accounts with fixed views: the drawing of the
// accounts window from the view types directly.
type accountsOnly struct {
	client.API
	list []view.Account
}

func (a accountsOnly) Accounts(context.Context) ([]view.Account, error) { return a.list, nil }

// TestAccountsWindowDrawsQuota: each account is named once, its state line
// does not repeat the name, and each quota window is a bar with its label,
// percentage and reset countdown; over the limit the bar is full and says
// spent; a window past its reset is drawn unused; an API-key account has
// no bars.
func TestAccountsWindowDrawsQuota(t *testing.T) {
	test.NewTempApp(t)
	loc := time.FixedZone("UTC+2", 2*3600) // now is Wednesday 14:00 there
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	list := []view.Account{
		{Name: "work", Kind: string(account.KindOAuth), Status: string(account.StatusActive), SessionExpiresAt: at(3*time.Hour + 12*time.Minute + 30*time.Second),
			TotalRequests: 30, Limits: map[string]view.Limit{
				"five_hour": {Utilization: 0.83, ResetsAt: at(2*time.Hour + 5*time.Minute + 20*time.Second), Status: "allowed_warning"},
				"seven_day": {Utilization: 0.41, ResetsAt: at(43 * time.Hour), Status: "allowed"},
				"7d_oi":     {Utilization: 0.12, ResetsAt: at(43 * time.Hour), Status: "allowed"},
			}},
		{Name: "home", Kind: string(account.KindOAuth), Status: string(account.StatusRateLimited), RateLimitedUntil: at(100 * time.Minute),
			TotalRequests: 10, Limits: map[string]view.Limit{
				"five_hour": {Utilization: 1.04, ResetsAt: at(100 * time.Minute), Status: "rejected"},
				"seven_day": {Utilization: 0.69, ResetsAt: at(-time.Minute), Status: "allowed"}, // reset since the engine said so
			}},
		{Name: "ci", Kind: string(account.KindAPIKey), Status: string(account.StatusAvailable)},
	}
	w := test.NewTempWindow(t, nil)
	v := newAccountsView(accountsOnly{list: list}, w, func(f func()) { f() })
	v.now, v.loc = func() time.Time { return now }, loc
	v.refresh()
	w.SetContent(v.root)
	w.Resize(fyne.NewSize(760, 560))

	all := texts(v.list)
	for _, name := range []string{"work", "home", "ci"} {
		n := 0
		for _, s := range all {
			if strings.Contains(s, name) {
				n++
			}
		}
		if n != 1 || count(all, name) != 1 {
			t.Errorf("%q is named %d times:\n%s", name, n, strings.Join(all, "\n"))
		}
	}
	for _, want := range []string{
		"active · session 3h12m left · 30 requests (75%)",
		"rate limited until " + at(100*time.Minute).Local().Format("15:04") + " · resets in 1h40m · 10 requests (25%)",
		"available · 0 requests (0%)",
		"5h", "83% · resets in 2h05m", "7d", "41% · resets Fri 09:00", "7d_oi", "12% · resets Fri 09:00",
		"104%, spent · resets in 1h40m", "0%",
	} {
		if count(all, want) == 0 {
			t.Errorf("no %q in:\n%s", want, strings.Join(all, "\n"))
		}
	}
	if count(all, "5h") != 2 || count(all, "7d") != 2 || count(all, "7d_oi") != 1 {
		t.Errorf("window labels: %v", all)
	}

	rows := layoutsOf[*quotaRow](v.list)
	if len(rows) != 5 {
		t.Fatalf("%d quota rows, want 5 (three for work, two for home, none for the API key)", len(rows))
	}
	for i, want := range []struct {
		fill  float32
		level Level
	}{{0.83, LevelWarn}, {0.41, LevelOK}, {0.12, LevelOK}, {1, LevelSpent}, {0, LevelOK}} {
		r := rows[i]
		if got := r.fill.Size().Width / r.track.Size().Width; r.track.Size().Width != quotaBarW || got < want.fill-0.01 || got > want.fill+0.01 {
			t.Errorf("row %d (%s): filled %.2f of %v, want %.2f", i, r.bar.Label, got, r.track.Size().Width, want.fill)
		}
		if r.bar.Level != want.level || (r.cap != nil) != (want.level == LevelSpent) {
			t.Errorf("row %d (%s): level %d, marked %v", i, r.bar.Label, r.bar.Level, r.cap != nil)
		}
	}
	found := map[string][]*widget.Button{}
	buttons(v.list, found)
	if len(found["Pause"]) != 3 || len(found["Resume"]) != 0 || len(found["Remove"]) != 3 || len(found["Log in again"]) != 2 {
		t.Errorf("actions: %v", found)
	}
}
