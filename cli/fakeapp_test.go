package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/claudeflare/claudeflare/platform/lock"
)

// fakeApp stands in for a running Claudeflare: /health as the real one
// answers it, and /api/accounts with what the test sets.
type fakeApp struct {
	*httptest.Server
	accounts atomic.Value // []byte: the /api/accounts body
	token    string       // when set, /api/accounts wants Authorization: Bearer token
	hits     atomic.Int64 // /api/accounts requests
}

func newFakeApp(t testing.TB, accounts any) *fakeApp {
	t.Helper()
	f := &fakeApp{}
	f.setAccounts(accounts)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok","strategy":"session","accounts":1,"available":1,"version":"test"}`))
	})
	mux.HandleFunc("GET /api/accounts", func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		if f.token != "" && r.Header.Get("Authorization") != "Bearer "+f.token {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"missing API token"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(f.accounts.Load().([]byte))
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeApp) setAccounts(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	f.accounts.Store(b)
}

// holdLock records address in home's lock file, as a running tray app does,
// until the test ends.
func holdLock(t testing.TB, home, address string) *lock.Lock {
	t.Helper()
	l, err := lock.Acquire(filepath.Join(home, "claudeflare.lock"), address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Release)
	return l
}
