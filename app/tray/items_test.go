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
		"(work: active)", "(home: paused)", "---",
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
		{"a countdown is one label", menu(active(time.Hour)), menu(active(time.Hour - time.Minute)), Change{Relabel: []int{1}}},
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
