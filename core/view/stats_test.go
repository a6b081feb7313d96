package view

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/session"
	"github.com/claudeflare/claudeflare/core/store"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

// sampleStats are the figures of a busy hour, as store.Stats returns them.
func sampleStats() store.Stats {
	since := time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)
	ms := time.Millisecond
	series := func(set map[int]store.Totals) []store.Totals {
		s := make([]store.Totals, 13)
		for i, t := range set {
			s[i] = t
		}
		return s
	}
	starts := make([]time.Time, 13)
	for i := range starts {
		starts[i] = time.Date(2026, 3, 14, 9, 25+5*i, 0, 0, time.UTC)
	}
	return store.Stats{
		Since: since, Until: since.Add(time.Hour),
		Total: store.Totals{Requests: 8, Errors: 3, InputTokens: 663, OutputTokens: 67, CacheReadTokens: 1_500_000, CacheCreationTokens: 57},
		Accounts: []store.AccountStats{
			{AccountID: "id-a", AccountName: "alice@work", Share: 0.375, RateLimitEvents: 2,
				Totals:  store.Totals{Requests: 3, Errors: 1, InputTokens: 300, OutputTokens: 30, CacheReadTokens: 1_000_000, CacheCreationTokens: 50},
				CostUSD: 0.3011375, Failovers: 3, FailoverRequests: 2, FailoversFrom: 2,
				Sessions: store.SessionStats{Started: 2, Ended: 1, EndedLength: 2 * time.Minute, EndedRequests: 3,
					EndReasons: map[string]int64{session.EndRateLimit: 1}, OpenLength: 25 * time.Minute, OpenRequests: 2},
				Latency: store.Latency{Samples: 3, TTFB: store.Percentiles{P50: 200 * ms, P90: 300 * ms, P99: 300 * ms},
					Duration: store.Percentiles{P50: time.Second, P90: 2 * time.Second, P99: 2 * time.Second}},
				Series: series(map[int]store.Totals{0: {Requests: 3, Errors: 1, InputTokens: 300, OutputTokens: 30,
					CacheReadTokens: 1_000_000, CacheCreationTokens: 50}})},
			{AccountID: "id-b", AccountName: "bob", Share: 0.5, RateLimitEvents: 3,
				Totals:  store.Totals{Requests: 4, Errors: 2, InputTokens: 353, OutputTokens: 36, CacheReadTokens: 500_000, CacheCreationTokens: 7},
				CostUSD: 12.3456789, FailoversFrom: 1,
				Sessions: store.SessionStats{Started: 2, Ended: 2, EndedLength: 80*time.Minute + 20*time.Second, EndedRequests: 5,
					EndReasons: map[string]int64{session.EndExpired: 1, session.EndFailover: 1}},
				Latency: store.Latency{Samples: 2, TTFB: store.Percentiles{P50: 1300 * ms, P90: 2 * time.Second, P99: 2 * time.Second},
					Duration: store.Percentiles{P50: 10 * time.Second, P90: 20 * time.Second, P99: 20 * time.Second}},
				Series: series(map[int]store.Totals{2: {Requests: 1, InputTokens: 300}, 12: {Requests: 3, Errors: 2, InputTokens: 53}})},
			{AccountID: "id-c", AccountName: "idle", Series: series(nil)},
			{Share: 0.125, Totals: store.Totals{Requests: 1, InputTokens: 10, OutputTokens: 1},
				Latency: store.Latency{Samples: 1, TTFB: store.Percentiles{P50: 400 * ms, P90: 400 * ms, P99: 400 * ms},
					Duration: store.Percentiles{P50: 4 * time.Second, P90: 4 * time.Second, P99: 4 * time.Second}},
				Series: series(map[int]store.Totals{6: {Requests: 1, InputTokens: 10, OutputTokens: 1}})},
		},
		Failovers: 3, FailoverRequests: 2, RateLimitEvents: 5,
		CostUSD:        12.6468164,
		UnpricedModels: []string{"claude-x"},
		Sessions: store.SessionStats{Started: 4, Ended: 3, EndedLength: 82*time.Minute + 20*time.Second, EndedRequests: 8,
			EndReasons: map[string]int64{session.EndRateLimit: 1, session.EndExpired: 1, session.EndFailover: 1},
			OpenLength: 25 * time.Minute, OpenRequests: 2},
		Timeline: []store.Session{
			{Period: session.Period{AccountID: "id-b", AccountName: "bob", Start: since.Add(-time.Hour), Expires: since.Add(4 * time.Hour),
				End: since.Add(20 * time.Second), Requests: 4, StartReason: session.StartFirst, EndReason: session.EndFailover}},
			{Period: session.Period{AccountID: "id-a", AccountName: "alice@work", Start: since.Add(20 * time.Second),
				Expires: since.Add(5*time.Hour + 20*time.Second), End: since.Add(2*time.Minute + 20*time.Second), Requests: 3,
				StartReason: session.StartFailover, EndReason: session.EndRateLimit}},
			{Period: session.Period{AccountID: "id-a", AccountName: "alice@work", Start: since.Add(35 * time.Minute),
				Expires: since.Add(5*time.Hour + 35*time.Minute), Requests: 2, StartReason: session.StartExpired}},
		},
		Latency: store.Latency{Samples: 6, TTFB: store.Percentiles{P50: 300 * ms, P90: 2 * time.Second, P99: 2 * time.Second},
			Duration: store.Percentiles{P50: 2 * time.Second, P90: 20 * time.Second, P99: 20 * time.Second}},
		Series: store.Series{Bucket: 5 * time.Minute, Starts: starts,
			Total: series(map[int]store.Totals{0: {Requests: 3, Errors: 1, InputTokens: 300, OutputTokens: 30, CacheReadTokens: 1_000_000,
				CacheCreationTokens: 50}, 2: {Requests: 1, InputTokens: 300}, 6: {Requests: 1, InputTokens: 10, OutputTokens: 1},
				12: {Requests: 3, Errors: 2, InputTokens: 53}})},
	}
}

