// Package filestore is the opt-in credential store for machines with no OS
// keychain (SPEC §6): credentials.json in the home folder, a JSON object
// mapping account id to creds.Secret, mode 0600, secrets in plain text.
//
// Writes are atomic (temp file, fsync, rename). Within one process a mutex
// orders reads and writes. Across processes (the CLI and the running app may
// both write) there is no file lock: every write re-reads the file under the
// mutex and changes only its own entry, which keeps updates from being lost
// except when two processes write within the same few milliseconds.
package filestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"github.com/claudeflare/claudeflare/core/creds"
)

// FileStore implements creds.Store over one JSON file. It is safe for
// concurrent use.
type FileStore struct {
	path string
	mu   sync.Mutex
}

var _ creds.Store = (*FileStore)(nil)

// New returns a FileStore over the file at path (normally
// paths.CredentialsPath(home)). The file is created on the first Set.
func New(path string) *FileStore { return &FileStore{path: path} }

// Path is the file the store uses.
func (f *FileStore) Path() string { return f.path }

// Describe names the backend for users and says that it is plain text.
func (f *FileStore) Describe() string {
	return "file " + f.path + " (secrets stored in plain text; opt-in)"
}

// Get returns the secret of account id, or creds.ErrNotFound when the file or
// the entry does not exist.
func (f *FileStore) Get(ctx context.Context, id string) (creds.Secret, error) {
	if err := ctx.Err(); err != nil {
		return creds.Secret{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	all, err := f.load()
	if err != nil {
		return creds.Secret{}, fmt.Errorf("reading credentials of account %q: %w", id, err)
	}
	s, ok := all[id]
	if !ok {
		return creds.Secret{}, fmt.Errorf("reading credentials of account %q from %s: %w", id, f.path, creds.ErrNotFound)
	}
	return s, nil
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

// update re-reads the file, applies change and writes the result atomically,
// all under the mutex. what is the context for errors.
func (f *FileStore) update(ctx context.Context, what string, change func(map[string]creds.Secret) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	all, err := f.load()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := change(all); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	data, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: encoding: %w", what, err)
	}
	if err := writeAtomic(f.path, append(data, '\n')); err != nil {
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
