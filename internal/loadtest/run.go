package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Target is one way to reach the Messages API: straight to the upstream, or
// through the proxy.
type Target struct {
	Name   string       // "direct" or "proxied"
	URL    string       // base URL, "http://127.0.0.1:8080", no trailing slash
	Key    string       // the x-api-key to send
	Client *http.Client // from NewClient
}

// NewClient returns a client tuned for concurrency requests in flight to one
// host: enough idle connections that none is closed and redialled between
// requests, no transparent compression, and a timeout bounding every request.
func NewClient(concurrency int, timeout time.Duration) *http.Client {
	idle := max(concurrency*2, 64)
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        idle,
			MaxIdleConnsPerHost: idle,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			ReadBufferSize:      32 << 10,
			WriteBufferSize:     32 << 10,
		},
	}
}

// ClaudeCodeHeader is the header set Claude Code sends with a Messages
// request, less its credential.
var ClaudeCodeHeader = http.Header{
	"Accept":                  {"application/json"},
	"Anthropic-Beta":          {"claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14"},
	"Anthropic-Version":       {"2023-06-01"},
	"Content-Type":            {"application/json"},
	"User-Agent":              {"claude-cli/2.0.14 (external, cli)"},
	"X-App":                   {"cli"},
	"X-Stainless-Arch":        {"x64"},
	"X-Stainless-Lang":        {"js"},
	"X-Stainless-Os":          {"Linux"},
	"X-Stainless-Retry-Count": {"0"},
	"X-Stainless-Runtime":     {"node"},
	"X-Stainless-Timeout":     {"600"},
}

// MessagesBody returns a /v1/messages request body of about size bytes,
// streaming or not.
func MessagesBody(size int, stream bool) []byte {
	head := `{"model":"claude-sonnet-4-5","max_tokens":64,`
	if stream {
		head += `"stream":true,`
	}
	head += `"messages":[{"role":"user","content":"`
	const tail = `"}]}`
	fill := max(size-len(head)-len(tail), 2)
	return []byte(head + string(bytes.Repeat([]byte("x"), fill)) + tail)
}

// Load says how much traffic one run sends: Concurrency requests in flight
// until Requests have been sent or, when Requests is 0, until Duration has
// passed (requests in flight then finish).
type Load struct {
	Concurrency int
	Requests    int
	Duration    time.Duration
}

// split divides l into n rounds of (nearly) equal size.
func (l Load) split(n int) []Load {
	n = max(n, 1)
	out := make([]Load, n)
	for i := range out {
		out[i] = Load{Concurrency: l.Concurrency, Duration: l.Duration / time.Duration(n)}
		if l.Requests > 0 {
			out[i].Requests = l.Requests / n
			if i < l.Requests%n {
				out[i].Requests++
			}
		}
	}
	return out
}

// drive runs worker on l.Concurrency goroutines; each call of take reports
// whether the worker may start one more request.
func drive(ctx context.Context, l Load, worker func(take func() bool)) time.Duration {
	var sent atomic.Int64
	start := time.Now()
	deadline := start.Add(l.Duration)
	take := func() bool {
		if ctx.Err() != nil {
			return false
		}
		if l.Requests > 0 {
			return sent.Add(1) <= int64(l.Requests)
		}
		return time.Now().Before(deadline)
	}
	var wg sync.WaitGroup
	for range max(l.Concurrency, 1) {
		wg.Go(func() { worker(take) })
	}
	wg.Wait()
	return time.Since(start)
}

// errs counts failures and keeps the first one.
type errs struct {
	Errors     int
	FirstError string
}

func (e *errs) add(err error) {
	if err == nil {
		return
	}
	if e.Errors == 0 {
		e.FirstError = err.Error()
	}
	e.Errors++
}

func (e *errs) merge(o errs) {
	if e.Errors == 0 {
		e.FirstError = o.FirstError
	}
	e.Errors += o.Errors
}

// JSONResult is what a run of non-streaming requests measured.
type JSONResult struct {
	Requests int // answered 200 and read to the end
	errs
	Elapsed   time.Duration
	Latencies []time.Duration // send to last byte read, of each successful request
	// CPU is the CPU time the measured processes used during the run, when
	// the caller measures it (see CPUTime).
	CPU time.Duration
}

// Merge adds o's figures to r (rounds of one comparison).
func (r *JSONResult) Merge(o JSONResult) {
	r.Requests += o.Requests
	r.errs.merge(o.errs)
	r.Elapsed += o.Elapsed
	r.Latencies = append(r.Latencies, o.Latencies...)
	r.CPU += o.CPU
}

// Throughput is successful requests per second.
func (r JSONResult) Throughput() float64 { return Rate(r.Requests, r.Elapsed) }

// CPUPerRequest is CPU divided by the requests sent, or 0 if unmeasured.
func (r JSONResult) CPUPerRequest() time.Duration { return perUnit(r.CPU, r.Requests+r.Errors) }

// CPUPerStream is CPU divided by the streams sent, or 0 if unmeasured.
func (r StreamResult) CPUPerStream() time.Duration { return perUnit(r.CPU, r.Streams+r.Errors) }

func perUnit(d time.Duration, n int) time.Duration {
	if n <= 0 {
		return 0
	}
	return d / time.Duration(n)
}

