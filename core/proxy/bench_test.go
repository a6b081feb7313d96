package proxy

// Benchmarks of the proxy's hot path. They measure and never assert:
//
//	go test -run XXX -bench . -benchmem ./core/proxy/
//
// Every goroutine is labelled with its side, "client", "proxy" (its server,
// transport and SQLite writer) or "upstream", so that a CPU profile can be
// split: go tool pprof -tagfocus side=proxy cpu.out.
//
// The upstream is a minimal httptest server answering a fixed body (or, for
// BenchmarkProxyServeHTTP, a RoundTripper that never touches the network), so
// the figures are the proxy's own cost; BenchmarkUpstreamJSON and
// BenchmarkUpstreamStream are the same traffic without the proxy, the
// baseline to subtract. The proxy is wired as in production: a pool with one
// API-key account whose key is in a credentials file, and the real SQLite
// writer as recorder.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/journal"
	"github.com/claudeflare/claudeflare/core/pool"
	"github.com/claudeflare/claudeflare/core/store"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

// benchClientHeader is what Claude Code sends with each request.
var benchClientHeader = http.Header{
	"Accept":          {"application/json"},
	"Accept-Encoding": {"gzip, deflate, br"},
	"Anthropic-Beta": {"claude-code-20250219,interleaved-thinking-2025-05-14," +
		"fine-grained-tool-streaming-2025-05-14"},
	"Anthropic-Dangerous-Direct-Browser-Access": {"true"},
	"Anthropic-Version":                         {"2023-06-01"},
	"Connection":                                {"keep-alive"},
	"Content-Type":                              {"application/json"},
	"User-Agent":                                {"claude-cli/2.0.14 (external, cli)"},
	"X-Api-Key":                                 {"client-dummy-key"},
	"X-App":                                     {"cli"},
	"X-Stainless-Arch":                          {"x64"},
	"X-Stainless-Lang":                          {"js"},
	"X-Stainless-Os":                            {"Linux"},
	"X-Stainless-Package-Version":               {"0.60.0"},
	"X-Stainless-Retry-Count":                   {"0"},
	"X-Stainless-Runtime":                       {"node"},
	"X-Stainless-Runtime-Version":               {"v22.17.0"},
	"X-Stainless-Timeout":                       {"600"},
}

// benchUpstreamHeader is what Anthropic answers with, less Content-Type and
// Content-Length.
var benchUpstreamHeader = http.Header{
	"Anthropic-Organization-Id":                  {"0b6c3a42-6a4c-4b5e-9d3f-4f1f4b2a9c11"},
	"Anthropic-Ratelimit-Unified-Status":         {"allowed"},
	"Anthropic-Ratelimit-Unified-5h-Status":      {"allowed"},
	"Anthropic-Ratelimit-Unified-5h-Reset":       {"1760000000"},
	"Anthropic-Ratelimit-Unified-5h-Utilization": {"0.42"},
	"Anthropic-Ratelimit-Unified-Reset":          {"1760000000"},
	"Cf-Ray":                                     {"98a1b2c3d4e5f607-FRA"},
	"Request-Id":                                 {"req_011CTz9X2yQ4b5c6d7e8f9g0"},
	"Server":                                     {"cloudflare"},
	"Via":                                        {"1.1 google"},
	"X-Envoy-Upstream-Service-Time":              {"812"},
}

// benchRequestBody returns a /v1/messages body of about size bytes.
func benchRequestBody(size int) []byte {
	const head = `{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"`
	const tail = `"}]}`
	fill := max(size-len(head)-len(tail), 2)
	return []byte(head + strings.Repeat("x", fill) + tail)
}

const benchResponseBody = `{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant",` +
	`"model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Hello from the fake Anthropic API."}],` +
	`"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":23,"cache_creation_input_tokens":7,` +
	`"cache_read_input_tokens":5,"output_tokens":12,"service_tier":"standard"}}`

