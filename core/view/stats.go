package view

import (
	"fmt"
	"maps"
	"math"
	"strconv"
	"time"

	"github.com/claudeflare/claudeflare/core/store"
)

// CostNote says what cost_usd_estimate is.
const CostNote = "cost_usd_estimate is an estimate at Anthropic's list prices per model family " +
	"(USD; 5-minute cache writes), not a bill: subscriptions, discounts and long-context pricing are not counted"

// Totals are request and token counts.
type Totals struct {
	Requests            int64   `json:"requests"`
	Errors              int64   `json:"errors"`
	InputTokens         int64   `json:"input_tokens"`
	OutputTokens        int64   `json:"output_tokens"`
	CacheReadTokens     int64   `json:"cache_read_tokens"`
	CacheCreationTokens int64   `json:"cache_creation_tokens"`
	CostUSDEstimate     float64 `json:"cost_usd_estimate"` // see CostNote
}

// AccountStats is one account's figures.
type AccountStats struct {
	Account         string  `json:"account"`
	ID              string  `json:"id,omitempty"`
	Share           float64 `json:"share"`
	RateLimitEvents int64   `json:"rate_limit_events"`
	Totals
	// Failovers are those of the requests this account answered: how many
	// of them needed one (another account failed first).
	Failovers Failovers `json:"failovers"`
	// FailoversFrom counts the failovers away from this account: it failed
	// and the next candidate was tried.
	FailoversFrom int64    `json:"failovers_from"`
	Sessions      Sessions `json:"sessions"`
	Latency       Latency  `json:"latency"`
}

// Stats is the body of GET /api/stats and `claudeflare stats --json`.
type Stats struct {
	Window          string         `json:"window"`
	Since           time.Time      `json:"since"`
	Until           time.Time      `json:"until"`
	Total           Totals         `json:"total"`
	Accounts        []AccountStats `json:"accounts"`
	Failovers       Failovers      `json:"failovers"`
	RateLimitEvents int64          `json:"rate_limit_events"`
	CostNote        string         `json:"cost_note"`
	// UnpricedModels are models with tokens in the window but no known
	// price: their tokens are not in the cost estimates.
	UnpricedModels []string `json:"unpriced_models"`
	Sessions       Sessions `json:"sessions"`
	Latency        Latency  `json:"latency"`
	Series         Series   `json:"series"`
	// Timeline is the sessions that overlap the window, oldest first.
	Timeline []SessionSpan `json:"timeline"`
}

// Failovers: how often requests had to leave their first account.
type Failovers struct {
	Count    int64   `json:"count"`    // failovers in all
	Requests int64   `json:"requests"` // requests that needed at least one
	Rate     float64 `json:"rate"`     // requests that needed one / all requests
}

// Sessions describe the sessions that started in the window; the
// averages are over the ones that have ended.
type Sessions struct {
	Count            int64            `json:"count"`
	Ended            int64            `json:"ended"`
	Open             int64            `json:"open"`
	AvgLengthSeconds float64          `json:"avg_length_seconds"`
	AvgRequests      float64          `json:"avg_requests"`
	EndedByRateLimit int64            `json:"ended_by_rate_limit"`
	EndReasons       map[string]int64 `json:"end_reasons"` // expired, rate_limit, needs_login, failover, pause, removed, unavailable
	// The open ones, so far: a running session is neither finished nor of
	// length zero.
	OpenLengthSeconds float64 `json:"open_length_seconds"`
	OpenRequests      int64   `json:"open_requests"`
}

// SessionSpan is one session on the timeline: which account was active
// from when to when, and why it started and ended.
type SessionSpan struct {
	Account     string     `json:"account"`
	Start       time.Time  `json:"start"`
	End         *time.Time `json:"end"` // null while open
	Expires     *time.Time `json:"expires"`
	Requests    int64      `json:"requests"`
	StartReason string     `json:"start_reason"`
	EndReason   string     `json:"end_reason"` // "" while open
}

