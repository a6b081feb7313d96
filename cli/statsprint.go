package cli

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

	"github.com/claudeflare/claudeflare/core/view"
)

// PrintStats writes the figures as readable tables.
func PrintStats(w io.Writer, s view.Stats) { printStats(w, s, time.Local) }

func printStats(w io.Writer, s view.Stats, loc *time.Location) {
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

	table("SESSIONS|STARTED|ENDED|AVG LENGTH|AVG REQUESTS|ENDED BY RATE LIMIT|OPEN (SO FAR)", func(tw io.Writer) {
		row := func(name string, x view.Sessions) {
			avgLen, avgReq, open := "-", "-", count(x.Open)
			if x.Ended > 0 {
				avgLen = sessionLength(x.AvgLengthSeconds)
				avgReq = strconv.FormatFloat(x.AvgRequests, 'f', 1, 64)
			}
			if x.Open > 0 {
				// Running sessions: their length so far, apart from the
				// averages of the ended ones.
				open += " (" + sessionLength(x.OpenLengthSeconds) + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", pad(name), count(x.Count), count(x.Ended),
				avgLen, avgReq, count(x.EndedByRateLimit), open)
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
		row := func(name string, l view.Latency) {
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
func sessionLength(sec float64) string { return view.Length(time.Duration(sec * float64(time.Second))) }

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
