package tray

import (
	"fmt"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/view"
)

// Notice is a desktop notification to show.
type Notice struct {
	Kind, Title, Body string
}

// Notifier turns core events into desktop notices: a failover, an account
// that needs a new login, no account able to serve, a request log that
// cannot be written. At most one notice per
// kind per minute, so a storm of failovers is one notification.
type Notifier struct {
	last map[string]time.Time
}

// NoticeFor returns the notice for e at now, if one is due.
func (n *Notifier) NoticeFor(e events.Event, now time.Time) (Notice, bool) {
	var notice Notice
	switch e := e.(type) {
	case *events.Failover:
		if e.To == "" {
			return Notice{}, false // nobody took over: "none can serve" says it
		}
		notice = Notice{"failover", "Claudeflare switched accounts", fmt.Sprintf("%s → %s: %s", e.From, e.To, e.Reason)}
	case *events.RequestLogFailed:
		notice = Notice{"request_log", "Claudeflare cannot write its request log",
			e.Error + ". Requests still go through; usage figures miss them until this is fixed."}
	case *events.QuotaCrossed:
		notice = quotaNotice(e)
	case *events.AccountChanged:
		if e.State != events.AccountNeedsLogin {
			return Notice{}, false
		}
		notice = Notice{"needs_login", "A Claude account needs a new login",
			fmt.Sprintf("%s: log in again from Accounts… or `claudeflare accounts login %s`", e.Account, e.Account)}
	default:
		return Notice{}, false
	}
	return notice, n.due(notice.Kind, now)
}

// quotaNotice tells that an account used 80 % or 95 % of a window. Its kind
// names the account, window and threshold: the pool announces each once per
// window period, so none of them should hold back another.
func quotaNotice(q *events.QuotaCrossed) Notice {
	title := fmt.Sprintf("%s has used %.0f%% of its %s", q.Account, q.Threshold*100, windowLabel(q.Window))
	body := fmt.Sprintf("Now at %.0f%%.", q.Utilization*100)
	if !q.ResetsAt.IsZero() {
		body = fmt.Sprintf("Now at %.0f%%; it resets %s.", q.Utilization*100, q.ResetsAt.Local().Format("Mon 15:04"))
	}
	if q.Threshold >= 0.95 {
		body += " Claudeflare starts the next session on another account if one has room."
	}
	return Notice{Kind: fmt.Sprintf("quota:%s:%s:%v", q.Account, q.Window, q.Threshold), Title: title, Body: body}
}

// windowLabel names a quota window in a sentence.
func windowLabel(w string) string {
	switch w {
	case "five_hour":
		return "5-hour limit"
	case "seven_day":
		return "weekly limit"
	}
	return w + " limit"
}

// NoneCanServe returns the notice for "no account can serve", if due,
// saying when the first account comes back (docs/DESIGN.md, "The tray and its windows"): back is the
// earliest end of a rate limit or cooldown (FirstBack), zero when none will
// come back by itself (all paused or needing a login).
func (n *Notifier) NoneCanServe(back, now time.Time) (Notice, bool) {
	body := "Every account is paused or needs a login: open Accounts… to resume one or log in again."
	if !back.IsZero() {
		body = fmt.Sprintf("Every account is rate-limited, paused or needs a login. The first is back at %s (in %s).",
			back.Local().Format("15:04"), Countdown(back.Sub(now)))
	}
	notice := Notice{"down", "No Claude account can serve", body}
	return notice, n.due(notice.Kind, now)
}

// FirstBack is when the first account that is limited or cooling down can
// serve again; zero if none is.
func FirstBack(accounts []view.Account, now time.Time) time.Time {
	var first time.Time
	for _, a := range accounts {
		var until *time.Time
		switch account.Status(a.Status) {
		case account.StatusRateLimited:
			until = a.RateLimitedUntil
		case account.StatusCooldown:
			until = a.CooldownUntil
		}
		if until != nil && until.After(now) && (first.IsZero() || until.Before(first)) {
			first = *until
		}
	}
	return first
}

func (n *Notifier) due(kind string, now time.Time) bool {
	if n.last == nil {
		n.last = map[string]time.Time{}
	}
	if t, ok := n.last[kind]; ok && now.Sub(t) < time.Minute {
		return false
	}
	n.last[kind] = now
	return true
}
