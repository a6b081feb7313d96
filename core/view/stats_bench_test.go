package view_test

import (
	"encoding/json"
	"fmt"
	"github.com/claudeflare/claudeflare/core/session"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/store"
	"github.com/claudeflare/claudeflare/core/view"
)

// benchRows is how many request rows BenchmarkStats puts in the database:
// a month of very heavy use (one request every 2.6 s, day and night).
const benchRows = 1_000_000

// fillBench writes benchRows request rows spread over the 30 days before
// now, in one transaction, with realistic models, tokens, latencies, errors
// and failovers, plus the events and sessions that go with them.
func fillBench(b *testing.B, db *store.DB, now time.Time) {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	names := []string{"work", "personal", "spare"}
	for i, n := range names {
		a := account.Account{ID: fmt.Sprintf("id-%024d", i), Name: n, Kind: account.KindOAuth, CreatedAt: now.Add(-40 * 24 * time.Hour)}
		if err := db.InsertAccount(b.Context(), a); err != nil {
			b.Fatal(err)
		}
	}
	models := []string{"claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929",
		"claude-opus-4-1-20250805", "claude-haiku-4-5-20251001"}
	logNormal := func(median, sigma float64) time.Duration {
		return time.Duration(median * math.Exp(sigma*r.NormFloat64()) * float64(time.Millisecond))
	}
	span := 30 * 24 * time.Hour
	recs := make([]store.Record, 0, benchRows+benchRows/50)
	for i := range benchRows {
		start := now.Add(-span + span/benchRows*time.Duration(i))
		k := (i / 7000) % len(names) // a session's worth of requests on one account
		row := store.RequestRow{
			ID: fmt.Sprintf("r%07d", i), Start: start, Method: "POST", Path: "/v1/messages",
			AccountID: fmt.Sprintf("id-%024d", k), AccountName: names[k], Status: 200, Streamed: true,
			Model: models[r.IntN(len(models))], InputTokens: int64(5 + r.IntN(2000)), OutputTokens: int64(50 + r.IntN(2000)),
			CacheReadTokens: int64(20_000 + r.IntN(60_000)), CacheCreationTokens: int64(r.IntN(5000)),
		}
		row.TTFB = logNormal(900, 0.6)
		row.Duration = row.TTFB + logNormal(8000, 0.8)
		switch x := r.IntN(1000); {
		case x < 5: // failed over from the previous account
			row.Failovers = 1
			from := (k + 2) % len(names)
			recs = append(recs, store.Event{At: start, AccountID: fmt.Sprintf("id-%024d", from), AccountName: names[from],
				Kind: store.EventFailover, Detail: "overloaded (529)"})
		case x < 15:
			row.Status, row.Error = 400, "invalid_request_error"
		case x < 18:
			row.Status, row.TTFB, row.Duration, row.Error = 503, 0, time.Millisecond, "api_error: no account"
		}
		recs = append(recs, row)
		if i%7000 == 0 {
			end := start.Add(5 * time.Hour)
			reason := session.EndExpired
			if r.IntN(4) == 0 {
				end, reason = start.Add(time.Duration(r.IntN(300))*time.Minute), session.EndRateLimit
				recs = append(recs, store.Event{At: end, AccountID: row.AccountID, AccountName: row.AccountName,
					Kind: store.EventRateLimited, Until: end.Add(time.Hour)})
			}
			recs = append(recs, store.Session{Period: session.Period{AccountID: row.AccountID, AccountName: row.AccountName, Start: start,
				Expires: start.Add(5 * time.Hour), End: end, Requests: 7000, StartReason: session.StartExpired, EndReason: reason}})
		}
	}
	if err := db.Write(b.Context(), recs); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStats times GET /api/stats's work (DB.Stats, the view and its
// JSON) on a database of a million request rows, for the 1 h, 24 h, 7 d and
// 30 d windows. The goal is under 100 ms each. Filling the database takes
// a while (about 15 s); like every benchmark it runs only with -bench.
func BenchmarkStats(b *testing.B) {
	if testing.Short() {
		b.Skip("fills a database with a million rows")
	}
	db, err := store.Open(filepath.Join(b.TempDir(), "claudeflare.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	t0 := time.Now()
	fillBench(b, db, now)
	b.Logf("filled %d rows in %v", benchRows, time.Since(t0).Round(time.Millisecond))

	for _, w := range []string{"1h", "24h", "7d", "30d"} {
		b.Run(w, func(b *testing.B) {
			window, err := view.ParseWindow(w)
			if err != nil {
				b.Fatal(err)
			}
			var total int64
			for b.Loop() {
				st, err := db.Stats(b.Context(), now.Add(-window), now)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := json.Marshal(view.StatsOf(st, window)); err != nil {
					b.Fatal(err)
				}
				total = st.Total.Requests
			}
			b.ReportMetric(float64(total), "rows")
		})
	}
}