func TestStatsViewFigures(t *testing.T) {
	t.Parallel()
	v := StatsOf(sampleStats(), time.Hour)
	if v.Window != "1h" || v.Series.Bucket != "5m" || v.Series.BucketSeconds != 300 || len(v.Series.Starts) != 13 {
		t.Errorf("window %q, bucket %q (%d s), %d buckets", v.Window, v.Series.Bucket, v.Series.BucketSeconds, len(v.Series.Starts))
	}
	if want := (Failovers{Count: 3, Requests: 2, Rate: 0.25}); v.Failovers != want {
		t.Errorf("failovers %+v, want %+v", v.Failovers, want)
	}
	a := v.Accounts[0]
	if want := (Failovers{Count: 3, Requests: 2, Rate: 2.0 / 3}); a.Failovers != want {
		t.Errorf("alice failovers %+v, want %+v", a.Failovers, want)
	}
	if a.CostUSDEstimate != 0.301138 || v.Accounts[1].CostUSDEstimate != 12.345679 || v.Total.CostUSDEstimate != 12.646816 {
		t.Errorf("costs %v %v %v: kept to the millionth of a dollar", a.CostUSDEstimate, v.Accounts[1].CostUSDEstimate, v.Total.CostUSDEstimate)
	}
	wantSessions := Sessions{Count: 2, Ended: 1, Open: 1, AvgLengthSeconds: 120, AvgRequests: 3, EndedByRateLimit: 1,
		EndReasons: map[string]int64{"rate_limit": 1}, OpenLengthSeconds: 25 * 60, OpenRequests: 2}
	if !reflect.DeepEqual(a.Sessions, wantSessions) {
		t.Errorf("alice sessions %+v, want %+v", a.Sessions, wantSessions)
	}
	if s := v.Sessions; s.AvgLengthSeconds != (82*60+20)/3.0 || s.AvgRequests != 8.0/3 || s.Open != 1 {
		t.Errorf("sessions %+v", s)
	}
	if idle := v.Accounts[2].Sessions; idle.EndReasons == nil || idle.AvgLengthSeconds != 0 {
		t.Errorf("idle sessions %+v: end_reasons must be {} and averages 0", idle)
	}
	wantLatency := Latency{Samples: 2, TTFBMs: Percentiles{1300, 2000, 2000}, DurationMs: Percentiles{10000, 20000, 20000}}
	if v.Accounts[1].Latency != wantLatency {
		t.Errorf("bob latency %+v, want %+v", v.Accounts[1].Latency, wantLatency)
	}
	if v.Accounts[3].Account != PassThroughName || v.Series.Accounts[3].Account != PassThroughName {
		t.Errorf("pass-through entry named %q", v.Accounts[3].Account)
	}
	if got := v.Series.Accounts[1].Requests; got[2] != 1 || got[12] != 3 || len(got) != 13 {
		t.Errorf("bob's series %v", got)
	}
	if tl := v.Timeline; len(tl) != 3 || tl[0].Account != "bob" || tl[2].End != nil || tl[2].EndReason != "" ||
		tl[1].EndReason != "rate_limit" || tl[1].End == nil || !tl[1].End.Equal(tl[1].Start.Add(2*time.Minute)) {
		t.Errorf("timeline %+v", tl)
	}
	if got := v.Series.Total.CacheReadTokens[0]; got != 1_000_000 {
		t.Errorf("total series cache reads %d", got)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "testdata/stats.json", append(b, '\n'))
}

