package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/metrics"
	"github.com/claudeflare/claudeflare/core/store"
)

// scrape fetches /metrics and parses it with the Prometheus text parser.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("not Prometheus text: %v", err)
	}
	return fams
}

// value finds the sample of family name whose labels are exactly labels
// ("k=v" pairs); for a histogram it returns the sample count.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no metric %s", name)
	}
	sort.Strings(labels)
	for _, m := range f.GetMetric() {
		var got []string
		for _, l := range m.GetLabel() {
			got = append(got, l.GetName()+"="+l.GetValue())
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(labels, ",") {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("no sample %s{%s}", name, strings.Join(labels, ","))
	return 0
}

func TestMetricsParseAndCount(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Sources{
		QueueDepth:    func() int { return 7 },
		Dropped:       func() uint64 { return 3 },
		Written:       func() uint64 { return 1234 },
		EventsDropped: func() uint64 { return 5 },
		Quota: func() []metrics.QuotaSample {
			return []metrics.QuotaSample{{"work", "five_hour", 0.83}, {"work", "seven_day", 0.41}, {"spare", "7d_oi", 1.01}}
		},
	})
	ms := time.Millisecond
	for _, e := range []events.Event{
		&events.Request{Row: &store.RequestRow{AccountName: "work", Status: 200, InputTokens: 10, OutputTokens: 20, CacheReadTokens: 300,
			CacheCreationTokens: 4, TTFB: 200 * ms, Duration: 3 * time.Second}},
		&events.Request{Row: &store.RequestRow{AccountName: "work", Status: 200, InputTokens: 1, TTFB: 2 * time.Second, Duration: 30 * time.Second}},
		&events.Request{Row: &store.RequestRow{AccountName: "work", Status: 529, TTFB: 50 * ms, Duration: 50 * ms}},
		&events.Request{Row: &store.RequestRow{AccountName: "spare", Status: 499}}, // no upstream answer: no latency
		&events.Request{Row: &store.RequestRow{Status: 503}},                       // no account
		&events.RateLimited{Account: "work"},
		&events.Failover{From: "work", To: "spare"}, // left work
		&events.Hop{From: "spare", To: "work"},      // not a failover
		&events.SessionStarted{Account: "spare", Reason: "failover"},
		&events.AccountChanged{Account: "spare", State: events.AccountCooldown}, // not counted
		&events.SessionEnded{Account: "x"},                                      // not counted
	} {
		m.Observe(e)
	}

	fams := scrape(t, m.Handler())
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"claudeflare_requests_total", []string{"account=work", "code=200"}, 2},
		{"claudeflare_requests_total", []string{"account=work", "code=529"}, 1},
		{"claudeflare_requests_total", []string{"account=spare", "code=499"}, 1},
		{"claudeflare_requests_total", []string{"account=none", "code=503"}, 1},
		{"claudeflare_tokens_total", []string{"account=work", "type=input"}, 11},
		{"claudeflare_tokens_total", []string{"account=work", "type=output"}, 20},
		{"claudeflare_tokens_total", []string{"account=work", "type=cache_read"}, 300},
		{"claudeflare_tokens_total", []string{"account=work", "type=cache_creation"}, 4},
		{"claudeflare_tokens_total", []string{"account=spare", "type=input"}, 0},
		{"claudeflare_upstream_ttfb_seconds", []string{"account=work"}, 3},
		{"claudeflare_upstream_duration_seconds", []string{"account=work"}, 3},
		{"claudeflare_upstream_ttfb_seconds", []string{"account=spare"}, 0},
		{"claudeflare_rate_limit_events_total", []string{"account=work"}, 1},
		{"claudeflare_failovers_total", []string{"account=work"}, 1},
		{"claudeflare_failovers_total", []string{"account=spare"}, 0},
		{"claudeflare_sessions_started_total", []string{"account=spare", "reason=failover"}, 1},
		{"claudeflare_writer_queue_depth", nil, 7},
		{"claudeflare_writer_dropped_records_total", nil, 3},
		{"claudeflare_writer_written_records_total", nil, 1234},
		{"claudeflare_events_dropped_total", nil, 5},
		{"claudeflare_quota_utilization", []string{"account=work", "window=five_hour"}, 0.83},
		{"claudeflare_quota_utilization", []string{"account=work", "window=seven_day"}, 0.41},
		{"claudeflare_quota_utilization", []string{"account=spare", "window=7d_oi"}, 1.01},
	}
	for _, c := range checks {
		if got := value(t, fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s{%s} = %v, want %v", c.name, strings.Join(c.labels, ","), got, c.want)
		}
	}
	// The histogram sums are in seconds.
	for _, mf := range fams["claudeflare_upstream_ttfb_seconds"].GetMetric() {
		if mf.GetLabel()[0].GetValue() == "work" {
			if s := mf.Histogram.GetSampleSum(); s < 2.2499 || s > 2.2501 {
				t.Errorf("ttfb sum %v, want 2.25", s)
			}
		}
	}
	if fams["go_goroutines"] == nil || fams["process_cpu_seconds_total"] == nil && fams["process_start_time_seconds"] == nil {
		t.Errorf("runtime and process collectors missing")
	}
}

func TestMetricsWithoutSources(t *testing.T) {
	t.Parallel()
	fams := scrape(t, metrics.New(metrics.Sources{}).Handler())
	if fams["claudeflare_writer_queue_depth"] != nil {
		t.Error("a missing source must leave its metric out")
	}
}

func TestMetricsConcurrentObserve(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Sources{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				m.Observe(&events.Request{Row: &store.RequestRow{AccountName: []string{"a", "b", "c"}[(g+i)%3], Status: 200 + i%3,
					InputTokens: 1, TTFB: time.Millisecond, Duration: time.Second}})
			}
		}()
	}
	wg.Wait()
	fams := scrape(t, m.Handler())
	var total float64
	for _, mf := range fams["claudeflare_requests_total"].GetMetric() {
		total += mf.Counter.GetValue()
	}
	if total != 4000 || value(t, fams, "claudeflare_tokens_total", "account=a", "type=input") == 0 {
		t.Errorf("counted %v requests, want 4000", total)
	}
}

func BenchmarkObserveRequest(b *testing.B) {
	m := metrics.New(metrics.Sources{})
	row := store.RequestRow{AccountName: "work", Status: 200, InputTokens: 10, OutputTokens: 200, CacheReadTokens: 50000,
		CacheCreationTokens: 300, TTFB: 800 * time.Millisecond, Duration: 9 * time.Second}
	e := &events.Request{Row: &row}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Observe(e)
		}
	})
}
