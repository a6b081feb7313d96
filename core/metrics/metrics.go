// Package metrics exposes Claudeflare's figures to Prometheus (GET /metrics):
// counters and histograms labelled by account, fed from the event bus (it
// is one of its sinks), and gauges read from the writer, the bus and the
// pool at scrape time. It uses a registry of its own, never the global one.
//
// Observing an event is cheap enough for the request path: a type switch, a
// lock-free map lookup and the client library's atomic adds.
package metrics

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/store"
)

// Sources are read at scrape time; a nil one is left out.
type Sources struct {
	QueueDepth    func() int    // the async writer's records waiting (store.Writer.QueueDepth)
	Dropped       func() uint64 // records the writer lost (store.Writer.Dropped)
	Written       func() uint64 // records the writer committed (store.Writer.Written)
	EventsDropped func() uint64 // live events lost to slow subscribers (events.Bus.Dropped)
	// Quota lists every account's quota windows as they stand now (the pool).
	Quota func() []QuotaSample
}

// QuotaSample is one account's quota window, for claudeflare_quota_utilization.
type QuotaSample struct {
	Account, Window string
	Utilization     float64
}

// NoAccount is the account label of requests no account served.
const NoAccount = "none"

// Token types, the values of the "type" label of claudeflare_tokens_total.
var tokenTypes = [4]string{"input", "output", "cache_read", "cache_creation"}

// Metrics holds the registry and the metric families.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	tokens     *prometheus.CounterVec
	failovers  *prometheus.CounterVec
	rateLimits *prometheus.CounterVec
	sessions   *prometheus.CounterVec
	ttfb       *prometheus.HistogramVec
	duration   *prometheus.HistogramVec

	accounts sync.Map // account name → *series
}

// series are one account's metrics, resolved once.
type series struct {
	m          *Metrics
	name       string
	tokens     [4]prometheus.Counter
	ttfb       prometheus.Observer
	duration   prometheus.Observer
	failovers  prometheus.Counter
	rateLimits prometheus.Counter
	codes      sync.Map // status code (int) → prometheus.Counter
}

// New makes the metrics, registered with a new registry together with the
// Go runtime and process collectors.
func New(src Sources) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "claudeflare_requests_total",
			Help: "Proxied requests by the account that answered (\"none\" when none did) and the status code sent to the client (499: the client went away).",
		}, []string{"account", "code"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "claudeflare_tokens_total",
			Help: "Tokens used, by account and type (input, output, cache_read, cache_creation).",
		}, []string{"account", "type"}),
		failovers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "claudeflare_failovers_total",
			Help: "Failovers away from an account: it failed (429, 529, 401, unreachable) and the next candidate was tried.",
		}, []string{"account"}),
		rateLimits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "claudeflare_rate_limit_events_total",
			Help: "Rate-limit answers (429) by account.",
		}, []string{"account"}),
		sessions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "claudeflare_sessions_started_total",
			Help: "Sessions started, by account and reason (first, expired, failover).",
		}, []string{"account", "reason"}),
		ttfb: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "claudeflare_upstream_ttfb_seconds",
			Help:    "Time from the client's request to the upstream's response headers, for requests the upstream answered.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60},
		}, []string{"account"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "claudeflare_upstream_duration_seconds",
			Help:    "Total time of requests the upstream answered, until the last byte reached the client.",
			Buckets: []float64{0.1, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320, 600},
		}, []string{"account"}),
	}
	m.reg.MustRegister(m.requests, m.tokens, m.failovers, m.rateLimits, m.sessions, m.ttfb, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if f := src.QueueDepth; f != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "claudeflare_writer_queue_depth",
			Help: "Records waiting in the asynchronous database writer.",
		}, func() float64 { return float64(f()) }))
	}
	counterFunc := func(f func() uint64, name, help string) {
		if f != nil {
			m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
				func() float64 { return float64(f()) }))
		}
	}
	counterFunc(src.Dropped, "claudeflare_writer_dropped_records_total",
		"Records the asynchronous database writer lost (queue full or failed commit).")
	counterFunc(src.Written, "claudeflare_writer_written_records_total",
		"Records the asynchronous database writer committed.")
	counterFunc(src.EventsDropped, "claudeflare_events_dropped_total",
		"Live events (/api/events, the tray) lost to subscribers that did not keep up.")
	if src.Quota != nil {
		m.reg.MustRegister(quotaCollector(src.Quota))
	}
	return m
}

// quotaDesc describes claudeflare_quota_utilization.
var quotaDesc = prometheus.NewDesc("claudeflare_quota_utilization",
	"Each account's quota window as Anthropic last reported it: the fraction used (1 is the limit); a window past its reset reads 0.",
	[]string{"account", "window"}, nil)

// quotaCollector reads the quota at scrape time: the pool holds it, so a
// gauge kept here would be a second copy to keep in step.
type quotaCollector func() []QuotaSample

func (quotaCollector) Describe(ch chan<- *prometheus.Desc) { ch <- quotaDesc }

func (f quotaCollector) Collect(ch chan<- prometheus.Metric) {
	for _, q := range f() {
		ch <- prometheus.MustNewConstMetric(quotaDesc, prometheus.GaugeValue, q.Utilization, q.Account, q.Window)
	}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the private registry, for tests and for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func (m *Metrics) account(name string) *series {
	if name == "" {
		name = NoAccount
	}
	if s, ok := m.accounts.Load(name); ok {
		return s.(*series)
	}
	s := &series{
		m: m, name: name,
		ttfb:       m.ttfb.WithLabelValues(name),
		duration:   m.duration.WithLabelValues(name),
		failovers:  m.failovers.WithLabelValues(name),
		rateLimits: m.rateLimits.WithLabelValues(name),
	}
	for i, t := range tokenTypes {
		s.tokens[i] = m.tokens.WithLabelValues(name, t)
	}
	actual, _ := m.accounts.LoadOrStore(name, s)
	return actual.(*series)
}

func (s *series) code(status int) prometheus.Counter {
	if c, ok := s.codes.Load(status); ok {
		return c.(prometheus.Counter)
	}
	c, _ := s.codes.LoadOrStore(status, s.m.requests.WithLabelValues(s.name, strconv.Itoa(status)))
	return c.(prometheus.Counter)
}

// Observe counts what an event says happened: a finished request, a
// rate limit, a failover away from an account, a session start. It is a
// sink of the event bus: a type switch and the client library's atomic adds.
func (m *Metrics) Observe(e events.Event) {
	switch e := e.(type) {
	case *events.Request:
		m.request(e.Row)
	case *events.RateLimited:
		m.account(e.Account).rateLimits.Inc()
	case *events.Failover:
		m.account(e.From).failovers.Inc()
	case *events.SessionStarted:
		name := e.Account
		if name == "" {
			name = NoAccount
		}
		m.sessions.WithLabelValues(name, e.Reason).Inc()
	}
}

func (m *Metrics) request(r *store.RequestRow) {
	s := m.account(r.AccountName)
	s.code(r.Status).Inc()
	for i, n := range [4]int64{r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.CacheCreationTokens} {
		if n > 0 {
			s.tokens[i].Add(float64(n))
		}
	}
	if r.TTFB > 0 {
		s.ttfb.Observe(r.TTFB.Seconds())
		s.duration.Observe(r.Duration.Seconds())
	}
}
