package config

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Locker takes an exclusive lock on the file at lockPath, waiting while
// another process holds it (ctx bounds the wait), and returns the function
// that releases it. The program hands in platform/lock.Exclusive; the core
// does not import the platform layer, so the lock comes from outside.
type Locker func(ctx context.Context, lockPath string) (release func(), err error)

// Option configures Patch and NewManager.
type Option func(*options)

type options struct {
	lock  Locker
	check func(Config) error
}

func collect(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithLock makes every change of config.json hold l's lock on LockPath(path)
// while it re-reads the file, applies only the keys it changes and replaces
// the file, so that changes made at the same time by several processes (the
// running app, `config set`, the settings window) never overwrite each
// other's keys. Without it, changes are ordered within one Manager only.
func WithLock(l Locker) Option { return func(o *options) { o.lock = l } }

// WithCheck makes Patch call check with the new configuration after it is
// found valid and before config.json is written: an error refuses the
// change, and nothing is written (a *RefusedError wrapping it). The running
// app readies a new listener this way, so that a busy port is refused
// rather than saved and then not used.
func WithCheck(check func(Config) error) Option { return func(o *options) { o.check = check } }

// RefusedError is a valid change the running app could not apply (a port in
// use): nothing was written. The API answers 409 with it.
type RefusedError struct{ Err error }

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// LockPath is the lock file that orders the changes of the config file at
// path: config.json.lock next to config.json.
func LockPath(path string) string { return path + ".lock" }

// lockTimeout bounds the wait for another process's change, which holds the
// lock for the few milliseconds of one write.
const lockTimeout = 10 * time.Second

// lockFile takes o's lock for the config file at path (its folder is
// created 0700 if missing); with no Locker it does nothing.
func (o options) lockFile(path string) (release func(), err error) {
	if o.lock == nil {
		return func() {}, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), lockTimeout)
	defer cancel()
	release, err = o.lock(ctx, LockPath(path))
	if err != nil {
		return nil, fmt.Errorf("waiting for another change of %s: %w", path, err)
	}
	return release, nil
}
