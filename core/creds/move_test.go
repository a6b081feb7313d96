package creds

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

// memStore is an in-memory Store that can refuse writes or deletes.
type memStore struct {
	name                string
	mu                  sync.Mutex
	m                   map[string]Secret
	failSet, failDelete bool
}

func newMem(name string, m map[string]Secret) *memStore {
	if m == nil {
		m = map[string]Secret{}
	}
	return &memStore{name: name, m: m}
}

func (s *memStore) Get(_ context.Context, id string) (Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[id]
	if !ok {
		return Secret{}, ErrNotFound
	}
	return v, nil
}

func (s *memStore) Set(_ context.Context, id string, v Secret) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failSet {
		return UnavailableError(errors.New("locked"))
	}
	s.m[id] = v
	return nil
}

func (s *memStore) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failDelete {
		return UnavailableError(errors.New("locked"))
	}
	delete(s.m, id)
	return nil
}

func (s *memStore) Describe() string { return s.name }

func TestMove(t *testing.T) {
	t.Parallel()
	a := Secret{APIKey: "sk-ant-api03-aaaa"}
	b := Secret{AccessToken: "sk-ant-oat01-bbbb", RefreshToken: "sk-ant-ort01-bbbb"}
	from := newMem("keychain", map[string]Secret{"a": a, "b": b, "other": a})
	to := newMem("file", nil)
	n, err := Move(context.Background(), from, to, []string{"a", "b", "gone"})
	if err != nil || n != 2 {
		t.Fatalf("Move = %d, %v; want 2 moved", n, err)
	}
	if to.m["a"] != a || to.m["b"] != b || len(to.m) != 2 {
		t.Errorf("destination holds %d secrets, want a and b", len(to.m))
	}
	if _, ok := from.m["a"]; ok || len(from.m) != 1 {
		t.Errorf("the moved secrets are still in the source (%d left, want only the one not asked for)", len(from.m))
	}
	// Moving again finds nothing to move.
	if n, err := Move(context.Background(), from, to, []string{"a", "b"}); err != nil || n != 0 {
		t.Errorf("second Move = %d, %v; want 0, nil", n, err)
	}
}

func TestMoveFailureLosesNothing(t *testing.T) {
	t.Parallel()
	a := Secret{APIKey: "sk-ant-api03-aaaa"}
	from := newMem("keychain", map[string]Secret{"a": a, "b": a})
	to := newMem("file", nil)
	to.failSet = true
	_, err := Move(context.Background(), from, to, []string{"a", "b"})
	if err == nil || !strings.Contains(err.Error(), "nothing was deleted") || strings.Contains(err.Error(), "sk-ant") {
		t.Fatalf("Move into a store refusing writes: %v; want a secret-free error saying nothing was deleted", err)
	}
	if len(from.m) != 2 {
		t.Errorf("the source lost secrets: %d left, want 2", len(from.m))
	}

	to.failSet, from.failDelete = false, true
	n, err := Move(context.Background(), from, to, []string{"a", "b"})
	if n != 2 || err == nil || !strings.Contains(err.Error(), "copies are left in keychain") {
		t.Errorf("Move with deletes refused = %d, %v; want 2 and an error about the copies left behind", n, err)
	}
	if len(to.m) != 2 {
		t.Errorf("the destination holds %d secrets, want 2", len(to.m))
	}
}
