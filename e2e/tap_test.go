package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
)

// tap is a transparent TCP relay in front of the proxy that keeps a copy of
// every byte, so a test can see exactly what a client sent and received
// without changing a thing on the wire (unlike a reverse proxy).
type tap struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	conns []*tapConn
	wg    sync.WaitGroup
}

type tapConn struct {
	mu       sync.Mutex
	up, down bytes.Buffer // client → server, server → client
	client   net.Conn
	server   net.Conn
}

// exchange is one HTTP request and its response as they crossed the tap.
type exchange struct {
	Req      *http.Request
	ReqBody  []byte
	Resp     *http.Response // nil if none was read
	RespBody []byte
}

func (e exchange) String() string {
	status := "no answer"
	if e.Resp != nil {
		status = e.Resp.Status
	}
	return fmt.Sprintf("%s %s → %s", e.Req.Method, e.Req.URL.RequestURI(), status)
}

// newTap relays 127.0.0.1:<free port> to target ("127.0.0.1:PORT") until cleanup.
func newTap(t *testing.T, target string) *tap {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tp := &tap{ln: ln, target: target}
	tp.wg.Add(1)
	go tp.accept()
	t.Cleanup(tp.close)
	return tp
}

// URL is the tap's base URL.
func (tp *tap) URL() string { return "http://" + tp.ln.Addr().String() }

func (tp *tap) accept() {
	defer tp.wg.Done()
	for {
		c, err := tp.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", tp.target)
		if err != nil {
			c.Close()
			continue
		}
		tc := &tapConn{client: c, server: s}
		tp.mu.Lock()
		tp.conns = append(tp.conns, tc)
		tp.mu.Unlock()
		tp.wg.Add(2)
		go tp.pipe(tc, s, c, &tc.up)
		go tp.pipe(tc, c, s, &tc.down)
	}
}

// pipe copies src to dst, keeping a copy in rec; it half-closes dst at EOF.
func (tp *tap) pipe(tc *tapConn, dst, src net.Conn, rec *bytes.Buffer) {
	defer tp.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			tc.mu.Lock()
			rec.Write(buf[:n])
			tc.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	} else {
		dst.Close()
	}
}

func (tp *tap) close() {
	tp.ln.Close()
	tp.mu.Lock()
	for _, c := range tp.conns {
		c.client.Close()
		c.server.Close()
	}
	tp.mu.Unlock()
	tp.wg.Wait()
}

// Exchanges parses what has crossed the tap so far into requests and
// responses, connection by connection in the order connections were opened.
func (tp *tap) Exchanges() []exchange {
	tp.mu.Lock()
	conns := append([]*tapConn(nil), tp.conns...)
	tp.mu.Unlock()
	var out []exchange
	for _, c := range conns {
		c.mu.Lock()
		up := bytes.Clone(c.up.Bytes())
		down := bytes.Clone(c.down.Bytes())
		c.mu.Unlock()
		reqs := bufio.NewReader(bytes.NewReader(up))
		resps := bufio.NewReader(bytes.NewReader(down))
		for {
			req, err := http.ReadRequest(reqs)
			if err != nil {
				break
			}
			ex := exchange{Req: req}
			ex.ReqBody, _ = io.ReadAll(req.Body)
			if resp, err := http.ReadResponse(resps, req); err == nil {
				ex.Resp = resp
				ex.RespBody, err = io.ReadAll(resp.Body)
				if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
					ex.RespBody = append(ex.RespBody, []byte(" [read error: "+err.Error()+"]")...)
				}
			}
			out = append(out, ex)
		}
	}
	return out
}
