package app

import (
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/events"
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
	if _, ok := n.NoneCanServe(now); !ok {
		t.Error("first down notice held back")
	}
	if _, ok := n.NoneCanServe(now.Add(10 * time.Second)); ok {
		t.Error("second down notice within a minute")
	}
}
