package session

import (
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

const fiveHours = 5 * time.Hour

// acct builds an account created i minutes after t0 with the given options.
func acct(id string, created int, opts ...func(*account.Account)) *account.Account {
	a := &account.Account{ID: id, Name: id, Kind: account.KindAPIKey, CreatedAt: t0.Add(time.Duration(created) * time.Minute)}
	for _, o := range opts {
		o(a)
	}
	return a
}

func prio(p int) func(*account.Account) { return func(a *account.Account) { a.Priority = p } }
func session(ago time.Duration) func(*account.Account) {
	return func(a *account.Account) { a.SessionStart = t0.Add(-ago) }
}
func paused(a *account.Account)     { a.Paused = true }
func needsLogin(a *account.Account) { a.NeedsLogin = true }
func limitedFor(d time.Duration) func(*account.Account) {
	return func(a *account.Account) { a.RateLimitedUntil = t0.Add(d) }
}
func used(u float64, resetIn time.Duration) func(*account.Account) {
	return func(a *account.Account) {
		a.Quota = account.Quota{account.WindowFiveHour: {Utilization: u, ResetsAt: t0.Add(resetIn)}}
	}
}
func coolingFor(d time.Duration) func(*account.Account) {
	return func(a *account.Account) { a.CooldownUntil = t0.Add(d) }
}

func ids(list []*account.Account) string {
	s := make([]string, len(list))
	for i, a := range list {
		s[i] = a.ID
	}
	return strings.Join(s, ",")
}

func TestSelect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		accounts []*account.Account
		duration time.Duration
		want     string
		newSess  bool
	}{
		{name: "no accounts", want: ""},
		{name: "all unavailable", accounts: []*account.Account{
			acct("a", 0, paused), acct("b", 1, needsLogin), acct("c", 2, limitedFor(time.Minute)), acct("d", 3, coolingFor(time.Second)),
		}, want: ""},
		{name: "rule 2: never used, creation order", accounts: []*account.Account{
			acct("b", 1), acct("a", 0), acct("c", 2),
		}, want: "a,b,c", newSess: true},
		{name: "rule 2: lowest priority number first", accounts: []*account.Account{
			acct("a", 0, prio(5)), acct("b", 1, prio(1)), acct("c", 2, prio(3)),
		}, want: "b,c,a", newSess: true},
		{name: "rule 1: unexpired session stays first despite priority", accounts: []*account.Account{
			acct("a", 0, prio(0)), acct("b", 1, prio(9), session(time.Hour)),
		}, want: "b,a"},
		{name: "rule 1: latest session start wins among unexpired", accounts: []*account.Account{
			acct("a", 0, session(2*time.Hour)), acct("b", 1, session(time.Hour)), acct("c", 2, session(3*time.Hour)),
		}, want: "b,a,c"},
		{name: "rule 1: session exactly at duration has expired", accounts: []*account.Account{
			acct("a", 0, session(fiveHours)), acct("b", 1),
		}, want: "b,a", newSess: true},
		{name: "rule 1: session a nanosecond short of duration is unexpired", accounts: []*account.Account{
			acct("a", 0), acct("b", 1, session(fiveHours-time.Nanosecond)),
		}, want: "b,a"},
		{name: "rule 2: equal priority takes turns, never used first", accounts: []*account.Account{
			acct("a", 0, session(6*time.Hour)), acct("b", 1),
		}, want: "b,a", newSess: true},
		{name: "rule 2: equal priority, oldest last session first", accounts: []*account.Account{
			acct("a", 0, session(6*time.Hour)), acct("b", 1, session(11*time.Hour)), acct("c", 2, session(7*time.Hour)),
		}, want: "b,a,c", newSess: true},
		{name: "rule 2: rotation does not cross priorities", accounts: []*account.Account{
			acct("a", 0, session(6*time.Hour)), acct("b", 1, prio(1)),
		}, want: "a,b", newSess: true},
		{name: "rule 4: rate-limited active account is skipped", accounts: []*account.Account{
			acct("a", 0, session(time.Hour), limitedFor(time.Minute)), acct("b", 1), acct("c", 2),
		}, want: "b,c", newSess: true},
		{name: "rate limit that has passed makes the account available", accounts: []*account.Account{
			acct("a", 0, limitedFor(-time.Second)), acct("b", 1, paused),
		}, want: "a", newSess: true},
		{name: "recovered account does not take traffic back mid-session", accounts: []*account.Account{
			acct("a", 0, session(2*time.Hour)), acct("b", 1, session(time.Minute)),
		}, want: "b,a"},
		{name: "shorter duration expires sessions at once", duration: time.Hour, accounts: []*account.Account{
			acct("a", 0, session(2*time.Hour)), acct("b", 1, session(90*time.Minute)),
		}, want: "a,b", newSess: true},
		{name: "rule 2: room before nearly spent among equal priorities", accounts: []*account.Account{
			acct("a", 0, used(0.96, time.Hour)), acct("b", 1, session(6*time.Hour), used(0.5, time.Hour)),
		}, want: "b,a", newSess: true},
		{name: "rule 2: nearly spent at exactly 95 %", accounts: []*account.Account{
			acct("a", 0, used(0.95, time.Hour)), acct("b", 1, session(6*time.Hour)),
		}, want: "b,a", newSess: true},
		{name: "rule 2: 94 % still has room: turns as usual", accounts: []*account.Account{
			acct("a", 0, used(0.94, time.Hour)), acct("b", 1, session(6*time.Hour)),
		}, want: "a,b", newSess: true},
		{name: "rule 2: a nearly spent window that has reset counts as room", accounts: []*account.Account{
			acct("a", 0, used(0.99, -time.Minute)), acct("b", 1, session(6*time.Hour)),
		}, want: "a,b", newSess: true},
		{name: "rule 2: nearly spent does not cross priorities", accounts: []*account.Account{
			acct("a", 0, used(0.99, time.Hour)), acct("b", 1, prio(1)),
		}, want: "a,b", newSess: true},
		{name: "rule 2: all nearly spent: turns as usual", accounts: []*account.Account{
			acct("a", 0, session(6*time.Hour), used(0.97, time.Hour)), acct("b", 1, used(0.99, time.Hour)),
		}, want: "b,a", newSess: true},
		{name: "rule 1: a nearly spent account keeps its running session", accounts: []*account.Account{
			acct("a", 0, session(time.Hour), used(0.99, time.Hour)), acct("b", 1),
		}, want: "a,b"},
		{name: "equal creation time falls back to id", accounts: []*account.Account{
			acct("z", 0), acct("y", 0),
		}, want: "y,z", newSess: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := tt.duration
			if d == 0 {
				d = fiveHours
			}
			before := snapshot(tt.accounts)
			got := Select(tt.accounts, t0, d)
			if ids(got) != tt.want {
				t.Fatalf("Select = %q, want %q", ids(got), tt.want)
			}
			if len(got) > 0 && NeedsNew(got[0], t0, d) != tt.newSess {
				t.Errorf("NeedsNew(%s) = %v, want %v", got[0].ID, !tt.newSess, tt.newSess)
			}
			if after := snapshot(tt.accounts); after != before {
				t.Errorf("Select changed its input:\n%s\n%s", before, after)
			}
		})
	}
}