// Latency are percentiles, in milliseconds, of the requests that got an
// upstream answer: nearest-rank, rounded up to two significant digits.
type Latency struct {
	Samples    int64       `json:"samples"`
	TTFBMs     Percentiles `json:"ttfb_ms"`
	DurationMs Percentiles `json:"duration_ms"`
}

// Percentiles are 0 when there are no samples.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
}

// Series is a time series for charts: point i of every array is the
// bucket starting at Starts[i] (aligned to UTC; the first and last are cut
// by the window). Accounts are in the order of Stats.Accounts.
type Series struct {
	Bucket        string          `json:"bucket"`
	BucketSeconds int64           `json:"bucket_seconds"`
	Starts        []time.Time     `json:"starts"`
	Total         SeriesPoints    `json:"total"`
	Accounts      []SeriesAccount `json:"accounts"`
	// RateLimits and Failovers count the rate-limit events and failovers
	// per bucket (AddEventSeries; absent where the events were not read).
	RateLimits []int64 `json:"rate_limits,omitempty"`
	Failovers  []int64 `json:"failovers,omitempty"`
}

// SeriesPoints are the counts per bucket.
type SeriesPoints struct {
	Requests            []int64 `json:"requests"`
	InputTokens         []int64 `json:"input_tokens"`
	OutputTokens        []int64 `json:"output_tokens"`
	CacheReadTokens     []int64 `json:"cache_read_tokens"`
	CacheCreationTokens []int64 `json:"cache_creation_tokens"`
}

// SeriesAccount is one account's series.
type SeriesAccount struct {
	Account string `json:"account"`
	ID      string `json:"id,omitempty"`
	SeriesPoints
}

// PassThroughName names the requests no account answered.
const PassThroughName = "(no account: passed through)"

func totalsJSON(t store.Totals, cost float64) Totals {
	return Totals{Requests: t.Requests, Errors: t.Errors, InputTokens: t.InputTokens, OutputTokens: t.OutputTokens,
		CacheReadTokens: t.CacheReadTokens, CacheCreationTokens: t.CacheCreationTokens, CostUSDEstimate: roundCost(cost)}
}

// roundCost keeps a millionth of a dollar.
func roundCost(c float64) float64 { return math.Round(c*1e6) / 1e6 }

func failoversJSON(count, requests, all int64) Failovers {
	f := Failovers{Count: count, Requests: requests}
	if all > 0 {
		f.Rate = float64(requests) / float64(all)
	}
	return f
}