// benchStreamEvents is a realistic Messages stream: message_start, ping,
// a text block of deltas deltas, message_delta with the final usage and
// message_stop, one string per event.
func benchStreamEvents(deltas int) []string {
	ev := func(name, data string) string { return "event: " + name + "\ndata: " + data + "\n\n" }
	out := []string{
		ev("message_start", `{"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message",`+
			`"role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,`+
			`"usage":{"input_tokens":23,"cache_creation_input_tokens":7,"cache_read_input_tokens":5,"output_tokens":1,`+
			`"service_tier":"standard"}}}`),
		ev("ping", `{"type": "ping"}`),
		ev("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`),
	}
	for i := range deltas {
		out = append(out, ev("content_block_delta", fmt.Sprintf(
			`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"chunk %d of a plausible answer, a few words long. "}}`, i)))
	}
	return append(out,
		ev("content_block_stop", `{"type":"content_block_stop","index":0}`),
		ev("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},`+
			`"usage":{"input_tokens":23,"cache_creation_input_tokens":7,"cache_read_input_tokens":5,"output_tokens":412}}`),
		ev("message_stop", `{"type":"message_stop"}`),
	)
}

const benchStreamDeltas = 30

// benchUpstream is a minimal Anthropic stand-in: a fixed JSON answer, or a
// fixed stream flushed event by event when the body asks for one.
func benchUpstream(b *testing.B) *httptest.Server {
	b.Helper()
	var srv *httptest.Server
	benchSide("upstream", func() { srv = httptest.NewServer(benchUpstreamHandler()) })
	b.Cleanup(srv.Close)
	return srv
}

func benchUpstreamHandler() http.Handler {
	events := benchStreamEvents(benchStreamDeltas)
	jsonLen := strconv.Itoa(len(benchResponseBody))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := w.Header()
		for k, v := range benchUpstreamHeader {
			h[k] = v
		}
		if !bytes.Contains(body, []byte(`"stream":true`)) {
			h["Content-Type"] = []string{"application/json"}
			h["Content-Length"] = []string{jsonLen}
			_, _ = io.WriteString(w, benchResponseBody)
			return
		}
		h["Content-Type"] = []string{"text/event-stream; charset=utf-8"}
		h["Cache-Control"] = []string{"no-cache"}
		w.WriteHeader(http.StatusOK)
		f := w.(http.Flusher)
		for _, e := range events {
			if _, err := io.WriteString(w, e); err != nil {
				return
			}
			f.Flush()
		}
	})
}

// benchProxy wires a proxy to upstream as core does: one API-key account in
// the pool (its key read from a credentials file), the real SQLite writer.
func benchProxy(b *testing.B, upstream string, transport http.RoundTripper) (*Proxy, *store.Writer) {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	db, err := store.Open(filepath.Join(dir, "claudeflare.db"))
	if err != nil {
		b.Fatal(err)
	}
	w := store.NewWriter(db, store.WriterOptions{})
	b.Cleanup(func() {
		w.Close(ctx)
		db.Close()
	})
	cs := filestore.New(filepath.Join(dir, "credentials.json"))
	a := account.Account{ID: "id-bench", Name: "bench", Kind: account.KindAPIKey, CreatedAt: time.Unix(1000, 0)}
	if err := cs.Set(ctx, a.ID, creds.Secret{APIKey: "sk-ant-api03-bench-key"}); err != nil {
		b.Fatal(err)
	}
	if err := db.InsertAccount(ctx, a); err != nil {
		b.Fatal(err)
	}
	list, err := db.Accounts(ctx)
	if err != nil {
		b.Fatal(err)
	}
	bus := events.NewBus()
	bus.Sink(journal.Sink(w))
	p := pool.New(w, bus)
	p.Load(ctx, list, cs, nil)
	cfg := config.Default()
	cfg.UpstreamURL = upstream
	return New(Options{Pool: p, Config: func() config.Config { return cfg }, Bus: bus, Transport: transport}), w
}

// benchProxyServer serves a proxy to upstream on its own loopback server,
// every goroutine of it labelled side=proxy.
func benchProxyServer(b *testing.B, upstream string) (*httptest.Server, *store.Writer) {
	var srv *httptest.Server
	var w *store.Writer
	benchSide("proxy", func() {
		var p *Proxy
		p, w = benchProxy(b, upstream, nil)
		srv = httptest.NewServer(p)
	})
	b.Cleanup(srv.Close)
	return srv, w
}

// benchSide runs f with its goroutine, and those it starts (servers,
// connections, the writer), labelled side=side for profiles.
func benchSide(side string, f func()) {
	pprof.Do(context.Background(), pprof.Labels("side", side), func(context.Context) { f() })
}

// benchClient is tuned for many concurrent requests to one host.
func benchClient(b *testing.B) *http.Client {
	t := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 512,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	b.Cleanup(t.CloseIdleConnections)
	return &http.Client{Transport: t}
}

