package core

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/testkit"
)

// TestIdleKeepAliveConnectionsAreClosed: a client that keeps a connection
// open and idle does not hold it forever (IdleTimeout, shortened here).
func TestIdleKeepAliveConnectionsAreClosed(t *testing.T) {
	t.Parallel()
	l := &listener{idle: 100 * time.Millisecond}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	if err := l.bind("127.0.0.1:0", ok, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	defer l.shutdown(context.Background())
	conn, err := net.Dial("tcp", l.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	// Idle now: the server must close it.
	_ = conn.SetReadDeadline(time.Now().Add(testkit.DefaultWait))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("read on the idle connection: %v, want EOF (closed by the server)", err)
	}
}

// TestPrepareBindsBeforeTheMove: prepare refuses a port in use and binds a
// free one, which the next bind then serves; the old address keeps serving
// until then.
func TestPrepareBindsBeforeTheMove(t *testing.T) {
	t.Parallel()
	l := &listener{}
	log := slog.New(slog.DiscardHandler)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	if err := l.bind("127.0.0.1:0", ok, log); err != nil {
		t.Fatal(err)
	}
	defer l.shutdown(context.Background())
	first := l.addr()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if err := l.prepare(busy.Addr().String()); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("prepare on a busy port: %v, want address in use", err)
	}
	if l.addr() != first {
		t.Errorf("the listener moved to %s after a refused prepare", l.addr())
	}
	free := testkit.FreePort(t)
	target := "127.0.0.1:" + strconv.Itoa(free)
	if err := l.prepare(target); err != nil {
		t.Fatal(err)
	}
	// Bound already: another process can no longer take the port.
	if ln, err := net.Listen("tcp", target); err == nil {
		ln.Close()
		t.Fatal("prepare did not bind the new port")
	}
	if err := l.bind(target, ok, log); err != nil {
		t.Fatal(err)
	}
	if l.addr() != target {
		t.Errorf("listening on %s, want %s", l.addr(), target)
	}
}
