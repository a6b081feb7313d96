package pool

import (
	"context"
	"errors"
	"log/slog"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/session"
)

// Load merges the accounts read from the database into the pool. Settings
// (name, priority, paused, kind, mode) come from the database; runtime state
// of accounts already in the pool is kept, since the pool is its owner. New
// accounts, and accounts whose credential version changed (a new login),
// get their secret from secrets. Removed accounts leave the pool with their
// secret. It is called at start-up and whenever the settings change, never
// on the request path.
func (p *Pool) Load(ctx context.Context, list []account.Account, secrets creds.Store, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p.mu.Lock()
	old := make(map[string]*account.Account, len(p.accounts))
	for _, a := range p.accounts {
		old[a.ID] = a
	}
	var need []string
	for i := range list {
		a := &list[i]
		prev, ok := old[a.ID]
		_, has := p.secrets[a.ID]
		if !ok || !has || prev.CredVersion != a.CredVersion {
			need = append(need, a.ID)
		}
	}
	p.mu.Unlock()

	fetched := make(map[string]creds.Secret, len(need))
	for _, id := range need {
		s, err := secrets.Get(ctx, id)
		if err != nil {
			if !errors.Is(err, creds.ErrNotFound) {
				log.Warn("loading account credential", "account", id, "err", err)
			} else {
				log.Warn("account has no stored credential", "account", id)
			}
			continue
		}
		fetched[id] = s
	}

	p.mu.Lock()
	next := make([]*account.Account, 0, len(list))
	keep := make(map[string]bool, len(list))
	now := p.clock()
	var changed []events.Event
	change := func(a *account.Account, state string) {
		changed = append(changed, &events.AccountChanged{At: now, AccountID: a.ID, Account: a.Name, State: state})
	}
	for i := range list {
		fresh := list[i]
		keep[fresh.ID] = true
		prev, ok := old[fresh.ID]
		if !ok {
			next = append(next, &fresh)
			change(&fresh, events.AccountAdded)
			continue
		}
		if prev.Name != fresh.Name || prev.Priority != fresh.Priority || prev.Paused != fresh.Paused || prev.CredVersion != fresh.CredVersion {
			change(&fresh, events.AccountSettings)
		}
		prev.Name, prev.Kind, prev.Mode = fresh.Name, fresh.Kind, fresh.Mode
		prev.Priority, prev.Paused = fresh.Priority, fresh.Paused
		if prev.CredVersion != fresh.CredVersion {
			prev.NeedsLogin = false // a new credential is a fresh login
			prev.CredVersion = fresh.CredVersion
		}
		next = append(next, prev)
	}
	for id, s := range fetched {
		p.secrets[id] = s
		for _, a := range next {
			if a.ID == id && !s.ExpiresAt.IsZero() {
				a.TokenExpiresAt = s.ExpiresAt
			}
		}
	}
	for id, a := range old {
		if !keep[id] {
			delete(p.secrets, id)
			change(a, events.AccountRemoved)
		}
	}
	session.Order(next)
	p.accounts = next
	ended, hasEnded := p.history.EndIfOut(now, p.find)
	p.mu.Unlock()
	for _, e := range changed {
		p.bus.Publish(e)
	}
	if hasEnded {
		p.persist(ended)
	}
}
