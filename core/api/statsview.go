package api

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/claudeflare/claudeflare/core/store"
)

// CostNote says what cost_usd_estimate is.
const CostNote = "cost_usd_estimate is an estimate at Anthropic's list prices per model family " +
	"(USD; 5-minute cache writes), not a bill: subscriptions, discounts and long-context pricing are not counted"

// TotalsJSON are request and token counts.
type TotalsJSON struct {
	Requests            int64   `json:"requests"`
	Errors              int64   `json:"errors"`
	InputTokens         int64   `json:"input_tokens"`
	OutputTokens        int64   `json:"output_tokens"`
	CacheReadTokens     int64   `json:"cache_read_tokens"`
	CacheCreationTokens int64   `json:"cache_creation_tokens"`
	CostUSDEstimate     float64 `json:"cost_usd_estimate"` // see CostNote
}

// AccountStatsJSON is one account's figures.
type AccountStatsJSON struct {
	Account         string  `json:"account"`
	ID              string  `json:"id,omitempty"`
	Share           float64 `json:"share"`
	RateLimitEvents int64   `json:"rate_limit_events"`
	TotalsJSON
	// Failovers are those of the requests this account answered: how many
	// of them needed one (another account failed first).
	Failovers FailoversJSON `json:"failovers"`
	// FailoversFrom counts the failovers away from this account: it failed
	// and the next candidate was tried.
	FailoversFrom int64        `json:"failovers_from"`
	Sessions      SessionsJSON `json:"sessions"`
	Latency       LatencyJSON  `json:"latency"`
}

// StatsJSON is the body of GET /api/stats and `claudeflare stats --json`.
type StatsJSON struct {
	Window          string             `json:"window"`
	Since           time.Time          `json:"since"`
	Until           time.Time          `json:"until"`
	Total           TotalsJSON         `json:"total"`
	Accounts        []AccountStatsJSON `json:"accounts"`
	Failovers       FailoversJSON      `json:"failovers"`
	RateLimitEvents int64              `json:"rate_limit_events"`
	CostNote        string             `json:"cost_note"`
	// UnpricedModels are models with tokens in the window but no known
	// price: their tokens are not in the cost estimates.
	UnpricedModels []string     `json:"unpriced_models"`
	Sessions       SessionsJSON `json:"sessions"`
	Latency        LatencyJSON  `json:"latency"`
	Series         SeriesJSON   `json:"series"`
}

// FailoversJSON: how often requests had to leave their first account.
type FailoversJSON struct {
	Count    int64   `json:"count"`    // failovers in all
	Requests int64   `json:"requests"` // requests that needed at least one
	Rate     float64 `json:"rate"`     // requests that needed one / all requests
}

// SessionsJSON describe the sessions that started in the window; the
// averages are over the ones that have ended.
type SessionsJSON struct {
	Count            int64            `json:"count"`
	Ended            int64            `json:"ended"`
	Open             int64            `json:"open"`
	AvgLengthSeconds float64          `json:"avg_length_seconds"`
	AvgRequests      float64          `json:"avg_requests"`
	EndedByRateLimit int64            `json:"ended_by_rate_limit"`
	EndReasons       map[string]int64 `json:"end_reasons"` // expired, rate_limit, needs_login, failover, pause, removed, unavailable
}

// LatencyJSON are percentiles, in milliseconds, of the requests that got an
// upstream answer: nearest-rank, rounded up to two significant digits.
type LatencyJSON struct {
	Samples    int64           `json:"samples"`
	TTFBMs     PercentilesJSON `json:"ttfb_ms"`
	DurationMs PercentilesJSON `json:"duration_ms"`
}

// PercentilesJSON are 0 when there are no samples.
type PercentilesJSON struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
}

