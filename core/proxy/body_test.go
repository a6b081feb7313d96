package proxy_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/proxy"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

// rawExchange writes req on a new connection to the harness's proxy, then
// closes the connection's write side if halfClose, and returns what came
// back (nil if the connection ended without an answer).
func (h *harness) rawExchange(t *testing.T, req string, halfClose bool) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	if halfClose {
		_ = conn.(*net.TCPConn).CloseWrite()
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(strings.NewReader(string(b)))
	return resp
}

func head(path string, extra string) string {
	return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Api-Key: dummy\r\n" + extra + "\r\n"
}

// TestMalformedBodiesNeverGoUpstream: a body with bad chunked framing, or
// one that ends before its Content-Length, is answered 400 in Anthropic's
// format, and nothing reaches the upstream.
func TestMalformedBodiesNeverGoUpstream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		req       string
		halfClose bool
	}{
		{"bad chunk size", head("/v1/messages", "Transfer-Encoding: chunked\r\n") + "zz\r\nhello\r\n0\r\n\r\n", false},
		{"chunk longer than it says", head("/v1/messages", "Transfer-Encoding: chunked\r\n") + "2\r\nhello\r\n0\r\n\r\n", false},
		{"chunked, cut short", head("/v1/messages", "Transfer-Encoding: chunked\r\n") + "a\r\nhel", true},
		{"shorter than its Content-Length", head("/v1/messages", "Content-Length: 100\r\n") + `{"model":`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, "")
			h.apiKeyAccount("a")
			resp := h.rawExchange(t, tt.req, tt.halfClose)
			if resp == nil {
				t.Fatal("no answer: a malformed body must be told, not dropped")
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"invalid_request_error"`) {
				t.Errorf("%d %s, want 400 invalid_request_error", resp.StatusCode, body)
			}
			if n := len(h.fake.Requests()); n != 0 {
				t.Errorf("the upstream saw %d requests", n)
			}
			if rows := h.rows(); len(rows) != 1 || rows[0].Status != http.StatusBadRequest {
				t.Errorf("rows %+v, want one 400", rows)
			}
		})
	}
}

// TestStalledUploadTimesOut: a body that stops arriving ends the request
// with 408 after the idle timeout (shortened here), nothing upstream.
func TestStalledUploadTimesOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.apiKeyAccount("a")
	h.proxy.BodyIdleTimeout = 200 * time.Millisecond
	resp := h.rawExchange(t, head("/v1/messages", "Content-Length: 100\r\n")+`{"model":`, false)
	if resp == nil {
		t.Fatal("no answer to a stalled upload")
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), "stopped arriving") {
		t.Errorf("%d %s, want 408 saying the body stopped arriving", resp.StatusCode, body)
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Errorf("the upstream saw %d requests", n)
	}
}

// TestCutUploadsAtShutdown: when the proxy shuts down, a request still
// uploading ends at once, without an answer, and its row says 499; a
// request that was answered is not touched.
func TestCutUploadsAtShutdown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.apiKeyAccount("a")
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, head("/v1/messages", "Content-Length: 100\r\n")+`{"model":`)
	testkit.WaitFor(t, "the upload is being read", func() bool { return h.proxy.BodyBytesHeld() > 0 })
	h.proxy.CutUploads()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err == nil {
		t.Errorf("the cut upload got an answer: %s", resp.Status)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the upload was not cut: the connection is still open")
	}
	testkit.WaitFor(t, "a 499 row", func() bool {
		rows := h.rows()
		return len(rows) == 1 && rows[0].Status == 499
	})
	if held := h.proxy.BodyBytesHeld(); held != 0 {
		t.Errorf("%d body bytes still held", held)
	}
	// New uploads after the cut end the same way.
	if resp := h.rawExchange(t, head("/v1/messages", "Content-Length: 2\r\n")+"{}", false); resp != nil {
		t.Errorf("an upload after the cut got %s", resp.Status)
	}
}

// TestBodiesInFlightAreBounded: beyond the bodies' budget a request is
// refused with 503 overloaded_error and retry-after; the budget is given
// back when requests end. The budget is shrunk here to 3 bodies' worth.
func TestBodiesInFlightAreBounded(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.apiKeyAccount("a")
	const size = 100 << 10
	h.proxy.SetBodyBudget(3 * size)
	// Three uploads that stall after their headers hold the whole budget.
	var conns []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		io.WriteString(c, head("/v1/messages", fmt.Sprintf("Content-Length: %d\r\n", size)))
	}
	testkit.WaitFor(t, "three bodies held", func() bool { return h.proxy.BodyBytesHeld() == 3*size })
	body := `{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`
	resp, text := h.post(body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(text, "overloaded_error") {
		t.Errorf("%d (retry-after %q) %s, want 503 overloaded_error with retry-after", resp.StatusCode, resp.Header.Get("Retry-After"), text)
	}
	for _, c := range conns {
		c.Close()
	}
	testkit.WaitFor(t, "the budget given back", func() bool { return h.proxy.BodyBytesHeld() == 0 })
	if resp, _ := h.post(body); resp.StatusCode != http.StatusOK {
		t.Errorf("after the uploads ended: %d", resp.StatusCode)
	}
}

// TestChunkedBodyLimits: a chunked body up to MaxBodyBytes goes through
// whole; one byte more is 413.
func TestChunkedBodyLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.apiKeyAccount("a")
	var wg sync.WaitGroup
	for _, tt := range []struct {
		extra int
		want  int
	}{{-1 << 20, http.StatusOK}, {1, http.StatusRequestEntityTooLarge}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A valid JSON body padded with spaces to the size, sent chunked.
			doc := `{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`
			pad := proxy.MaxBodyBytes + tt.extra - len(doc)
			r, w := io.Pipe()
			go func() {
				w.Write([]byte(doc))
				w.Write([]byte(strings.Repeat(" ", pad)))
				w.Close()
			}()
			req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/v1/messages", r)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("chunked body of MaxBodyBytes%+d: %d, want %d", tt.extra, resp.StatusCode, tt.want)
			}
		}()
	}
	wg.Wait()
}
