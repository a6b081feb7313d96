package tray

import (
	"reflect"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/view"
)

func TestItems(t *testing.T) {
	t.Parallel()
	m := BuildMenu("127.0.0.1:8080", []view.Account{
		acct("work", account.StatusActive, func(v *view.Account) { v.SessionExpiresAt = at(now.Add(2 * time.Hour)) }),
		acct("home", account.StatusPaused),
	}, now)
	var labels []string
	for _, it := range m.Items() {
		switch {
		case it.Separator:
			labels = append(labels, "---")
		case it.Action == ActionNone:
			labels = append(labels, "("+it.Label+")")
		default:
			labels = append(labels, it.Label)
		}
	}
	want := []string{
		"(Proxy on http://127.0.0.1:8080)", "(Active: work, 2h00m left in session)", "---",
		"(work — active · session 2h00m left)", "(home — paused)", "---",
		"Add account…", "Accounts…", "Usage…", "Settings…",
		"Copy the shell line: export ANTHROPIC…URL=http://127.0.0.1:8080", "---", "Quit",
	}
	if !reflect.DeepEqual(labels, want) {
		t.Errorf("menu\n got %q\nwant %q", labels, want)
	}
	if m := BuildMenu("127.0.0.1:8080", nil, now); len(m.Items()) != len(want)-3 {
		t.Errorf("no accounts: %d items, want %d (no account lines, one separator fewer)", len(m.Items()), len(want)-3)
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	menu := func(views ...view.Account) []Item { return BuildMenu("127.0.0.1:8080", views, now).Items() }
	active := func(left time.Duration) view.Account {
		return acct("work", account.StatusActive, func(v *view.Account) { v.SessionExpiresAt = at(now.Add(left)) })
	}
	tests := []struct {
		name     string
		old, cur []Item
		want     Change
	}{
		{"nothing changed", menu(active(time.Hour)), menu(active(time.Hour)), Change{}},
		{"a countdown is the labels that show it", menu(active(time.Hour)), menu(active(time.Hour - time.Minute)), Change{Relabel: []int{1, 3}}},
		{"a state is one label", menu(active(time.Hour), acct("home", account.StatusAvailable)),
			menu(active(time.Hour), acct("home", account.StatusPaused)), Change{Relabel: []int{4}}},
		{"an account added rebuilds", menu(active(time.Hour)), menu(active(time.Hour), acct("home", account.StatusAvailable)), Change{Rebuild: true}},
		{"the first account rebuilds", menu(), menu(active(time.Hour)), Change{Rebuild: true}},
		{"nothing shown yet rebuilds", nil, menu(), Change{Rebuild: true}},
	}
	for _, tt := range tests {
		if got := Diff(tt.old, tt.cur); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestCheckItems: the toggles are check items before Quit; a toggle's
// state changing is a recheck of that item alone, its label unchanged.
func TestCheckItems(t *testing.T) {
	t.Parallel()
	menu := func(claude, login bool) []Item {
		m := BuildMenu("127.0.0.1:8080", nil, now)
		m.Toggles = []ToggleState{{"Use with Claude Code", claude}, {"Start at login", login}}
		return m.Items()
	}
	items := menu(true, false)
	n := len(items)
	if q := items[n-1]; q.Action != ActionQuit || !items[n-2].Separator {
		t.Fatalf("the menu ends %+v, %+v: want a separator, then Quit", items[n-2], q)
	}
	claude, login := items[n-4], items[n-3]
	if !claude.Check || !claude.Checked || claude.Label != "Use with Claude Code" || claude.Action != ToggleAction(0) {
		t.Errorf("first check item %+v", claude)
	}
	if !login.Check || login.Checked || login.Action != ToggleAction(1) {
		t.Errorf("second check item %+v", login)
	}
	if i, ok := ToggleIndex(login.Action); !ok || i != 1 {
		t.Errorf("ToggleIndex(%q) = %d, %v", login.Action, i, ok)
	}
	if _, ok := ToggleIndex(ActionUsage); ok {
		t.Error("Usage… is no toggle")
	}
	if c := Diff(menu(true, false), menu(true, true)); c.Rebuild || len(c.Relabel) != 0 || !reflect.DeepEqual(c.Recheck, []int{n - 3}) {
		t.Errorf("turning Start at login on: %+v, want one recheck", c)
	}
}