func TestStatsViewEmpty(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	v := StatsOf(store.Stats{Since: since, Until: since.Add(30 * 24 * time.Hour)}, 30*24*time.Hour)
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	// Arrays are [] and objects {}, never null, so clients need no special case.
	for _, k := range []string{"accounts", "unpriced_models"} {
		if _, ok := m[k].([]any); !ok {
			t.Errorf("%s = %v, want []", k, m[k])
		}
	}
	if v.Window != "30d" || v.Series.Bucket != "" || v.Sessions.EndReasons == nil || v.Failovers.Rate != 0 {
		t.Errorf("%+v", v)
	}
	b, err = json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "testdata/stats_empty.json", append(b, '\n'))
}

func TestWindowAndBucketNames(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ got, want string }{
		{WindowName(time.Hour), "1h"}, {WindowName(24 * time.Hour), "24h"}, {WindowName(7 * 24 * time.Hour), "7d"},
		{WindowName(90 * time.Minute), "1h30m0s"},
		{BucketName(5 * time.Minute), "5m"}, {BucketName(6 * time.Hour), "6h"}, {BucketName(24 * time.Hour), "1d"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestParseWindow(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want time.Duration // 0: refused
	}{
		{"", 24 * time.Hour}, {"1h", time.Hour}, {"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour},
		{"366d", 366 * 24 * time.Hour}, {"90m", 90 * time.Minute}, {"1m", time.Minute},
		{"367d", 0}, {"30s", 0}, {"0d", 0}, {"-1d", 0}, {"d", 0}, {"week", 0}, {"1e3h", 0},
		// Overflowing counts must never wrap into a short window.
		{"1099511775394d", 0}, {"9223372036854775807d", 0}, {"2562048h", 0}, {"99999999999999999999h", 0},
	} {
		got, err := ParseWindow(tt.in)
		if tt.want == 0 {
			if err == nil {
				t.Errorf("ParseWindow(%q) = %v, want an error", tt.in, got)
			} else if !strings.Contains(err.Error(), "window") {
				t.Errorf("ParseWindow(%q): %v does not name the parameter", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
