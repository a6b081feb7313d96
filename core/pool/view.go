package pool

import (
	"net/http"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/session"
)

// View is an account as users see it: settings, state and derived status.
type View struct {
	account.Account
	Status           account.Status
	SessionExpiresAt time.Time // zero when no session is running
	HasCredential    bool
}

// Views returns every account in strategy order: the available ones in the
// order Select would try them, then the unavailable ones by priority and
// creation. The first is marked active when its session is running.
func (p *Pool) Views(now time.Time, sessionDuration time.Duration) []View {
	p.mu.Lock()
	defer p.mu.Unlock()
	return views(p.accounts, p.secrets, now, sessionDuration)
}

// ViewsOf is Views for accounts read from the database by a process that is
// not the proxy (the command line): statuses come from the persisted state.
func ViewsOf(list []account.Account, now time.Time, sessionDuration time.Duration) []View {
	ptrs := make([]*account.Account, len(list))
	for i := range list {
		ptrs[i] = &list[i]
	}
	session.Order(ptrs)
	return views(ptrs, nil, now, sessionDuration)
}

func views(list []*account.Account, secrets map[string]creds.Secret, now time.Time, sessionDuration time.Duration) []View {
	order := session.Select(list, now, sessionDuration)
	seen := make(map[string]bool, len(order))
	out := make([]View, 0, len(list))
	add := func(a *account.Account, active bool) {
		v := View{Account: *a, Status: a.StatusAt(now, active)}
		if session.Running(a, now, sessionDuration) {
			v.SessionExpiresAt = session.ExpiresAt(a, sessionDuration)
		}
		_, v.HasCredential = secrets[a.ID]
		out = append(out, v)
	}
	for i, a := range order {
		seen[a.ID] = true
		add(a, i == 0 && session.Running(a, now, sessionDuration))
	}
	for _, a := range list {
		if !seen[a.ID] {
			add(a, false)
		}
	}
	return out
}

// Summary counts configured and available accounts, for /health and the tray.
func (p *Pool) Summary(now time.Time) (total, available int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.accounts {
		if _, ok := p.secrets[a.ID]; ok && a.Available(now) {
			available++
		}
	}
	return len(p.accounts), available
}

// EarliestRecovery is the soonest time a rate-limited account frees up, the
// unified headers of that account's 429 (nil if it had none), and whether
// every account is rate-limited right now.
func (p *Pool) EarliestRecovery(now time.Time) (earliest time.Time, limitHeaders http.Header, allLimited bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	allLimited = len(p.accounts) > 0
	for _, a := range p.accounts {
		if !now.Before(a.RateLimitedUntil) {
			allLimited = false
			continue
		}
		if earliest.IsZero() || a.RateLimitedUntil.Before(earliest) {
			earliest, limitHeaders = a.RateLimitedUntil, a.LimitHeaders
		}
	}
	return earliest, limitHeaders, allLimited
}
