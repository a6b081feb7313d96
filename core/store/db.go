// Package store keeps Claudeflare's durable state in SQLite through the pure-Go
// modernc.org/sqlite driver: accounts (settings and runtime state, never a
// secret), request rows, events, and the statistics computed from them.
//
// Writes from the request path go through Writer, an asynchronous batching
// writer that never blocks its callers. Everything else (the CLI, the API,
// the UI) calls DB directly.
//
// Times are stored as unix milliseconds (0 is the zero time) and come back in
// UTC; durations are stored as microseconds.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// pragmas are applied to every connection.
const pragmas = "_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"

// DB is an open Claudeflare database. It is safe for concurrent use, also
// with other processes using the same file (the CLI while the app runs).
//
// Writes share one connection and start with BEGIN IMMEDIATE, so writers in
// this process queue up instead of failing, and a writer in another process
// is waited for (busy_timeout, 5 s). Reads use a separate pool of read-only
// connections and, thanks to WAL, never wait for writes.
type DB struct {
	path string
	w    *sql.DB // one connection, for every write
	r    *sql.DB // read-only connections
}

// Open opens the database at path, creating the file (mode 0600) when it is
// missing, and brings its schema up to date. The parent folder must exist.
// Errors name the file. A database written by a newer Claudeflare (a schema
// version this one does not know) is refused rather than modified.
func Open(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("opening database: no path given")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	// Create the file ourselves so it gets 0600; SQLite gives its -wal and
	// -shm files the same mode as the database file.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening database %s: %w", abs, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("opening database %s: %w", abs, err)
	}

	base := dsnPath(abs)
	w, err := sql.Open("sqlite", base+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("opening database %s: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	db := &DB{path: abs, w: w}
	if err := migrate(context.Background(), w, migrations); err != nil {
		w.Close()
		return nil, fmt.Errorf("opening database %s: %w", abs, err)
	}
	if err := db.rebuildRollupsIfPending(context.Background()); err != nil {
		w.Close()
		return nil, fmt.Errorf("opening database %s: %w", abs, err)
	}

	r, err := sql.Open("sqlite", base+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("opening database %s: %w", abs, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	if err := r.PingContext(context.Background()); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("opening database %s: %w", abs, err)
	}
	db.r = r
	return db, nil
}

// Path is the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Close closes the database. Calls made after Close fail; a Writer still
// running on it counts its batches as dropped.
func (db *DB) Close() error {
	err := errors.Join(db.r.Close(), db.w.Close())
	if err != nil {
		return fmt.Errorf("closing database %s: %w", db.path, err)
	}
	return nil
}

// dsnPath turns an absolute file path into the "file:" URI SQLite expects,
// escaping the characters ('?', '#', '%', ...) that would otherwise end or
// change the path.
func dsnPath(abs string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: /C:/Users/...
	}
	return "file:" + (&url.URL{Path: p}).EscapedPath()
}

// millis stores a time: unix milliseconds, 0 for the zero time.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMillis reads a time stored by millis.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// micros stores a duration as microseconds.
func micros(d time.Duration) int64 { return d.Microseconds() }

// fromMicros reads a duration stored by micros.
func fromMicros(us int64) time.Duration { return time.Duration(us) * time.Microsecond }
