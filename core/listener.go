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
// accepting, and requests in flight on the old one finish.
type listener struct {
	mu  sync.Mutex
	srv *http.Server
	ln  net.Listener
	old sync.WaitGroup // old servers still draining
}

func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// bind listens on addr and serves h there; a previous server is drained in the background.
func (l *listener) bind(addr string, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	srv := newServer(h, log)
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

// shutdown stops accepting and waits (until ctx ends) for requests in flight,
// on the current server and any still draining.
func (l *listener) shutdown(ctx context.Context) error {
	l.mu.Lock()
	srv := l.srv
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