// benchParallelism gives b.RunParallel 16 goroutines per CPU (32 on two
// cores), the load tool's high-concurrency case.
const benchParallelism = 16

// benchPost sends body to base+/v1/messages and reads the whole answer.
func benchPost(b *testing.B, c *http.Client, base string, body []byte) {
	req, err := http.NewRequest(http.MethodPost, base+"/v1/messages?beta=true", bytes.NewReader(body))
	if err != nil {
		b.Error(err)
		return
	}
	req.Header = benchClientHeader.Clone()
	resp, err := c.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Errorf("status %d, err %v", resp.StatusCode, err)
	}
}

var benchBodies = []struct {
	name string
	size int
}{
	{"body=100B", 100},
	{"body=64KiB", 64 << 10},
}

// benchRunJSON runs b.N non-streaming requests, 32 at a time, to base.
func benchRunJSON(b *testing.B, base string, body []byte) {
	c := benchClient(b)
	benchSide("client", func() { benchPost(b, c, base, body) }) // warm a connection
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		benchSide("client", func() {
			for pb.Next() {
				benchPost(b, c, base, body)
			}
		})
	})
}

// BenchmarkProxyJSON is a non-streaming POST /v1/messages through the proxy
// (its own loopback server) to the fixed upstream, 32 in flight.
func BenchmarkProxyJSON(b *testing.B) {
	for _, tt := range benchBodies {
		b.Run(tt.name, func(b *testing.B) {
			srv, w := benchProxyServer(b, benchUpstream(b).URL)
			benchRunJSON(b, srv.URL, benchRequestBody(tt.size))
			b.ReportMetric(float64(w.Dropped())/float64(b.N), "dropped-rows/op")
		})
	}
}

// BenchmarkUpstreamJSON is BenchmarkProxyJSON's traffic sent straight to the
// upstream: the baseline.
func BenchmarkUpstreamJSON(b *testing.B) {
	for _, tt := range benchBodies {
		b.Run(tt.name, func(b *testing.B) {
			up := benchUpstream(b)
			benchRunJSON(b, up.URL, benchRequestBody(tt.size))
		})
	}
}

// benchStream sends one streaming request and reads it event by event.
func benchStream(b *testing.B, c *http.Client, base string, body []byte) {
	req, err := http.NewRequest(http.MethodPost, base+"/v1/messages", bytes.NewReader(body))
	if err != nil {
		b.Error(err)
		return
	}
	req.Header = benchClientHeader.Clone()
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	events := 0
	for {
		line, err := br.ReadSlice('\n')
		if len(line) == 1 {
			events++
		}
		if err != nil {
			break
		}
	}
	if want := benchStreamDeltas + 6; events != want || resp.StatusCode != http.StatusOK {
		b.Errorf("status %d, %d events, want %d", resp.StatusCode, events, want)
	}
}

