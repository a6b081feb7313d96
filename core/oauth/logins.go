package oauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
)

// Limits of Logins.
const (
	// MaxPendingLogins bounds the logins waiting at once.
	MaxPendingLogins = 8
	// keepFinished is how long a finished login can still be asked about.
	keepFinished = 15 * time.Minute
)

// Logins keeps the logins started through the HTTP API, by login id (the API calls it session_id).
// It is safe for concurrent use.
type Logins struct {
	Service *Service

	mu sync.Mutex
	m  map[string]*entry
}

type entry struct {
	login *Login
	ended time.Time // when the login was first seen finished; zero while pending
}

// Start starts a login (see Service.Start) and returns its session id. A
// login already waiting for the same name is ErrInProgress.
func (s *Logins) Start(ctx context.Context, req Request) (string, *Login, error) {
	s.mu.Lock()
	pending := s.pruneLocked()
	for _, e := range s.m {
		if e.ended.IsZero() && e.login.Name == req.Name {
			s.mu.Unlock()
			return "", nil, fmt.Errorf("%w: %q is waiting for the browser; finish it or wait for it to time out", ErrInProgress, req.Name)
		}
	}
	s.mu.Unlock()
	if pending >= MaxPendingLogins {
		return "", nil, fmt.Errorf("%w: %d logins are waiting already", ErrInProgress, pending)
	}
	l, err := s.Service.Start(ctx, req)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[string]*entry)
	}
	s.m[id] = &entry{login: l}
	s.mu.Unlock()
	return id, l, nil
}

// Get returns the login of a session id.
func (s *Logins) Get(id string) (*Login, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked()
	e, ok := s.m[id]
	if !ok {
		return nil, ErrUnknownSession
	}
	return e.login, nil
}

// Complete finishes a session's login with the pasted "code#state" (see Login.Complete).
func (s *Logins) Complete(ctx context.Context, id, pasted string) (account.Account, error) {
	l, err := s.Get(id)
	if err != nil {
		return account.Account{}, err
	}
	return l.Complete(ctx, pasted)
}

// Cancel cancels a session's login.
func (s *Logins) Cancel(id string) error {
	l, err := s.Get(id)
	if err != nil {
		return err
	}
	l.Cancel()
	// The login ends on its own goroutine; waiting for it means a status
	// read after the cancel says failed, never still pending.
	<-l.Done()
	return nil
}

// CancelAll cancels every pending login (at shutdown).
func (s *Logins) CancelAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.m {
		e.login.Cancel()
	}
}

// pruneLocked forgets logins that finished long ago and counts the pending ones.
func (s *Logins) pruneLocked() (pending int) {
	now := s.Service.now()
	for id, e := range s.m {
		select {
		case <-e.login.Done():
			if e.ended.IsZero() {
				e.ended = now
			} else if now.Sub(e.ended) > keepFinished {
				delete(s.m, id)
			}
		default:
			pending++
		}
	}
	return pending
}
