package loadtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
)

// These tests send a handful of requests to check the plumbing; they never
// look at how fast anything was.

func TestRunJSONAndStreamAgainstTheFake(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{StreamChunks: 4, MaxRecorded: 4})
	t.Cleanup(fake.Close)
	fake.AddAPIKey("sk-ant-api03-test")
	c := NewClient(4, 10*time.Second)
	t.Cleanup(c.CloseIdleConnections)
	target := Target{Name: "direct", URL: fake.URL, Key: "sk-ant-api03-test", Client: c}

	r := RunJSON(t.Context(), target, Load{Concurrency: 3, Requests: 10}, MessagesBody(512, false))
	if r.Requests != 10 || r.Errors != 0 || len(r.Latencies) != 10 {
		t.Errorf("JSON: %d requests, %d errors (%s), %d latencies; want 10, 0, 10", r.Requests, r.Errors, r.FirstError, len(r.Latencies))
	}
	if got := len(fake.Requests()); got != 4 {
		t.Errorf("the fake kept %d requests, want MaxRecorded 4", got)
	}

	s := RunStream(t.Context(), target, Load{Concurrency: 2, Requests: 3}, MessagesBody(512, true))
	// message_start, ping, block start, 4 deltas, block stop, message_delta, message_stop.
	if s.Streams != 3 || s.Errors != 0 || s.Events != 3*10 || len(s.TTFE) != 3 || len(s.Lags) != 3*4 {
		t.Errorf("streams: %+v (first error %q); want 3 streams of 10 events with 4 lags each", s, s.FirstError)
	}

	bad := target
	bad.Key = "wrong"
	if r := RunJSON(t.Context(), bad, Load{Concurrency: 1, Requests: 2}, MessagesBody(128, false)); r.Errors != 2 || !strings.Contains(r.FirstError, "401") {
		t.Errorf("with a wrong key: %d errors, first %q; want 2 errors, status 401", r.Errors, r.FirstError)
	}
	if s := RunStream(t.Context(), bad, Load{Concurrency: 1, Requests: 1}, MessagesBody(128, true)); s.Errors != 1 {
		t.Errorf("stream with a wrong key: %d errors, want 1", s.Errors)
	}
}

