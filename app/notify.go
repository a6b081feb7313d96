package app

import (
	"fmt"
	"time"

	"github.com/claudeflare/claudeflare/core/events"
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
	data, _ := e.Data.(map[string]any)
	var notice Notice
	switch {
	case e.Type == events.Failover && data["to"] != nil && data["to"] != "":
		notice = Notice{"failover", "Claudeflare switched accounts",
			fmt.Sprintf("%v → %v: %v", data["from"], data["to"], data["reason"])}
	case e.Type == events.RequestLog:
		notice = Notice{"request_log", "Claudeflare cannot write its request log",
			fmt.Sprintf("%v. Requests still go through; usage figures miss them until this is fixed.", data["error"])}
	case e.Type == events.AccountChanged && data["state"] == "needs_login":
		notice = Notice{"needs_login", "A Claude account needs a new login",
			fmt.Sprintf("%v: log in again from Accounts… or `claudeflare accounts login %v`", data["account"], data["account"])}
	default:
		return Notice{}, false
	}
	return notice, n.due(notice.Kind, now)
}

// NoneCanServe returns the notice for "no account can serve", if due.
func (n *Notifier) NoneCanServe(now time.Time) (Notice, bool) {
	notice := Notice{"down", "No Claude account can serve",
		"Every account is rate-limited, paused or needs a login. Open Accounts… to see when they return."}
	return notice, n.due(notice.Kind, now)
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