func snapshot(list []*account.Account) string {
	var b strings.Builder
	for _, a := range list {
		b.WriteString(a.ID + a.SessionStart.String() + ";")
	}
	return b.String()
}

// TestTurnTaking drives the strategy through three sessions of two equal
// accounts, starting sessions the way the proxy does: each account serves one
// whole session, then the other takes over, and never in between.
func TestTurnTaking(t *testing.T) {
	t.Parallel()
	a, b := acct("a", 0), acct("b", 1)
	now := t0
	var served []string
	for step := 0; step < 12; step++ { // a request every 75 minutes: 4 per session
		first := Select([]*account.Account{a, b}, now, fiveHours)[0]
		if NeedsNew(first, now, fiveHours) {
			first.SessionStart = now
		}
		served = append(served, first.ID)
		now = now.Add(75 * time.Minute)
	}
	got := strings.Join(served, "")
	if want := "aaaabbbbaaaa"; got != want {
		t.Fatalf("served %s, want %s", got, want)
	}
}

func TestOrder(t *testing.T) {
	t.Parallel()
	list := []*account.Account{acct("c", 2, prio(1)), acct("a", 0, prio(1)), acct("b", 1)}
	Order(list)
	if got := ids(list); got != "b,a,c" {
		t.Fatalf("Order = %s, want b,a,c", got)
	}
}

func BenchmarkSelect(b *testing.B) {
	list := []*account.Account{acct("a", 0, session(time.Hour)), acct("b", 1), acct("c", 2, limitedFor(time.Hour)), acct("d", 3, prio(2))}
	for b.Loop() {
		Select(list, t0, fiveHours)
	}
}

func TestSessionTimes(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	a := &account.Account{SessionStart: start}
	if !Running(a, start.Add(time.Hour), 2*time.Hour) || Running(a, start.Add(2*time.Hour), 2*time.Hour) {
		t.Error("Running bounds")
	}
	if !ExpiresAt(a, time.Hour).Equal(start.Add(time.Hour)) || !ExpiresAt(&account.Account{}, time.Hour).IsZero() {
		t.Error("ExpiresAt")
	}
}
