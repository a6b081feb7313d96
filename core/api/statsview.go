package api

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/claudeflare/claudeflare/core/store"
)

// TotalsJSON are request and token counts.
type TotalsJSON struct {
	Requests            int64 `json:"requests"`
	Errors              int64 `json:"errors"`
	InputTokens         int64 `json:"input_tokens"`
	OutputTokens        int64 `json:"output_tokens"`
	CacheReadTokens     int64 `json:"cache_read_tokens"`
	CacheCreationTokens int64 `json:"cache_creation_tokens"`
}

// AccountStatsJSON is one account's figures.
type AccountStatsJSON struct {
	Account         string  `json:"account"`
	ID              string  `json:"id,omitempty"`
	Share           float64 `json:"share"`
	RateLimitEvents int64   `json:"rate_limit_events"`
	TotalsJSON
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
}

// FailoversJSON: how often requests had to leave their first account.
type FailoversJSON struct {
	Count    int64   `json:"count"`    // failovers in all
	Requests int64   `json:"requests"` // requests that needed at least one
	Rate     float64 `json:"rate"`     // requests that needed one / all requests
}

func totalsJSON(t store.Totals) TotalsJSON {
	return TotalsJSON{Requests: t.Requests, Errors: t.Errors, InputTokens: t.InputTokens, OutputTokens: t.OutputTokens,
		CacheReadTokens: t.CacheReadTokens, CacheCreationTokens: t.CacheCreationTokens}
}

// StatsView converts store figures for output.
func StatsView(st store.Stats, window time.Duration) StatsJSON {
	out := StatsJSON{
		Window: windowName(window), Since: st.Since.UTC(), Until: st.Until.UTC(), Total: totalsJSON(st.Total),
		Accounts:        make([]AccountStatsJSON, 0, len(st.Accounts)),
		Failovers:       FailoversJSON{Count: st.Failovers, Requests: st.FailoverRequests},
		RateLimitEvents: st.RateLimitEvents,
	}
	if st.Total.Requests > 0 {
		out.Failovers.Rate = float64(st.FailoverRequests) / float64(st.Total.Requests)
	}
	for _, a := range st.Accounts {
		name := a.AccountName
		if a.AccountID == "" {
			name = "(no account: passed through)"
		}
		out.Accounts = append(out.Accounts, AccountStatsJSON{Account: name, ID: a.AccountID, Share: a.Share,
			RateLimitEvents: a.RateLimitEvents, TotalsJSON: totalsJSON(a.Totals)})
	}
	return out
}

func windowName(d time.Duration) string {
	if d%(24*time.Hour) == 0 && d >= 48*time.Hour {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}

// PrintStats writes the figures as a readable table.
func PrintStats(w io.Writer, s StatsJSON) {
	fmt.Fprintf(w, "Claudeflare usage, last %s (since %s)\n\n", s.Window, s.Since.Local().Format("2006-01-02 15:04"))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ACCOUNT\tREQUESTS\tSHARE\tERRORS\tRATE LIMITS\tINPUT\tOUTPUT\tCACHE READ\tCACHE WRITE\t")
	for _, a := range s.Accounts {
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%\t%d\t%d\t%d\t%d\t%d\t%d\t\n", a.Account, a.Requests, a.Share*100, a.Errors,
			a.RateLimitEvents, a.InputTokens, a.OutputTokens, a.CacheReadTokens, a.CacheCreationTokens)
	}
	t := s.Total
	fmt.Fprintf(tw, "total\t%d\t\t%d\t%d\t%d\t%d\t%d\t%d\t\n", t.Requests, t.Errors, s.RateLimitEvents,
		t.InputTokens, t.OutputTokens, t.CacheReadTokens, t.CacheCreationTokens)
	tw.Flush()
	fmt.Fprintf(w, "\nFailovers: %d (%d requests, %.1f%% of all)\n", s.Failovers.Count, s.Failovers.Requests, s.Failovers.Rate*100)
}
