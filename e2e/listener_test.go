package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

// What the API says is what the listener does, and neither web pages nor
// slow clients get a hold on it (docs/DESIGN.md, "The listener").

// TestBusyPortChangesNothing: a PATCH to a port in use is 409 naming the
// error, and nothing changes: config.json, GET /api/config and the listener
// stay as they were. A hand edit asking for it is refused the same way.
func TestBusyPortChangesNothing(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	before := in.readConfig(t)
	r := in.do(t, "PATCH", "/api/config", map[string]any{"port": port})
	if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "address already in use") {
		t.Fatalf("PATCH to a busy port: %s, want 409 naming the error", r)
	}
	if after := in.readConfig(t); !bytes.Equal(after, before) {
		t.Errorf("config.json changed:\n%s\n→\n%s", before, after)
	}
	var cfg configJSON
	in.getJSON(t, "/api/config", &cfg)
	if cfg.Port == port {
		t.Errorf("GET /api/config names the busy port %d", port)
	}
	in.mustServeFrom(t, "a")

	events := in.subscribe(t)
	in.setConfigKeys(t, map[string]any{"port": port})
	got := expectEvents(t, events, "config_changed")
	if msg, _ := got["config_changed"].Data["data"].(map[string]any)["error"].(string); !strings.Contains(msg, "address already in use") {
		t.Errorf("a hand edit to a busy port: config_changed %v, want the error", got["config_changed"].Data)
	}
	in.getJSON(t, "/api/config", &cfg)
	if cfg.Port == port {
		t.Errorf("after the hand edit GET /api/config names the busy port")
	}
	in.mustServeFrom(t, "a")
}

// TestWebPagesCannotUseTheProxy: a page the user visits sends Origin on
// every cross-origin request: GETs, preflights and POSTs of the proxy are
// refused before anything goes upstream; TRACE and other methods are 405.
func TestWebPagesCannotUseTheProxy(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	in.Fake.ResetRequests()
	for _, tc := range []struct {
		method, path string
		headers      []string
		want         int
	}{
		{"GET", "/v1/models", []string{"Origin", "https://evil.example"}, 403},
		{"OPTIONS", "/v1/messages", []string{"Origin", "https://evil.example", "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "x-api-key,content-type"}, 403},
		{"POST", "/v1/messages", []string{"Origin", "http://127.0.0.1", "x-api-key", clientKey}, 403},
		{"TRACE", "/v1/messages", nil, 405},
		{"PUT", "/v1/messages", nil, 405},
	} {
		var body any
		if tc.method == "POST" {
			body = messagesBody(false)
		}
		r := in.do(t, tc.method, tc.path, body, tc.headers...)
		if r.Status != tc.want || apiErrorType(r.Body) == "" {
			t.Errorf("%s %s %v: %s, want %d in Anthropic's format", tc.method, tc.path, tc.headers, r, tc.want)
		}
		for k := range r.Header {
			if strings.HasPrefix(strings.ToLower(k), "access-control-") {
				t.Errorf("%s %s: the answer carries %s", tc.method, tc.path, k)
			}
		}
	}
	if n := len(in.Fake.Requests()); n != 0 {
		t.Errorf("%d requests reached the upstream", n)
	}
}

// TestShutdownCutsStalledUploads: on SIGTERM a request whose body stopped
// arriving is cut at once (its row is a 499), an answer in flight finishes,
// and serve exits 0 quickly with every row written.
func TestShutdownCutsStalledUploads(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	sb.addAccount(t, "a")
	in := sb.serve(t)
	sb.Fake.SetBehavior(sb.Keys["a"], fakeanthropic.Behavior{Delay: 1500 * time.Millisecond})

	conn, err := net.Dial("tcp", strings.TrimPrefix(in.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"model\":")

	slow := make(chan response, 1)
	go func() { slow <- in.message(t) }()
	testkit.Eventually(t, 5*time.Second, "the slow answer in flight", func() error {
		if sb.Fake.InFlight() == 0 {
			return fmt.Errorf("none yet")
		}
		return nil
	})
	start := time.Now()
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if r := <-slow; r.Status != http.StatusOK {
		t.Errorf("the answer in flight at shutdown: %s, want it to finish", r)
	}
	select {
	case <-in.done:
	case <-time.After(stopTimeout):
		t.Fatalf("serve still running %s after SIGTERM with a stalled upload", stopTimeout)
	}
	t.Logf("serve exited %s after SIGTERM (the answer in flight took 1.5 s)", time.Since(start).Round(10*time.Millisecond))
	if in.err != nil {
		t.Errorf("serve exited with %v, want 0", in.err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err == nil {
		t.Errorf("the stalled upload got an answer: %s", resp.Status)
	}
	in.stopOnce.Do(func() {}) // stopped already

	again := sb.serve(t)
	var rows []requestJSON
	again.getJSON(t, "/api/requests", &rows)
	statuses := map[int]int{}
	for _, r := range rows {
		statuses[r.Status]++
	}
	if statuses[499] != 1 || statuses[200] != 1 {
		t.Errorf("rows after the shutdown: %v, want the cut upload's 499 and the answer's 200", statuses)
	}
}

// TestBodiesInFlightStayBounded: 16 clients upload 30 MiB bodies at once
// (480 MiB) while the upstream takes its time. Past the 256 MiB the proxy
// holds for failover, requests get 503 overloaded_error with retry-after;
// serve's peak memory stays near the bound. Measured and printed; the bound
// checked is generous (the cap plus the rest of the process and the GC's
// slack), never a time.
func TestBodiesInFlightStayBounded(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	sb.addAccount(t, "a")
	in := sb.serve(t)
	sb.Fake.SetBehavior(sb.Keys["a"], fakeanthropic.Behavior{Delay: 2 * time.Second})
	doc := string(messagesBody(false))
	body := doc[:len(doc)-1] + `,"metadata":{"user_id":"` + strings.Repeat("x", 30<<20) + `"}}`

	const clients = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", in.URL()+"/v1/messages", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("x-api-key", clientKey)
			resp, err := in.client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
			if resp.StatusCode == http.StatusServiceUnavailable && (resp.Header.Get("Retry-After") == "" || apiErrorType(b) != "overloaded_error") {
				t.Errorf("503 without retry-after or overloaded_error: %s", b)
			}
		}()
	}
	wg.Wait()
	peak := peakRSS(t, in.cmd.Process.Pid)
	t.Logf("16 × 30 MiB bodies: statuses %v; serve's peak RSS %d MiB (bodies' cap 256 MiB)", statuses, peak>>20)
	if statuses[http.StatusOK]+statuses[http.StatusServiceUnavailable] != clients || statuses[http.StatusServiceUnavailable] == 0 {
		t.Errorf("statuses %v: want 200s up to the cap and 503s beyond it", statuses)
	}
	if peak > 640<<20 {
		t.Errorf("serve's peak RSS %d MiB: the bodies in flight are not bounded", peak>>20)
	}
}

// peakRSS is a process's peak resident memory (VmHWM), in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}