func benchRunStream(b *testing.B, base string) {
	c := benchClient(b)
	body := []byte(`{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	benchSide("client", func() { benchStream(b, c, base, body) })
	b.ReportAllocs()
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		benchSide("client", func() {
			for pb.Next() {
				benchStream(b, c, base, body)
			}
		})
	})
}

// BenchmarkProxyStream is a streaming request (36 events, each flushed by
// the upstream) through the proxy, 32 in flight.
func BenchmarkProxyStream(b *testing.B) {
	srv, _ := benchProxyServer(b, benchUpstream(b).URL)
	benchRunStream(b, srv.URL)
}

// BenchmarkUpstreamStream is BenchmarkProxyStream without the proxy.
func BenchmarkUpstreamStream(b *testing.B) {
	benchRunStream(b, benchUpstream(b).URL)
}

// benchTransport answers every request with a fixed response, so that
// ServeHTTP can be measured with no network at all.
type benchTransport struct {
	header http.Header
	body   []byte
}

func (t *benchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: t.header, Body: io.NopCloser(bytes.NewReader(t.body)),
		ContentLength: int64(len(t.body)), Request: req,
	}, nil
}

// benchWriter is a ResponseWriter that keeps nothing but the header map.
type benchWriter struct{ h http.Header }

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *benchWriter) WriteHeader(int)             {}
func (w *benchWriter) Flush()                      {}

// BenchmarkProxyServeHTTP is the proxy's own work for one request (read the
// body, pick the account, build the upstream request, relay the answer, read
// usage, enqueue the row, publish the event) with the network taken out: the
// transport is canned and the response writer discards.
func BenchmarkProxyServeHTTP(b *testing.B) {
	cases := []struct {
		name   string
		ctype  string
		answer []byte
	}{
		{"json", "application/json", []byte(benchResponseBody)},
		{"stream", "text/event-stream; charset=utf-8", []byte(strings.Join(benchStreamEvents(benchStreamDeltas), ""))},
	}
	for _, tt := range cases {
		b.Run(tt.name, func(b *testing.B) {
			h := benchUpstreamHeader.Clone()
			h.Set("Content-Type", tt.ctype)
			h.Set("Content-Length", strconv.Itoa(len(tt.answer)))
			p, _ := benchProxy(b, "http://127.0.0.1:1", &benchTransport{header: h, body: tt.answer})
			body := benchRequestBody(100)
			u, _ := url.Parse("http://127.0.0.1:8080/v1/messages?beta=true")
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				w := &benchWriter{h: make(http.Header)}
				for pb.Next() {
					clear(w.h)
					r := &http.Request{
						Method: http.MethodPost, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
						Header: benchClientHeader, Body: io.NopCloser(bytes.NewReader(body)),
						ContentLength: int64(len(body)), Host: u.Host, RequestURI: u.RequestURI(),
					}
					p.ServeHTTP(w, r)
				}
			})
		})
	}
}

// BenchmarkSSEUsage reads usage from a realistic stream as the proxy sees
// it: one Write per event (the upstream flushes each), or all at once.
func BenchmarkSSEUsage(b *testing.B) {
	evs := benchStreamEvents(benchStreamDeltas)
	whole := []byte(strings.Join(evs, ""))
	chunks := make([][]byte, len(evs))
	for i, e := range evs {
		chunks[i] = []byte(e)
	}
	check := func(b *testing.B, u Usage) {
		if u.OutputTokens != 412 || u.InputTokens != 23 || u.Model == "" {
			b.Fatalf("usage %+v", u)
		}
	}
	b.Run("per-event", func(b *testing.B) {
		b.SetBytes(int64(len(whole)))
		b.ReportAllocs()
		for b.Loop() {
			s := &sseUsage{}
			for _, c := range chunks {
				s.Write(c)
			}
			check(b, s.Usage)
		}
	})
	b.Run("whole", func(b *testing.B) {
		b.SetBytes(int64(len(whole)))
		b.ReportAllocs()
		for b.Loop() {
			s := &sseUsage{}
			s.Write(whole)
			check(b, s.Usage)
		}
	})
}

// BenchmarkJSONUsage reads usage from a non-streaming answer.
func BenchmarkJSONUsage(b *testing.B) {
	body := []byte(benchResponseBody)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if u := jsonUsage(body); u.OutputTokens != 12 {
			b.Fatalf("usage %+v", u)
		}
	}
}

// BenchmarkOutboundHeader builds the upstream request's headers from Claude
// Code's, with an API key or an OAuth token.
func BenchmarkOutboundHeader(b *testing.B) {
	cases := []struct {
		name   string
		kind   account.Kind
		secret creds.Secret
	}{
		{"apikey", account.KindAPIKey, creds.Secret{APIKey: "sk-ant-api03-bench-key"}},
		{"oauth", account.KindOAuth, creds.Secret{AccessToken: "sk-ant-oat01-bench-token"}},
	}
	for _, tt := range cases {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h := outboundHeader(benchClientHeader, false)
				applyCredential(h, tt.kind, tt.secret)
			}
		})
	}
}

// BenchmarkCopyResponseHeader copies Anthropic's answer headers to the client.
func BenchmarkCopyResponseHeader(b *testing.B) {
	src := benchUpstreamHeader.Clone()
	src.Set("Content-Type", "application/json")
	src.Set("Content-Length", "412")
	dst := make(http.Header, len(src)+1)
	b.ReportAllocs()
	for b.Loop() {
		clear(dst)
		copyResponseHeader(dst, src)
	}
}

// BenchmarkTarget joins the upstream URL with the request's path and query.
func BenchmarkTarget(b *testing.B) {
	p := New(Options{})
	in, _ := url.Parse("/v1/messages?beta=true")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.target("https://api.anthropic.com", in); err != nil {
			b.Fatal(err)
		}
	}
}