// RunJSON sends non-streaming POST /v1/messages requests with body to t.
func RunJSON(ctx context.Context, t Target, l Load, body []byte) JSONResult {
	var mu sync.Mutex
	var res JSONResult
	res.Elapsed = drive(ctx, l, func(take func() bool) {
		var mine JSONResult
		for take() {
			t0 := time.Now()
			err := postJSON(ctx, t, body)
			d := time.Since(t0)
			if err != nil {
				mine.add(err)
				continue
			}
			mine.Requests++
			mine.Latencies = append(mine.Latencies, d)
		}
		mu.Lock()
		res.Merge(mine)
		mu.Unlock()
	})
	return res
}

func newRequest(ctx context.Context, t Target, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL+"/v1/messages?beta=true", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = ClaudeCodeHeader.Clone()
	req.Header.Set("X-Api-Key", t.Key)
	return req, nil
}

func postJSON(ctx context.Context, t Target, body []byte) error {
	req, err := newRequest(ctx, t, body)
	if err != nil {
		return err
	}
	resp, err := t.Client.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// StreamResult is what a run of streaming requests measured.
type StreamResult struct {
	Streams int // complete streams (message_stop seen)
	errs
	Events  int // events received in complete streams
	Elapsed time.Duration
	// TTFE is the time from sending a request to having its first whole
	// event (message_start).
	TTFE []time.Duration
	// Lags are, for each content_block_delta, the time it was received
	// minus its fake_sent_unix_nano: how late the event arrived.
	Lags []time.Duration
	CPU  time.Duration // as JSONResult.CPU
}

// Merge adds o's figures to r.
func (r *StreamResult) Merge(o StreamResult) {
	r.Streams += o.Streams
	r.errs.merge(o.errs)
	r.Events += o.Events
	r.Elapsed += o.Elapsed
	r.TTFE = append(r.TTFE, o.TTFE...)
	r.Lags = append(r.Lags, o.Lags...)
	r.CPU += o.CPU
}

// RunStream sends streaming requests with body to t and reads each event
// the moment it arrives.
func RunStream(ctx context.Context, t Target, l Load, body []byte) StreamResult {
	var mu sync.Mutex
	var res StreamResult
	res.Elapsed = drive(ctx, l, func(take func() bool) {
		var mine StreamResult
		br := bufio.NewReaderSize(nil, 64<<10)
		for take() {
			ttfe, lags, events, err := readStream(ctx, t, body, br)
			if err != nil {
				mine.add(err)
				continue
			}
			mine.Streams++
			mine.Events += events
			mine.TTFE = append(mine.TTFE, ttfe)
			mine.Lags = append(mine.Lags, lags...)
		}
		mu.Lock()
		res.Merge(mine)
		mu.Unlock()
	})
	return res
}

var (
	sentKey     = []byte(`"fake_sent_unix_nano":`)
	stopEvent   = []byte("event: message_stop")
	dataPrefix  = []byte("data:")
	eventPrefix = []byte("event:")
)

// readStream sends one streaming request and reads it line by line.
func readStream(ctx context.Context, t Target, body []byte, br *bufio.Reader) (ttfe time.Duration, lags []time.Duration, events int, err error) {
	req, err := newRequest(ctx, t, body)
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("Accept", "text/event-stream")
	t0 := time.Now()
	resp, err := t.Client.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return 0, nil, 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	br.Reset(resp.Body)
	defer br.Reset(nil)
	stopped := false
	for {
		line, rerr := br.ReadSlice('\n')
		now := time.Now()
		switch {
		case len(bytes.TrimSpace(line)) == 0 && len(line) > 0:
			events++
			if events == 1 {
				ttfe = now.Sub(t0)
			}
		case bytes.HasPrefix(line, dataPrefix):
			if sent, ok := SentUnixNano(line); ok {
				lags = append(lags, time.Duration(now.UnixNano()-sent))
			}
		case bytes.HasPrefix(line, eventPrefix):
			if bytes.HasPrefix(line, stopEvent) {
				stopped = true
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return 0, nil, 0, fmt.Errorf("reading the stream: %w", rerr)
		}
	}
	if !stopped {
		return 0, nil, 0, fmt.Errorf("stream ended after %d events without message_stop", events)
	}
	return ttfe, lags, events, nil
}

// SentUnixNano finds "fake_sent_unix_nano": N in an SSE data line, without
// decoding the JSON around it.
func SentUnixNano(line []byte) (int64, bool) {
	i := bytes.Index(line, sentKey)
	if i < 0 {
		return 0, false
	}
	rest := bytes.TrimLeft(line[i+len(sentKey):], " ")
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	n, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// Interleave runs l against each target in rounds, rotating which goes
// first (a b c, b c a, c a b, …), so that drift during the run (a warming
// cache, a noisy neighbour) falls on all alike. It returns each target's
// merged results, in the order of targets.
func Interleave[R any](rounds int, l Load, targets []Target, run func(Target, Load) R, merge func(*R, R)) []R {
	out := make([]R, len(targets))
	for i, part := range l.split(rounds) {
		for j := range targets {
			k := (i + j) % len(targets)
			merge(&out[k], run(targets[k], part))
		}
	}
	return out
}