func TestRunStopsAtTheDeadlineOrCancel(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	t.Cleanup(fake.Close)
	fake.AddAPIKey("k")
	target := Target{URL: fake.URL, Key: "k", Client: NewClient(2, 10*time.Second)}
	r := RunJSON(t.Context(), target, Load{Concurrency: 2, Duration: 50 * time.Millisecond}, MessagesBody(128, false))
	if r.Requests == 0 || r.Errors != 0 {
		t.Errorf("duration run: %d requests, %d errors (%s)", r.Requests, r.Errors, r.FirstError)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if r := RunJSON(ctx, target, Load{Concurrency: 2, Requests: 1000}, MessagesBody(128, false)); r.Requests != 0 {
		t.Errorf("cancelled run sent %d requests", r.Requests)
	}
}

func TestInProcessProxy(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{StreamChunks: 2, MaxRecorded: 8})
	t.Cleanup(fake.Close)
	accts := []Account{{Name: "a", Key: "sk-ant-api03-a"}, {Name: "b", Key: "sk-ant-api03-b", Priority: 1}}
	for _, a := range accts {
		fake.AddAPIKey(a.Key)
	}
	p, err := StartInProcess(t.Context(), fake.URL, accts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	if p.PID() != 0 || !strings.HasPrefix(p.URL(), "http://127.0.0.1:") {
		t.Errorf("PID %d, URL %q", p.PID(), p.URL())
	}
	target := Target{Name: "proxied", URL: p.URL(), Key: "client-dummy", Client: NewClient(2, 10*time.Second)}
	if r := RunJSON(t.Context(), target, Load{Concurrency: 2, Requests: 6}, MessagesBody(256, false)); r.Requests != 6 {
		t.Errorf("through the proxy: %d requests, %d errors (%s)", r.Requests, r.Errors, r.FirstError)
	}
	if s := RunStream(t.Context(), target, Load{Concurrency: 1, Requests: 2}, MessagesBody(256, true)); s.Streams != 2 || len(s.Lags) != 4 {
		t.Errorf("streams through the proxy: %+v (%s)", s, s.FirstError)
	}
	for _, seen := range fake.Requests() {
		if seen.Credential != "sk-ant-api03-a" {
			t.Errorf("upstream saw credential %q, want the first account's key", seen.Credential)
		}
	}
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	lat := func(d ...float64) []time.Duration {
		out := make([]time.Duration, len(d))
		for i, v := range d {
			out[i] = ms(v)
		}
		return out
	}
	r := Report{
		Title:    "Overhead",
		Settings: []string{"proxy: in-process"},
		JSON: []JSONCase{
			{Concurrency: 1,
				Direct:  JSONResult{Requests: 1000, Elapsed: time.Second, Latencies: lat(0.1, 0.2), CPU: 100 * time.Millisecond},
				Proxied: JSONResult{Requests: 500, Elapsed: time.Second, Latencies: lat(0.5, 0.6), CPU: 100 * time.Millisecond}},
			{Concurrency: 32,
				Direct:  JSONResult{Requests: 1000, Elapsed: time.Second, Latencies: lat(1, 2)},
				Proxied: JSONResult{Requests: 600, Elapsed: time.Second, Latencies: lat(2, 3)},
				Floor:   &JSONResult{Requests: 700, Elapsed: time.Second, Latencies: lat(1.5, 2.5)}},
		},
		Stream: &StreamCase{Concurrency: 8, Deltas: 20, EventDelay: 10 * time.Millisecond,
			Direct:  StreamResult{Streams: 2, TTFE: lat(1), Lags: lat(0.1, 0.2)},
			Proxied: StreamResult{Streams: 2, TTFE: lat(2), Lags: lat(0.2, 0.4)}},
		Processes: []ProcessRow{{Name: "serve", IsProxy: true,
			After: Sample{Status: ProcStatus{VmRSS: 20 << 20, VmHWM: 30 << 20, Threads: 9}, Goroutines: -1, FDs: 40}}},
	}
	var b strings.Builder
	r.Markdown(&b)
	out := b.String()
	for _, want := range []string{
		"## Overhead",
		"- proxy: in-process",
		"| 1 | proxied | 500 | 0 | 500 | 50 % | 0.500 ms | 0.600 ms | +0.400 ms | +0.400 ms | 200 µs | +100 µs |",
		"| 32 | proxied | 600 | 0 | 600 | 60 % | 2.00 ms | 3.00 ms | +1.00 ms | +1.00 ms | n/a | n/a |",
		"| proxied | 2 | 0 | 2.00 ms | 2.00 ms | 0.200 ms | 0.400 ms | +0.100 ms | +0.200 ms | n/a |",
		"| serve | 30.0 MiB |",
		"| added p50 ≤ 0.3 ms at concurrency 1 | +0.400 ms |  | **no** |",
		"| 32 | floor | 700 | 0 | 700 | 70 % | 1.50 ms | 2.50 ms | +0.500 ms | +0.500 ms | n/a | n/a |",
		"| ≥ 40 % of direct req/s at concurrency 32 | 60 % | 70 % | yes |",
		"| added p50 ≤ 2 ms at concurrency 32 | +1.00 ms | +0.500 ms | yes |",
		"| stream lag p99 within 2 ms of direct | +0.200 ms |  | yes |",
		"| serve peak RSS < 60 MiB | 30.0 MiB |  | yes |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestFloorProxySwapsTheKey(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{StreamChunks: 2})
	t.Cleanup(fake.Close)
	fake.AddAPIKey("sk-ant-api03-floor")
	f, err := StartFloorInProcess(fake.URL, "sk-ant-api03-floor")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close(context.Background()) })
	target := Target{URL: f.URL(), Key: "client-dummy", Client: NewClient(1, 10*time.Second)}
	if r := RunJSON(t.Context(), target, Load{Concurrency: 1, Requests: 2}, MessagesBody(128, false)); r.Requests != 2 {
		t.Errorf("through the floor: %+v (%s)", r, r.FirstError)
	}
	if s := RunStream(t.Context(), target, Load{Concurrency: 1, Requests: 1}, MessagesBody(128, true)); s.Streams != 1 || len(s.Lags) != 2 {
		t.Errorf("stream through the floor: %+v (%s)", s, s.FirstError)
	}
	if seen := fake.Requests(); len(seen) != 3 || seen[0].Credential != "sk-ant-api03-floor" {
		t.Errorf("upstream saw %d requests, first credential %q", len(seen), seen[0].Credential)
	}
}

func TestMaybeServeFloor(t *testing.T) {
	t.Parallel()
	if floor, err := MaybeServeFloor(t.Context(), []string{"-duration", "5s"}); floor || err != nil {
		t.Errorf("ordinary arguments: %v, %v; want false, nil", floor, err)
	}
	if floor, err := MaybeServeFloor(t.Context(), []string{FloorServeArg, "10.0.0.1:80", "http://127.0.0.1:1", "k"}); !floor || err == nil {
		t.Errorf("a remote address: %v, %v; want true and an error", floor, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if floor, err := MaybeServeFloor(ctx, []string{FloorServeArg, "127.0.0.1:0", "http://127.0.0.1:1", "k"}); !floor || err != nil {
		t.Errorf("serving until cancelled: %v, %v; want true, nil", floor, err)
	}
}
