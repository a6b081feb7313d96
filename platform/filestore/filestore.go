// Package filestore is the opt-in credential store for machines with no OS
// keychain (docs/DESIGN.md, "Secrets"): credentials.json in the home folder, a JSON object
// mapping account id to creds.Secret, mode 0600, secrets in plain text.
//
// Every process (the running app, each CLI command) changes the file only
// while holding one exclusive lock, credentials.json.lock next to it (see
// platform/lock.Exclusive), and re-reads the file inside the lock before
// applying its own change and replacing the file atomically (temp file,
// fsync, rename). So concurrent changes from any number of processes never
// lose a secret, and a removed secret never comes back from another
// process's stale copy. Reads take the lock too: they are rare (loading the
// accounts), and Windows cannot replace a file another process has open.
package filestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/platform/lock"
)

// FileStore implements creds.Store, creds.Locker and creds.Lister over one
// JSON file. It is safe for concurrent use, also by several processes.
type FileStore struct {
	path string
	// turn lets one goroutine of this process at a time take the file lock,
	// so the others wait here (cancellably) instead of polling the OS lock.
	turn chan struct{}
}

var (
	_ creds.Store  = (*FileStore)(nil)
	_ creds.Locker = (*FileStore)(nil)
	_ creds.Lister = (*FileStore)(nil)
)

// New returns a FileStore over the file at path (normally
// paths.CredentialsPath(home)). The file is created on the first Set.
func New(path string) *FileStore { return &FileStore{path: path, turn: make(chan struct{}, 1)} }

// Path is the file the store uses.
func (f *FileStore) Path() string { return f.path }

// LockPath is the lock file that orders every change of the file:
// credentials.json.lock beside credentials.json.
func (f *FileStore) LockPath() string { return f.path + ".lock" }

// Describe names the backend for users and says that it is plain text.
func (f *FileStore) Describe() string {
	return "file " + f.path + " (secrets stored in plain text; opt-in)"
}

// heldKey marks a context whose holder has the lock of the file at path:
// any FileStore over that file then runs without taking it again (taking it
// twice in one process would wait for itself).
type heldKey struct{ path string }

// LockStore takes the store's lock for a span of several steps (see
// creds.Locked). Under the returned context, the methods of every FileStore
// over the same file run without taking the lock again.
func (f *FileStore) LockStore(ctx context.Context) (context.Context, func(), error) {
	if ctx.Value(heldKey{f.path}) != nil {
		return ctx, func() {}, nil
	}
	release, err := f.lock(ctx)
	if err != nil {
		return nil, nil, err
	}
	return context.WithValue(ctx, heldKey{f.path}, true), release, nil
}

// lockWait bounds the wait for the lock when the caller's context does not:
// holders keep it for milliseconds, so a longer wait means a process is
// stuck holding it, and the user had better hear so than wait forever.
const lockWait = 30 * time.Second

// lock waits for this process's turn, then for the file lock.
func (f *FileStore) lock(ctx context.Context) (func(), error) {
	ctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel() // bounds the wait only; the lock outlives it
	select {
	case f.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the lock %s, held in this process: %w", f.LockPath(), ctx.Err())
	}
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		<-f.turn
		return nil, fmt.Errorf("creating folder: %w", err)
	}
	release, err := lock.Exclusive(ctx, f.LockPath())
	if err != nil {
		<-f.turn
		return nil, err
	}
	return func() { release(); <-f.turn }, nil
}

// locked runs fn holding the lock, unless ctx says it is already held. A
// read (write false) of a store whose folder does not exist yet runs
// without the lock rather than create the folder.
func (f *FileStore) locked(ctx context.Context, write bool, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ctx.Value(heldKey{f.path}) != nil {
		return fn()
	}
	if _, err := os.Stat(filepath.Dir(f.path)); !write && errors.Is(err, fs.ErrNotExist) {
		return fn()
	}
	release, err := f.lock(ctx)
	if err != nil {
		return err
	}
	defer release()
	return fn()
}

// Get returns the secret of account id, or creds.ErrNotFound when the file or
// the entry does not exist.
func (f *FileStore) Get(ctx context.Context, id string) (creds.Secret, error) {
	var s creds.Secret
	err := f.locked(ctx, false, func() error {
		all, err := f.load()
		if err != nil {
			return err
		}
		var ok bool
		if s, ok = all[id]; !ok {
			return fmt.Errorf("from %s: %w", f.path, creds.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return creds.Secret{}, fmt.Errorf("reading credentials of account %q: %w", id, err)
	}
	return s, nil
}

// IDs returns the ids of every secret in the file.
func (f *FileStore) IDs(ctx context.Context) ([]string, error) {
	var ids []string
	err := f.locked(ctx, false, func() error {
		all, err := f.load()
		for id := range all {
			ids = append(ids, id)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing credentials: %w", err)
	}
	return ids, nil
}

// Set stores s for account id, replacing any earlier value. A file that is
// not valid JSON is reported and left untouched.
func (f *FileStore) Set(ctx context.Context, id string, s creds.Secret) error {
	return f.update(ctx, fmt.Sprintf("storing credentials of account %q", id), func(all map[string]creds.Secret) error {
		all[id] = s
		return nil
	})
}

// Delete removes the secret of account id; it returns an error wrapping
// creds.ErrNotFound if there was none.
func (f *FileStore) Delete(ctx context.Context, id string) error {
	return f.update(ctx, fmt.Sprintf("deleting credentials of account %q", id), func(all map[string]creds.Secret) error {
		if _, ok := all[id]; !ok {
			return fmt.Errorf("in %s: %w", f.path, creds.ErrNotFound)
		}
		delete(all, id)
		return nil
	})
}

// update re-reads the file, applies change and writes the result
// atomically, all under the lock. what is the context for errors.
func (f *FileStore) update(ctx context.Context, what string, change func(map[string]creds.Secret) error) error {
	err := f.locked(ctx, true, func() error {
		all, err := f.load()
		if err != nil {
			return err
		}
		if err := change(all); err != nil {
			return err
		}
		data, err := json.MarshalIndent(all, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding: %w", err)
		}
		return writeAtomic(f.path, append(data, '\n'))
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// load reads the whole file; a missing or empty file is an empty store.
func (f *FileStore) load() (map[string]creds.Secret, error) {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]creds.Secret{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading credentials file: %w", err)
	}
	all := map[string]creds.Secret{}
	if len(data) == 0 {
		return all, nil
	}
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, fmt.Errorf("credentials file %s is not valid: %s; fix or remove it (it is left as it is)", f.path, describeJSONError(err))
	}
	if all == nil { // the file held JSON null
		all = map[string]creds.Secret{}
	}
	return all, nil
}

// describeJSONError says where a decoding error is without quoting the file,
// which holds secrets.
func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("not JSON (syntax error at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		where := typ.Field
		if where == "" {
			where = "top level"
		}
		return fmt.Sprintf("expected an object of account id to credentials, found a JSON %s at %s (byte %d)", typ.Value, where, typ.Offset)
	default:
		return "not JSON of the expected shape"
	}
}
