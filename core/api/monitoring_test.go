package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"github.com/claudeflare/claudeflare/core/view"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

const sonnetBody = `{"model":"claude-sonnet-4-5-20250929","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`

// twoAccounts adds accounts a and b; a answers its next request with a 429.
func twoAccounts(h *apiHarness) {
	h.t.Helper()
	h.fake.AddAPIKey("sk-ant-api03-a")
	h.fake.AddAPIKey("sk-ant-api03-b")
	for _, n := range []string{"a", "b"} {
		if r := h.do("POST", "/api/accounts", fmt.Sprintf(`{"name":%q,"api_key":"sk-ant-api03-%s"}`, n, n)); r.status != 201 {
			h.t.Fatalf("adding %s: %d %s", n, r.status, r.body)
		}
	}
	h.fake.SetBehavior("sk-ant-api03-a", fakeanthropic.Behavior{Status: 429, RetryAfter: "60", Times: 1})
}

func TestStatsAndMetricsThroughAFailover(t *testing.T) {
	t.Parallel()
	h := newAPI(t, nil)
	twoAccounts(h)
	for i := range 3 {
		if r := h.do("POST", "/v1/messages", sonnetBody); r.status != 200 || r.header.Get("X-Claudeflare-Account") != "b" {
			t.Fatalf("request %d: %d from %q", i, r.status, r.header.Get("X-Claudeflare-Account"))
		}
	}
	if err := h.core.Writer().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}

	r := h.do("GET", "/api/stats?window=1h", "")
	var st view.Stats
	if err := json.Unmarshal([]byte(r.body), &st); err != nil || r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	in := int64(fakeanthropic.InputTokens([]byte(sonnetBody)))
	wantTotal := view.Totals{Requests: 3, InputTokens: 3 * in, OutputTokens: 3 * fakeanthropic.OutputTokens,
		CacheReadTokens: 3 * fakeanthropic.CacheReadInputTokens, CacheCreationTokens: 3 * fakeanthropic.CacheCreationInputTokens}
	wantTotal.CostUSDEstimate = math.Round((float64(wantTotal.InputTokens)*3 + float64(wantTotal.OutputTokens)*15 +
		float64(wantTotal.CacheCreationTokens)*3.75 + float64(wantTotal.CacheReadTokens)*0.30)) / 1e6
	if st.Total != wantTotal {
		t.Errorf("total %+v, want %+v", st.Total, wantTotal)
	}
	if len(st.Accounts) != 2 {
		t.Fatalf("accounts %+v", st.Accounts)
	}
	a, b := st.Accounts[0], st.Accounts[1]
	if a.Account != "a" || a.Requests != 0 || a.RateLimitEvents != 1 || a.FailoversFrom != 1 || a.Sessions.Count != 0 {
		t.Errorf("a: %+v", a)
	}
	if b.Account != "b" || b.Requests != 3 || b.Share != 1 || b.Failovers != (view.Failovers{Count: 1, Requests: 1, Rate: 1.0 / 3}) ||
		b.Sessions.Count != 1 || b.Sessions.Open != 1 || b.Latency.Samples != 3 || b.Latency.TTFBMs.P99 <= 0 {
		t.Errorf("b: %+v", b)
	}
	if st.Failovers != (view.Failovers{Count: 1, Requests: 1, Rate: 1.0 / 3}) || st.RateLimitEvents != 1 ||
		st.Sessions.Count != 1 || st.Latency.Samples != 3 || len(st.UnpricedModels) != 0 || st.CostNote == "" {
		t.Errorf("stats %+v", st)
	}
	var seriesTotal int64
	for _, n := range st.Series.Total.Requests {
		seriesTotal += n
	}
	if st.Series.Bucket != "5m" || len(st.Series.Starts) < 12 || seriesTotal != 3 || len(st.Series.Accounts) != 2 {
		t.Errorf("series %+v", st.Series)
	}
	if !strings.Contains(r.body, `"cost_usd_estimate"`) {
		t.Error("the cost must be labelled an estimate")
	}

	// The same story in Prometheus form.
	req, _ := http.NewRequest("GET", h.srv.URL+"/metrics", nil)
	resp, err := http.DefaultClient.Do(authorize(req))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d, %v", resp.StatusCode, err)
	}
	sample := func(name string, labels map[string]string) *dto.Metric {
		t.Helper()
		for _, m := range fams[name].GetMetric() {
			ok := len(m.GetLabel()) == len(labels)
			for _, l := range m.GetLabel() {
				ok = ok && labels[l.GetName()] == l.GetValue()
			}
			if ok {
				return m
			}
		}
		t.Fatalf("no %s%v", name, labels)
		return nil
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"claudeflare_requests_total", map[string]string{"account": "b", "code": "200"}, 3},
		{"claudeflare_tokens_total", map[string]string{"account": "b", "type": "output"}, 3 * fakeanthropic.OutputTokens},
		{"claudeflare_tokens_total", map[string]string{"account": "b", "type": "input"}, float64(3 * in)},
		{"claudeflare_failovers_total", map[string]string{"account": "a"}, 1},
		{"claudeflare_rate_limit_events_total", map[string]string{"account": "a"}, 1},
		{"claudeflare_sessions_started_total", map[string]string{"account": "b", "reason": "failover"}, 1},
	}
	for _, c := range checks {
		if got := sample(c.name, c.labels).GetCounter().GetValue(); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, name := range []string{"claudeflare_upstream_ttfb_seconds", "claudeflare_upstream_duration_seconds"} {
		if n := sample(name, map[string]string{"account": "b"}).GetHistogram().GetSampleCount(); n != 3 {
			t.Errorf("%s count %d, want 3", name, n)
		}
	}
	if fams["claudeflare_writer_queue_depth"] == nil || fams["claudeflare_writer_dropped_records_total"] == nil {
		t.Error("the writer's gauges are missing")
	}
}