// SeriesJSON is a time series for charts: point i of every array is the
// bucket starting at Starts[i] (aligned to UTC; the first and last are cut
// by the window). Accounts are in the order of StatsJSON.Accounts.
type SeriesJSON struct {
	Bucket        string              `json:"bucket"`
	BucketSeconds int64               `json:"bucket_seconds"`
	Starts        []time.Time         `json:"starts"`
	Total         SeriesPointsJSON    `json:"total"`
	Accounts      []SeriesAccountJSON `json:"accounts"`
}

// SeriesPointsJSON are the counts per bucket.
type SeriesPointsJSON struct {
	Requests            []int64 `json:"requests"`
	InputTokens         []int64 `json:"input_tokens"`
	OutputTokens        []int64 `json:"output_tokens"`
	CacheReadTokens     []int64 `json:"cache_read_tokens"`
	CacheCreationTokens []int64 `json:"cache_creation_tokens"`
}

// SeriesAccountJSON is one account's series.
type SeriesAccountJSON struct {
	Account string `json:"account"`
	ID      string `json:"id,omitempty"`
	SeriesPointsJSON
}

// PassThroughName names the requests no account answered.
const PassThroughName = "(no account: passed through)"

func totalsJSON(t store.Totals, cost float64) TotalsJSON {
	return TotalsJSON{Requests: t.Requests, Errors: t.Errors, InputTokens: t.InputTokens, OutputTokens: t.OutputTokens,
		CacheReadTokens: t.CacheReadTokens, CacheCreationTokens: t.CacheCreationTokens, CostUSDEstimate: roundCost(cost)}
}

// roundCost keeps a millionth of a dollar.
func roundCost(c float64) float64 { return math.Round(c*1e6) / 1e6 }

func failoversJSON(count, requests, all int64) FailoversJSON {
	f := FailoversJSON{Count: count, Requests: requests}
	if all > 0 {
		f.Rate = float64(requests) / float64(all)
	}
	return f
}

