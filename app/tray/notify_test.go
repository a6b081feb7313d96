package tray

import (
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/view"
)

func TestNotifier(t *testing.T) {
	t.Parallel()
	var n Notifier
	failover := &events.Failover{From: "a", To: "b", Reason: "rate limited (429)"}
	steps := []struct {
		name string
		e    events.Event
		at   time.Duration
		want bool
		body string
	}{
		{"first failover", failover, 0, true, "a → b: rate limited (429)"},
		{"second within a minute is folded", failover, 30 * time.Second, false, ""},
		{"another kind is not held back", &events.AccountChanged{Account: "a", State: events.AccountNeedsLogin}, 31 * time.Second, true, ""},
		{"after a minute again", failover, 61 * time.Second, true, ""},
		{"failover to nobody is not a switch", &events.Failover{From: "a", To: ""}, 5 * time.Minute, false, ""},
		{"ordinary requests are quiet", &events.Request{}, 6 * time.Minute, false, ""},
		{"a failing request log is told", &events.RequestLogFailed{Error: "request log: lost 3 records: disk full"}, 7 * time.Minute, true,
			"request log: lost 3 records: disk full. Requests still go through; usage figures miss them until this is fixed."},
		{"a quota crossing is told", &events.QuotaCrossed{Account: "work", Window: "five_hour", Threshold: 0.8, Utilization: 0.83}, 7 * time.Minute, true, "Now at 83%."},
		{"the next threshold is told at once", &events.QuotaCrossed{Account: "work", Window: "five_hour", Threshold: 0.95, Utilization: 0.96}, 7*time.Minute + time.Second, true, ""},
		{"another account's crossing is told at once", &events.QuotaCrossed{Account: "home", Window: "seven_day", Threshold: 0.8, Utilization: 0.8}, 7*time.Minute + 2*time.Second, true, ""},
		{"cooldown changes are quiet", &events.AccountChanged{Account: "a", State: events.AccountCooldown}, 7 * time.Minute, false, ""},
	}
	for _, s := range steps {
		got, ok := n.NoticeFor(s.e, now.Add(s.at))
		if ok != s.want || (s.body != "" && got.Body != s.body) {
			t.Errorf("%s: %v %+v", s.name, ok, got)
		}
	}
	back := time.Date(2026, 11, 25, 14, 30, 0, 0, time.Local)
	if got, ok := n.NoneCanServe(back, now); !ok || !strings.Contains(got.Body, "back at 14:30") {
		t.Errorf("first down notice: %v %q", ok, got.Body)
	}
	if _, ok := n.NoneCanServe(back, now.Add(10*time.Second)); ok {
		t.Error("second down notice within a minute")
	}
	if got, _ := n.NoneCanServe(time.Time{}, now.Add(2*time.Minute)); !strings.Contains(got.Body, "resume one or log in again") {
		t.Errorf("nobody comes back by itself: %q", got.Body)
	}
}

func TestFirstBack(t *testing.T) {
	t.Parallel()
	limited := func(name string, until time.Time) view.Account {
		return acct(name, account.StatusRateLimited, func(v *view.Account) { v.RateLimitedUntil = at(until) })
	}
	views := []view.Account{
		limited("late", now.Add(3*time.Hour)),
		acct("cool", account.StatusCooldown, func(v *view.Account) { v.CooldownUntil = at(now.Add(time.Hour)) }),
		limited("past", now.Add(-time.Hour)),
		limited("paused", now.Add(time.Minute)),
		acct("login", account.StatusNeedsLogin),
	}
	views[3].Status = string(account.StatusPaused) // paused: its limit ending does not bring it back
	if got := FirstBack(views, now); !got.Equal(now.Add(time.Hour)) {
		t.Errorf("FirstBack = %v, want the cooldown's end", got)
	}
	if got := FirstBack(views[4:], now); !got.IsZero() {
		t.Errorf("nobody comes back by itself: %v", got)
	}
}