// sseEvent is one event read from /api/events.
type sseEvent struct {
	Type string
	Data map[string]any
	Size int
}

// readEvents reads the stream into ch until it ends.
func readEvents(body io.Reader, ch chan<- sseEvent) {
	defer close(ch)
	sc := bufio.NewScanner(body)
	var e sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			e.Type = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			raw := strings.TrimPrefix(line, "data: ")
			e.Size = len(raw)
			var env struct {
				Type string         `json:"type"`
				At   time.Time      `json:"at"`
				Data map[string]any `json:"data"`
			}
			if json.Unmarshal([]byte(raw), &env) == nil && env.Type == e.Type && !env.At.IsZero() {
				e.Data = env.Data
			}
		case line == "" && e.Type != "":
			ch <- e
			e = sseEvent{}
		}
	}
}

func TestEventStreamCarriesEveryKind(t *testing.T) {
	t.Parallel()
	// Started, as serve and the tray run it: config changes are announced.
	h := newAPI(t, map[string]string{"PORT": fmt.Sprint(testkit.FreePort(t))})
	if err := h.core.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", h.srv.URL+"/api/events", nil)
	resp, err := http.DefaultClient.Do(authorize(req))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if line, _ := br.ReadString('\n'); line != ": connected\n" {
		t.Fatalf("first line %q", line)
	}
	ch := make(chan sseEvent, 64)
	go readEvents(br, ch)

	twoAccounts(h)                                        // account_changed ×2
	h.do("POST", "/v1/messages", sonnetBody)              // rate_limited, failover, session_started, request
	h.do("PATCH", "/api/config", `{"retention_days": 7}`) // config_changed
	want := map[string]func(d map[string]any) bool{
		"account_changed": func(d map[string]any) bool { return d["account"] == "a" || d["account"] == "b" },
		"rate_limited": func(d map[string]any) bool {
			return d["account"] == "a" && d["state"] == "rate_limited" && d["until"] != nil
		},
		"failover": func(d map[string]any) bool {
			return d["from"] == "a" && d["to"] == "b" && d["reason"] == "rate limited (429)"
		},
		"session_started": func(d map[string]any) bool { return d["account"] == "b" && d["reason"] == "failover" },
		"request": func(d map[string]any) bool {
			return d["account"] == "b" && d["status"] == 200.0 && d["failovers"] == 1.0 && d["model"] == "claude-sonnet-4-5-20250929"
		},
		"config_changed": func(d map[string]any) bool { return d["retention_days"] == 7.0 },
	}
	seen := map[string]bool{}
	for len(seen) < len(want) {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended; seen %v", seen)
			}
			check, known := want[e.Type]
			if !known {
				t.Errorf("unexpected event %q", e.Type)
				continue
			}
			if e.Data == nil || e.Size > 1024 || !check(e.Data) {
				t.Errorf("%s event: %v (%d bytes)", e.Type, e.Data, e.Size)
			}
			seen[e.Type] = true
		case <-ctx.Done():
			t.Fatalf("timed out; seen %v", seen)
		}
	}
}

// TestStuckEventSubscriberDoesNotStallRequests: a client that opens
// /api/events and never reads fills its socket, then its subscription; the
// proxy drops its events and keeps serving at full speed.
func TestStuckEventSubscriberDoesNotStallRequests(t *testing.T) {
	t.Parallel()
	h := newAPI(t, nil)
	h.fake.AddAPIKey("sk-ant-api03-a")
	h.do("POST", "/api/accounts", `{"name":"a","api_key":"sk-ant-api03-a"}`)

	conn, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(1024)
	fmt.Fprintf(conn, "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n", testToken)
	// Read up to ": connected" (the subscription exists from then on), then never again.
	br := bufio.NewReaderSize(conn, 16)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, ": connected") {
			break
		}
	}

	// Publish an event far larger than any socket buffer: the stream's
	// handler takes it and blocks writing it to a client that never reads;
	// the next events fill its subscription, then are lost.
	bus := h.core.Events()
	filler := strings.Repeat("x", 16<<20)
	for i := 0; bus.Dropped() == 0; i++ {
		if i == 10_000 {
			t.Fatal("could not fill the stuck subscriber")
		}
		bus.Publish(&events.ConfigChanged{Error: filler})
	}
	before := bus.Dropped()

	const n, workers = 500, 4
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	client := &http.Client{Timeout: 10 * time.Second}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n / workers {
				resp, err := client.Post(h.srv.URL+"/v1/messages", "application/json", strings.NewReader(sonnetBody))
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if err != nil || resp.StatusCode != 200 {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if failed > 0 {
		t.Fatalf("%d of %d requests failed", failed, n)
	}
	if elapsed > 30*time.Second {
		t.Errorf("%d requests took %v with a stuck subscriber", n, elapsed)
	}
	// Each request's "request" event (at least) was dropped for it.
	if d := bus.Dropped() - before; d < n {
		t.Errorf("%d events dropped during %d requests: the subscriber was not stuck", d, n)
	}
	t.Logf("%d requests in %v (%.0f/s) with a stuck /api/events client; %d events dropped for it",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), bus.Dropped()-before)

	if err := h.core.Writer().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := h.core.DB().Stats(context.Background(), time.Now().Add(-time.Hour), time.Now().Add(time.Minute))
	if err != nil || st.Total.Requests != n {
		t.Errorf("stats count %d requests (%v), want %d", st.Total.Requests, err, n)
	}
}
