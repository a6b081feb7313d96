package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
)

// sseEvent is one event of GET /api/events.
type sseEvent struct {
	Name string
	Data map[string]any
}

// openEvents opens GET /api/events; cancel ends it (and so does the test's end).
func (in *instance) openEvents(t *testing.T) (resp *http.Response, ctx context.Context, cancel context.CancelFunc) {
	t.Helper()
	ctx, cancel = context.WithCancel(t.Context())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", in.URL()+"/api/events", nil)
	resp, err := in.client.Do(req)
	if err != nil {
		t.Fatalf("GET /api/events: %v", err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body.Close()
		t.Fatalf("GET /api/events: %s (%s)", resp.Status, resp.Header.Get("Content-Type"))
	}
	return resp, ctx, cancel
}

// subscribe opens GET /api/events and returns its events as they arrive.
func (in *instance) subscribe(t *testing.T) <-chan sseEvent {
	t.Helper()
	resp, ctx, _ := in.openEvents(t)
	ch := make(chan sseEvent, 256)
	go func() {
		defer resp.Body.Close()
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event:"):
				ev.Name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				_ = json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(line, "data:"))), &ev.Data)
			case line == "" && ev.Name != "":
				select {
				case ch <- ev:
				case <-ctx.Done():
					return
				}
				ev = sseEvent{}
			}
		}
	}()
	return ch
}

// expectEvents waits until every wanted event name has arrived.
func expectEvents(t *testing.T, ch <-chan sseEvent, want ...string) map[string]sseEvent {
	t.Helper()
	got := map[string]sseEvent{}
	deadline := time.After(5 * time.Second)
	for {
		missing := []string{}
		for _, w := range want {
			if _, ok := got[w]; !ok {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			return got
		}
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("/api/events ended; still missing %v", missing)
			}
			if _, dup := got[ev.Name]; !dup {
				got[ev.Name] = ev
			}
		case <-deadline:
			t.Fatalf("/api/events: no %v within 5s (got %v)", missing, got)
		}
	}
}

// TestEventsStream: failovers, rate limits, sessions, requests and config
// changes are announced on GET /api/events, without secrets.
func TestEventsStream(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	events := in.subscribe(t)

	in.mustServeFrom(t, "a")
	got := expectEvents(t, events, "request", "session_started")
	if acct := got["session_started"].Data["data"]; acct == nil || fmt.Sprint(acct.(map[string]any)["account"]) != "a" {
		t.Errorf("session_started = %v, want account a", got["session_started"].Data)
	}

	in.Fake.SetBehavior(in.Keys["a"], fakeanthropic.Behavior{Status: http.StatusTooManyRequests, RetryAfter: "600"})
	in.mustServeFrom(t, "b")
	got = expectEvents(t, events, "failover", "rate_limited", "session_started", "request")
	fo, _ := got["failover"].Data["data"].(map[string]any)
	if fo["from"] != "a" || fo["to"] != "b" {
		t.Errorf("failover event = %v, want from a to b", got["failover"].Data)
	}
	rl, _ := got["rate_limited"].Data["data"].(map[string]any)
	if rl["account"] != "a" {
		t.Errorf("rate_limited event = %v, want account a", got["rate_limited"].Data)
	}

	in.sandbox.mustCLI(t, "", "config", "set", "session_duration_ms", "600000")
	expectEvents(t, events, "config_changed")

	for name, key := range in.Keys {
		for _, ev := range got {
			if b, _ := json.Marshal(ev.Data); strings.Contains(string(b), key) {
				t.Errorf("event %s carries %s's key", ev.Name, name)
			}
		}
	}
}

// TestMetrics: GET /metrics answers in the Prometheus text format (docs/DESIGN.md, "The listener").
func TestMetrics(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	in.mustServeFrom(t, "a")
	r := in.do(t, "GET", "/metrics", nil)
	if r.Status != 200 {
		t.Fatalf("GET /metrics: %d %.200s, want 200 with Prometheus text", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") && !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Errorf("GET /metrics: Content-Type %q, want the Prometheus text format", ct)
	}
	if !strings.Contains(string(r.Body), "# TYPE ") {
		t.Errorf("GET /metrics: no metric in %.500s", r.Body)
	}
	for name, key := range in.Keys {
		if strings.Contains(string(r.Body), key) {
			t.Errorf("GET /metrics shows %s's key", name)
		}
	}
}
