package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// listener owns the HTTP server and moves it to a new address without
// dropping requests: the new socket is listening before the old one stops
// accepting, and requests in flight on the old one finish. A move is
// readied first (prepare binds the new socket), so that a change of port
// that cannot be bound is refused before it is saved (docs/DESIGN.md, "The
// listener").
type listener struct {
	mu      sync.Mutex
	srv     *http.Server
	ln      net.Listener
	pending net.Listener   // bound by prepare, served by the next bind to its address
	old     sync.WaitGroup // old servers still draining
	// idle closes keep-alive connections idle that long (IdleTimeout if 0).
	idle time.Duration
}

// IdleTimeout closes keep-alive connections nobody uses, so that idle
// clients cannot hold the process's goroutines and descriptors forever.
const IdleTimeout = 2 * time.Minute

func (l *listener) newServer(h http.Handler, log *slog.Logger) *http.Server {
	idle := l.idle
	if idle <= 0 {
		idle = IdleTimeout
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       idle,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// prepare binds addr for the next bind, unless the listener is there
// already; an error (the port is in use) means the move cannot be made.
func (l *listener) prepare(addr string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil && l.ln.Addr().String() == addr {
		return nil
	}
	if l.pending != nil {
		if l.pending.Addr().String() == addr {
			return nil
		}
		_ = l.pending.Close()
		l.pending = nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	l.pending = ln
	return nil
}

// bind serves h on addr (on the socket prepare bound for it, if it did); a
// previous server is drained in the background.
func (l *listener) bind(addr string, h http.Handler, log *slog.Logger) error {
	l.mu.Lock()
	ln := l.pending
	l.pending = nil
	l.mu.Unlock()
	if ln != nil && !sameAddr(ln.Addr().String(), addr) {
		_ = ln.Close()
		ln = nil
	}
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("listening on %s: %w", addr, err)
		}
	}
	srv := l.newServer(h, log)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("server stopped", "addr", addr, "err", err)
		}
	}()
	l.mu.Lock()
	prev := l.srv
	l.srv, l.ln = srv, ln
	l.mu.Unlock()
	if prev != nil {
		l.old.Add(1)
		go func() {
			defer l.old.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			_ = prev.Shutdown(ctx)
		}()
	}
	return nil
}

func (l *listener) addr() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln == nil {
		return ""
	}
	return l.ln.Addr().String()
}

// sameAddr reports whether a bound address is the one asked for: a port of
// 0 asks for any.
func sameAddr(bound, asked string) bool {
	if bound == asked {
		return true
	}
	bh, _, err1 := net.SplitHostPort(bound)
	ah, ap, err2 := net.SplitHostPort(asked)
	return err1 == nil && err2 == nil && ap == "0" && (bh == ah || ah == "")
}

// shutdown stops accepting and waits (until ctx ends) for requests in flight,
// on the current server and any still draining.
func (l *listener) shutdown(ctx context.Context) error {
	l.mu.Lock()
	srv := l.srv
	if l.pending != nil {
		_ = l.pending.Close()
		l.pending = nil
	}
	l.mu.Unlock()
	var err error
	if srv != nil {
		err = srv.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			_ = srv.Close()
		}
	}
	done := make(chan struct{})
	go func() { l.old.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	return err
}
