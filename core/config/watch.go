package config

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

const (
	// debounce gathers the events of one save (an editor may truncate, write and rename)
	// into one reload.
	debounce = 50 * time.Millisecond
	// pollInterval is how often Watch reads the file when the system cannot notify it.
	pollInterval = time.Second
)

// Watch applies changes to config.json made by anyone, until ctx is done; start it in a
// goroutine. It watches the file's directory, so that it sees a file replaced by a rename (as
// Patch and many editors save), written in place, created or deleted (deleted means all
// defaults), and reloads it about 50ms after the last event; subscribers are called if the
// configuration changed.
//
// A bad file never replaces the running configuration: the problem (an *Error naming the
// file, the key and the rule) goes to onError, and the running configuration stays. A problem
// is reported once, however often the file is saved with it, until another problem or a good
// file replaces it. Watching problems go to onError too; if the system cannot watch the
// directory, Watch reads the file every second instead.
func (m *Manager) Watch(ctx context.Context, onError func(error)) {
	if onError == nil {
		onError = func(error) {}
	}
	var last string // the last problem reported, to report each one once
	check := func() {
		err := m.reload()
		if err == nil {
			last = ""
			return
		}
		if msg := err.Error(); msg != last {
			last = msg
			onError(err)
		}
	}

	dir, name := filepath.Dir(m.path), filepath.Base(m.path)
	w, err := watchDir(dir)
	if err != nil {
		onError(fmt.Errorf("watching %s: %w; reading the file every %s instead", dir, err, pollInterval))
		poll(ctx, check)
		return
	}
	defer w.Close()
	check() // a change made before the watch began

	var timer *time.Timer
	var fire <-chan time.Time
	schedule := func() {
		if timer == nil {
			timer = time.NewTimer(debounce)
		} else {
			timer.Reset(debounce)
		}
		fire = timer.C
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events:
			if !ok {
				<-ctx.Done()
				return
			}
			if filepath.Base(ev.Name) == name && ev.Op != fsnotify.Chmod {
				schedule()
			}
		case err, ok := <-w.Errors:
			if !ok {
				<-ctx.Done()
				return
			}
			onError(fmt.Errorf("watching %s: %w", dir, err))
			schedule() // events may have been lost
		case <-fire:
			fire = nil
			check()
		}
	}
}

// watchDir returns a watcher of dir, creating dir (0700) if missing.
func watchDir(dir string) (*fsnotify.Watcher, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if err := w.Add(dir); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// poll calls check every pollInterval until ctx is done.
func poll(ctx context.Context, check func()) {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	check()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			check()
		}
	}
}
