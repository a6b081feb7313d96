package keychain

import (
	"os"
	"sync"
	"testing"

	"github.com/zalando/go-keyring"
)

// TestMain swaps go-keyring for its in-memory mock, unless the real keychain
// tests were asked for (see keychain_real_test.go and .ci/with-keyring.sh).
func TestMain(m *testing.M) {
	if os.Getenv(realEnv) != "1" {
		keyring.MockInit()
	}
	os.Exit(m.Run())
}

// fakeBackend is an in-memory Backend whose calls can fail or block.
type fakeBackend struct {
	mu    sync.Mutex
	items map[string]string
	err   error         // returned by every call when set
	block chan struct{} // when set, every call waits for it to close
	calls int
}

func (f *fakeBackend) enter() error {
	f.mu.Lock()
	f.calls++
	block, err := f.block, f.err
	f.mu.Unlock()
	if block != nil {
		<-block
	}
	return err
}

func (f *fakeBackend) Get(service, user string) (string, error) {
	if err := f.enter(); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.items[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeBackend) Set(service, user, password string) error {
	if err := f.enter(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.items == nil {
		f.items = map[string]string{}
	}
	f.items[service+"/"+user] = password
	return nil
}

func (f *fakeBackend) Delete(service, user string) error {
	if err := f.enter(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.items[service+"/"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(f.items, service+"/"+user)
	return nil
}

func (f *fakeBackend) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}
