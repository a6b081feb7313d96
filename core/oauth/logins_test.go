package oauth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/claudeflare/claudeflare/core/oauth"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
)

func TestLogins(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	s := &oauth.Logins{Service: e.svc}
	ctx := context.Background()

	id, l, err := s.Start(ctx, oauth.Request{Name: "a", Manual: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Cancel()
	if len(id) != 32 {
		t.Errorf("session id %q", id)
	}
	if _, _, err := s.Start(ctx, oauth.Request{Name: "a"}); !errors.Is(err, oauth.ErrInProgress) {
		t.Errorf("second login for the same name: err = %v", err)
	}
	if _, err := s.Get("nope"); !errors.Is(err, oauth.ErrUnknownSession) {
		t.Errorf("Get(unknown): %v", err)
	}
	if _, err := s.Complete(ctx, "nope", "a#b"); !errors.Is(err, oauth.ErrUnknownSession) {
		t.Errorf("Complete(unknown): %v", err)
	}
	a, err := s.Complete(ctx, id, manualCode(t, l.URL))
	if err != nil || a.Name != "a" {
		t.Fatalf("Complete: %+v, %v", a, err)
	}
	got, err := s.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if st, acct, _ := got.Status(); st != oauth.StateDone || acct.ID != a.ID {
		t.Errorf("status %s", st)
	}

	id2, l2, err := s.Start(ctx, oauth.Request{Name: "b", Manual: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Cancel(id2); err != nil {
		t.Fatal(err)
	}
	// Cancel returns once the login has ended: its status says so at once.
	if st, _, err := l2.Status(); st != oauth.StateFailed || !errors.Is(err, oauth.ErrCancelled) {
		t.Errorf("status right after Cancel: %s, %v", st, err)
	}
	if _, err := wait(t, l2); !errors.Is(err, oauth.ErrCancelled) {
		t.Errorf("cancelled login: %v", err)
	}
}