func sessionsJSON(s store.SessionStats) SessionsJSON {
	out := SessionsJSON{Count: s.Started, Ended: s.Ended, Open: s.Open(), AvgRequests: s.AvgRequests(),
		EndedByRateLimit: s.EndedByRateLimit(), EndReasons: maps.Clone(s.EndReasons)}
	if s.Ended > 0 {
		out.AvgLengthSeconds = s.EndedLength.Seconds() / float64(s.Ended)
	}
	if out.EndReasons == nil {
		out.EndReasons = map[string]int64{}
	}
	return out
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func latencyJSON(l store.Latency) LatencyJSON {
	return LatencyJSON{Samples: l.Samples,
		TTFBMs:     PercentilesJSON{P50: msOf(l.TTFB.P50), P90: msOf(l.TTFB.P90), P99: msOf(l.TTFB.P99)},
		DurationMs: PercentilesJSON{P50: msOf(l.Duration.P50), P90: msOf(l.Duration.P90), P99: msOf(l.Duration.P99)}}
}

func pointsJSON(pts []store.Totals) SeriesPointsJSON {
	p := SeriesPointsJSON{Requests: make([]int64, len(pts)), InputTokens: make([]int64, len(pts)),
		OutputTokens: make([]int64, len(pts)), CacheReadTokens: make([]int64, len(pts)), CacheCreationTokens: make([]int64, len(pts))}
	for i, t := range pts {
		p.Requests[i], p.InputTokens[i], p.OutputTokens[i] = t.Requests, t.InputTokens, t.OutputTokens
		p.CacheReadTokens[i], p.CacheCreationTokens[i] = t.CacheReadTokens, t.CacheCreationTokens
	}
	return p
}

// StatsView converts store figures for output.
func StatsView(st store.Stats, window time.Duration) StatsJSON {
	out := StatsJSON{
		Window: windowName(window), Since: st.Since.UTC(), Until: st.Until.UTC(), Total: totalsJSON(st.Total, st.CostUSD),
		Accounts:        make([]AccountStatsJSON, 0, len(st.Accounts)),
		Failovers:       failoversJSON(st.Failovers, st.FailoverRequests, st.Total.Requests),
		RateLimitEvents: st.RateLimitEvents,
		CostNote:        CostNote,
		UnpricedModels:  append([]string{}, st.UnpricedModels...),
		Sessions:        sessionsJSON(st.Sessions),
		Latency:         latencyJSON(st.Latency),
		Series: SeriesJSON{Bucket: bucketName(st.Series.Bucket), BucketSeconds: int64(st.Series.Bucket / time.Second),
			Starts: make([]time.Time, len(st.Series.Starts)), Total: pointsJSON(st.Series.Total),
			Accounts: make([]SeriesAccountJSON, 0, len(st.Accounts))},
	}
	for i, s := range st.Series.Starts {
		out.Series.Starts[i] = s.UTC()
	}
	for _, a := range st.Accounts {
		name := a.AccountName
		if a.AccountID == "" {
			name = PassThroughName
		}
		out.Accounts = append(out.Accounts, AccountStatsJSON{Account: name, ID: a.AccountID, Share: a.Share,
			RateLimitEvents: a.RateLimitEvents, TotalsJSON: totalsJSON(a.Totals, a.CostUSD),
			Failovers:     failoversJSON(a.Failovers, a.FailoverRequests, a.Requests),
			FailoversFrom: a.FailoversFrom, Sessions: sessionsJSON(a.Sessions), Latency: latencyJSON(a.Latency)})
		if st.Series.Bucket > 0 {
			out.Series.Accounts = append(out.Series.Accounts, SeriesAccountJSON{Account: name, ID: a.AccountID,
				SeriesPointsJSON: pointsJSON(a.Series)})
		}
	}
	return out
}

// windowName writes a window the way ParseWindow reads it: 1h, 24h, 7d.
func windowName(d time.Duration) string {
	if d%(24*time.Hour) == 0 && d >= 48*time.Hour {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}

// bucketName writes a series bucket size: 5m, 1h, 6h, 1d.
func bucketName(d time.Duration) string {
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

// PrintStats writes the figures as readable tables.
func PrintStats(w io.Writer, s StatsJSON) { printStats(w, s, time.Local) }

func printStats(w io.Writer, s StatsJSON, loc *time.Location) {
	const day = "2006-01-02 15:04"
	fmt.Fprintf(w, "Claudeflare usage, last %s (%s to %s)\n\n", s.Window, s.Since.In(loc).Format(day), s.Until.In(loc).Format(day))
	names := make([]string, 0, len(s.Accounts)+1)
	for _, a := range s.Accounts {
		names = append(names, a.Account)
	}
	names = append(names, "total")
	width := len("SESSIONS") // the longest first-column header
	for _, n := range names {
		width = max(width, len(n))
	}
	pad := func(n string) string { return n + strings.Repeat(" ", width-len(n)) }
	table := func(header string, rows func(tw io.Writer)) {
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
		cols := strings.Split(header, "|")
		fmt.Fprintf(tw, "%s\t%s\t\n", pad(cols[0]), strings.Join(cols[1:], "\t"))
		rows(tw)
		tw.Flush()
	}

	table("ACCOUNT|REQUESTS|SHARE|ERRORS|RATE LIMITS|FAILOVERS FROM|INPUT|OUTPUT|CACHE READ|CACHE WRITE|EST. COST", func(tw io.Writer) {
		for _, a := range s.Accounts {
			fmt.Fprintf(tw, "%s\t%s\t%.1f%%\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", pad(a.Account), count(a.Requests),
				a.Share*100, count(a.Errors), count(a.RateLimitEvents), count(a.FailoversFrom), count(a.InputTokens),
				count(a.OutputTokens), count(a.CacheReadTokens), count(a.CacheCreationTokens), dollars(a.CostUSDEstimate))
		}
		t := s.Total
		var from int64
		for _, a := range s.Accounts {
			from += a.FailoversFrom
		}
		fmt.Fprintf(tw, "%s\t%s\t\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", pad("total"), count(t.Requests), count(t.Errors),
			count(s.RateLimitEvents), count(from), count(t.InputTokens), count(t.OutputTokens), count(t.CacheReadTokens),
			count(t.CacheCreationTokens), dollars(t.CostUSDEstimate))
	})
	fmt.Fprintf(w, "\nFailovers: %s (%s requests needed one, %.1f%% of all)\n\n", count(s.Failovers.Count),
		count(s.Failovers.Requests), s.Failovers.Rate*100)

	table("SESSIONS|STARTED|ENDED|OPEN|AVG LENGTH|AVG REQUESTS|ENDED BY RATE LIMIT", func(tw io.Writer) {
		row := func(name string, x SessionsJSON) {
			avgLen, avgReq := "-", "-"
			if x.Ended > 0 {
				avgLen = sessionLength(x.AvgLengthSeconds)
				avgReq = strconv.FormatFloat(x.AvgRequests, 'f', 1, 64)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", pad(name), count(x.Count), count(x.Ended), count(x.Open),
				avgLen, avgReq, count(x.EndedByRateLimit))
		}
		for _, a := range s.Accounts {
			row(a.Account, a.Sessions)
		}
		row("total", s.Sessions)
	})
	if len(s.Sessions.EndReasons) > 0 {
		var parts []string
		for _, r := range slices.Sorted(maps.Keys(s.Sessions.EndReasons)) {
			parts = append(parts, fmt.Sprintf("%s %d", r, s.Sessions.EndReasons[r]))
		}
		fmt.Fprintf(w, "\nSessions ended by: %s\n", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)

	table("LATENCY|ANSWERS|TTFB P50|TTFB P90|TTFB P99|TOTAL P50|TOTAL P90|TOTAL P99", func(tw io.Writer) {
		row := func(name string, l LatencyJSON) {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", pad(name), count(l.Samples),
				latency(l.Samples, l.TTFBMs.P50), latency(l.Samples, l.TTFBMs.P90), latency(l.Samples, l.TTFBMs.P99),
				latency(l.Samples, l.DurationMs.P50), latency(l.Samples, l.DurationMs.P90), latency(l.Samples, l.DurationMs.P99))
		}
		for _, a := range s.Accounts {
			row(a.Account, a.Latency)
		}
		row("total", s.Latency)
	})

	if s.Series.Bucket != "" {
		fmt.Fprintf(w, "\nRequests per %s, oldest first: %s\n", s.Series.Bucket, sparkline(s.Series.Total.Requests))
	}
	fmt.Fprintf(w, "\nEST. COST is an estimate at list prices per model family (USD), not a bill.")
	if len(s.UnpricedModels) > 0 {
		fmt.Fprintf(w, " No price known for: %s.", strings.Join(s.UnpricedModels, ", "))
	}
	fmt.Fprintln(w)
}

// count writes n with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

func dollars(c float64) string {
	if c > 0 && c < 0.01 {
		return fmt.Sprintf("$%.4f", c)
	}
	cents := int64(math.Round(c * 100))
	return fmt.Sprintf("$%s.%02d", count(cents/100), cents%100)
}

// latency writes a percentile in milliseconds, "-" without samples.
func latency(samples int64, ms float64) string {
	switch {
	case samples == 0:
		return "-"
	case ms < 1000:
		return strconv.FormatFloat(ms, 'f', -1, 64) + "ms"
	}
	return strconv.FormatFloat(ms/1000, 'f', -1, 64) + "s"
}

// sessionLength writes a length in seconds as 1h20m, 10m40s, 45s.
func sessionLength(sec float64) string {
	d := time.Duration(math.Round(sec)) * time.Second
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// sparkline draws counts as block characters, "·" for none.
func sparkline(v []int64) string {
	const bars = "▁▂▃▄▅▆▇█"
	top := slices.Max(append([]int64{0}, v...))
	var b strings.Builder
	for _, n := range v {
		if n <= 0 {
			b.WriteString("·")
			continue
		}
		i := int((n*8 - 1) / top)
		b.WriteString(string([]rune(bars)[min(i, 7)]))
	}
	return b.String()
}