func sessionsJSON(s store.SessionStats) Sessions {
	out := Sessions{Count: s.Started, Ended: s.Ended, Open: s.Open(), AvgRequests: s.AvgRequests(),
		EndedByRateLimit: s.EndedByRateLimit(), EndReasons: maps.Clone(s.EndReasons),
		OpenLengthSeconds: s.OpenLength.Seconds(), OpenRequests: s.OpenRequests}
	if s.Ended > 0 {
		out.AvgLengthSeconds = s.EndedLength.Seconds() / float64(s.Ended)
	}
	if out.EndReasons == nil {
		out.EndReasons = map[string]int64{}
	}
	return out
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func latencyJSON(l store.Latency) Latency {
	return Latency{Samples: l.Samples,
		TTFBMs:     Percentiles{P50: msOf(l.TTFB.P50), P90: msOf(l.TTFB.P90), P99: msOf(l.TTFB.P99)},
		DurationMs: Percentiles{P50: msOf(l.Duration.P50), P90: msOf(l.Duration.P90), P99: msOf(l.Duration.P99)}}
}

func pointsJSON(pts []store.Totals) SeriesPoints {
	p := SeriesPoints{Requests: make([]int64, len(pts)), InputTokens: make([]int64, len(pts)),
		OutputTokens: make([]int64, len(pts)), CacheReadTokens: make([]int64, len(pts)), CacheCreationTokens: make([]int64, len(pts))}
	for i, t := range pts {
		p.Requests[i], p.InputTokens[i], p.OutputTokens[i] = t.Requests, t.InputTokens, t.OutputTokens
		p.CacheReadTokens[i], p.CacheCreationTokens[i] = t.CacheReadTokens, t.CacheCreationTokens
	}
	return p
}

// StatsOf converts store figures for output.
func StatsOf(st store.Stats, window time.Duration) Stats {
	out := Stats{
		Window: WindowName(window), Since: st.Since.UTC(), Until: st.Until.UTC(), Total: totalsJSON(st.Total, st.CostUSD),
		Accounts:        make([]AccountStats, 0, len(st.Accounts)),
		Failovers:       failoversJSON(st.Failovers, st.FailoverRequests, st.Total.Requests),
		RateLimitEvents: st.RateLimitEvents,
		CostNote:        CostNote,
		UnpricedModels:  append([]string{}, st.UnpricedModels...),
		Sessions:        sessionsJSON(st.Sessions),
		Latency:         latencyJSON(st.Latency),
		Series: Series{Bucket: BucketName(st.Series.Bucket), BucketSeconds: int64(st.Series.Bucket / time.Second),
			Starts: make([]time.Time, len(st.Series.Starts)), Total: pointsJSON(st.Series.Total),
			Accounts: make([]SeriesAccount, 0, len(st.Accounts))},
	}
	for i, s := range st.Series.Starts {
		out.Series.Starts[i] = s.UTC()
	}
	out.Timeline = make([]SessionSpan, 0, len(st.Timeline))
	for _, s := range st.Timeline {
		out.Timeline = append(out.Timeline, SessionSpan{Account: s.AccountName, Start: s.Start.UTC(), End: exactOrNil(s.End),
			Expires: exactOrNil(s.Expires), Requests: s.Requests, StartReason: s.StartReason, EndReason: s.EndReason})
	}
	for _, a := range st.Accounts {
		name := a.AccountName
		if a.AccountID == "" {
			name = PassThroughName
		}
		out.Accounts = append(out.Accounts, AccountStats{Account: name, ID: a.AccountID, Share: a.Share,
			RateLimitEvents: a.RateLimitEvents, Totals: totalsJSON(a.Totals, a.CostUSD),
			Failovers:     failoversJSON(a.Failovers, a.FailoverRequests, a.Requests),
			FailoversFrom: a.FailoversFrom, Sessions: sessionsJSON(a.Sessions), Latency: latencyJSON(a.Latency)})
		if st.Series.Bucket > 0 {
			out.Series.Accounts = append(out.Series.Accounts, SeriesAccount{Account: name, ID: a.AccountID,
				SeriesPoints: pointsJSON(a.Series)})
		}
	}
	return out
}

// WindowName writes a window the way ParseWindow reads it: 1h, 24h, 7d.
func WindowName(d time.Duration) string {
	if d%(24*time.Hour) == 0 && d >= 48*time.Hour {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}

// BucketName writes a series bucket size: 5m, 1h, 6h, 1d.
func BucketName(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// ParseWindow reads a stats window: 1h, 24h, 7d, 30d, or any Go duration
// (plus "Nd" for days) from one minute to a year.
func ParseWindow(v string) (time.Duration, error) {
	if v == "" {
		return 24 * time.Hour, nil
	}
	var d time.Duration
	if n, err := strconv.Atoi(v[:len(v)-1]); err == nil && v[len(v)-1] == 'd' {
		if n < 0 || n > 366 {
			// Checked before multiplying: a huge count of days would
			// overflow into some short window.
			return 0, fmt.Errorf("window: must be between 1m and 366d, got %q", v)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else if d, err = time.ParseDuration(v); err != nil {
		return 0, fmt.Errorf("window: must be like 1h, 24h, 7d or 30d, got %q", v)
	}
	if d < time.Minute || d > 366*24*time.Hour {
		return 0, fmt.Errorf("window: must be between 1m and 366d, got %q", v)
	}
	return d, nil
}

// exactOrNil is t to the millisecond the store keeps, or nil when zero: a
// timeline's ends must meet its starts exactly.
func exactOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
