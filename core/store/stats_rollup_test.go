package store

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/claudeflare/claudeflare/core/session"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

// randomRows makes n request rows spread over three days from t0, with
// every kind of account, model, status, latency and failover.
func randomRows(r *rand.Rand, t0 time.Time, n int) []RequestRow {
	ids := []string{"id-a", "id-b", "", "id-z"}
	models := []string{sonnet, opus, haiku, "", "claude-x"}
	statuses := []int{200, 200, 200, 200, 400, 429, 499, 500, 503, 529}
	rows := make([]RequestRow, n)
	for i := range rows {
		id := ids[r.IntN(len(ids))]
		row := RequestRow{
			ID: fmt.Sprint(i), Start: t0.Add(time.Duration(r.Int64N(int64(72 * time.Hour))).Truncate(time.Millisecond)),
			AccountID: id, AccountName: "name-" + id, Status: statuses[r.IntN(len(statuses))],
			Model: models[r.IntN(len(models))], InputTokens: r.Int64N(5000), OutputTokens: r.Int64N(3000),
			CacheReadTokens: r.Int64N(90000), CacheCreationTokens: r.Int64N(9000), Failovers: max(0, r.IntN(6)-3),
		}
		if id == "" {
			row.AccountName = ""
		}
		if r.IntN(9) == 0 {
			row.Error = "upstream stream broke"
		}
		if r.IntN(5) > 0 {
			row.TTFB = time.Duration(1+r.Int64N(int64(math.Pow(10, float64(2+r.IntN(6)))))) * time.Microsecond
			row.Duration = row.TTFB + time.Duration(r.Int64N(60_000_000))*time.Microsecond
		}
		rows[i] = row
	}
	return rows
}

// naiveStats works out the request figures of [lo, hi) from the rows alone.
func naiveStats(rows []RequestRow, since, until time.Time) Stats {
	st := Stats{Since: since, Until: until}
	lo, hi := window(since, until)
	var bucket, first int64
	n := 0
	if !since.IsZero() && !until.IsZero() && lo < hi {
		bucket = SeriesBucket(time.Duration(hi-lo) * time.Millisecond).Milliseconds()
		first = floorTo(lo, bucket)
		n = int((hi - first + bucket - 1) / bucket)
		st.Series = Series{Bucket: time.Duration(bucket) * time.Millisecond, Total: make([]Totals, n), Starts: make([]time.Time, n)}
		for k := range n {
			st.Series.Starts[k] = fromMillis(first + int64(k)*bucket)
		}
	}
	byID := map[string]*AccountStats{}
	hists := map[string]*[2]hist{}
	var all [2]hist
	unpriced := map[string]bool{}
	for _, r := range rows {
		start := millis(r.Start)
		if start < lo || start >= hi {
			continue
		}
		a := byID[r.AccountID]
		if a == nil {
			a = &AccountStats{AccountID: r.AccountID, AccountName: r.AccountName}
			if n > 0 {
				a.Series = make([]Totals, n)
			}
			byID[r.AccountID] = a
			hists[r.AccountID] = new([2]hist)
		}
		t := Totals{Requests: 1, InputTokens: r.InputTokens, OutputTokens: r.OutputTokens,
			CacheReadTokens: r.CacheReadTokens, CacheCreationTokens: r.CacheCreationTokens}
		if r.Status >= 400 || r.Error != "" {
			t.Errors = 1
		}
		a.Totals.add(t)
		st.Total.add(t)
		a.Failovers += int64(r.Failovers)
		st.Failovers += int64(r.Failovers)
		if r.Failovers > 0 {
			a.FailoverRequests++
			st.FailoverRequests++
		}
		if p, ok := PriceOf(r.Model); ok {
			a.CostUSD += p.Cost(t)
			st.CostUSD += p.Cost(t)
		} else if t.Tokens() > 0 {
			unpriced[r.Model] = true
		}
		if n > 0 {
			k := (start - first) / bucket
			a.Series[k].add(t)
			st.Series.Total[k].add(t)
		}
		if r.TTFB > 0 {
			for _, h := range []*[2]hist{hists[r.AccountID], &all} {
				h[latencyTTFB][binIndex(micros(r.TTFB))]++
				h[latencyDuration][binIndex(micros(r.Duration))]++
			}
		}
	}
	for _, id := range []string{"id-a", "id-b", "id-z", ""} {
		if a := byID[id]; a != nil {
			a.Share = float64(a.Requests) / float64(st.Total.Requests)
			a.Latency = latencyOf(hists[id])
			st.Accounts = append(st.Accounts, *a)
		}
	}
	st.Latency = latencyOf(&all)
	for m := range unpriced {
		st.UnpricedModels = append(st.UnpricedModels, m)
	}
	slices.Sort(st.UnpricedModels)
	return st
}

// compareNaive checks the request figures of db.Stats against naiveStats.
func compareNaive(t *testing.T, db *DB, rows []RequestRow, since, until time.Time) {
	t.Helper()
	got, err := db.Stats(t.Context(), since, until)
	if err != nil {
		t.Fatal(err)
	}
	want := naiveStats(rows, since, until)
	// Keep only the entries with requests: the random data has no events,
	// sessions or accounts table.
	got.Accounts = slices.DeleteFunc(got.Accounts, func(a AccountStats) bool { return a.Requests == 0 })
	got.Sessions = SessionStats{}
	checkStats(t, got, want)
}

func TestStatsMatchRowsForAnyWindow(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 11))
	t0 := time.Date(2026, 3, 10, 0, 17, 0, 123_000_000, time.UTC)
	rows := randomRows(r, t0, 3000)
	db := newTestDB(t)
	// Written in batches of every size, as the Writer does.
	for rest := rows; len(rest) > 0; {
		k := min(len(rest), 1+r.IntN(700))
		recs := make([]Record, k)
		for i := range k {
			recs[i] = rest[i]
		}
		mustWrite(t, db, recs...)
		rest = rest[k:]
	}
	windows := [][2]time.Time{
		{t0, t0.Add(72 * time.Hour)},
		{t0.Truncate(time.Hour), t0.Truncate(time.Hour).Add(48 * time.Hour)},
		{t0.Add(-time.Hour), t0.Add(80 * time.Hour)},
		{t0.Add(30 * time.Minute), t0.Add(90 * time.Minute)},
		{{}, {}},
	}
	for range 16 {
		lo := t0.Add(time.Duration(r.Int64N(int64(74*time.Hour))) - time.Hour).Truncate(time.Millisecond)
		windows = append(windows, [2]time.Time{lo, lo.Add(time.Duration(1 + r.Int64N(int64(80*time.Hour)))).Truncate(time.Millisecond)})
	}
	check := func(rows []RequestRow, windows [][2]time.Time) {
		for _, w := range windows {
			t.Run(fmt.Sprintf("%s+%s", w[0].Format(time.DateTime), w[1].Sub(w[0])), func(t *testing.T) {
				compareNaive(t, db, rows, w[0], w[1])
			})
		}
	}
	check(rows, windows)

	// Retention keeps the rollups exact, whatever the chunks cut through.
	for _, cut := range []time.Time{t0.Add(90*time.Minute + 17*time.Millisecond), t0.Add(25 * time.Hour), t0.Add(25 * time.Hour)} {
		if _, err := db.deleteBefore(t.Context(), cut, 97); err != nil {
			t.Fatal(err)
		}
		rows = slices.DeleteFunc(rows, func(r RequestRow) bool { return r.Start.Before(cut) })
		check(rows, windows[:10])
	}
	// Rollup rows of deleted hours are gone, not left at zero.
	var stale int
	if err := db.r.QueryRow(`SELECT (SELECT COUNT(*) FROM request_hours WHERE hour < ?) +
		(SELECT COUNT(*) FROM latency_hours WHERE hour < ?)`, millis(t0.Add(24*time.Hour)), millis(t0.Add(24*time.Hour))).Scan(&stale); err != nil || stale != 0 {
		t.Errorf("%d rollup rows left before the cut (%v)", stale, err)
	}
}

func TestOpenBuildsRollupsOfAVersion1Database(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "claudeflare.db")
	raw, err := sql.Open("sqlite", dsnPath(path)+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(t.Context(), raw, migrations[:1]); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 10, 0, 17, 0, 123_000_000, time.UTC)
	rows := randomRows(rand.New(rand.NewPCG(3, 5)), t0, 1500)
	tx, err := raw.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if _, err := tx.Exec(requestInsertSQL, requestArgs(&rows[i])...); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	for range 2 { // the second open finds nothing left to build
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var pending int
		db.r.QueryRow(`SELECT COUNT(*) FROM stats_rebuild`).Scan(&pending)
		if pending != 0 {
			t.Errorf("rebuild still pending")
		}
		compareNaive(t, db, rows, t0.Truncate(time.Hour), t0.Add(72*time.Hour))
		compareNaive(t, db, rows, t0.Add(5*time.Hour+time.Minute), t0.Add(29*time.Hour))
		db.Close()
	}
}

func TestNewDatabaseNeedsNoRebuild(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	var pending int
	if err := db.r.QueryRow(`SELECT COUNT(*) FROM stats_rebuild`).Scan(&pending); err != nil || pending != 0 {
		t.Errorf("pending %d, %v", pending, err)
	}
}

func TestHistEncoding(t *testing.T) {
	t.Parallel()
	var h hist
	h[0], h[5], h[200], h[binCount-1] = 1, 300, 1<<40, 7
	var back hist
	if err := decodeHist(encodeHist(&h), &back); err != nil || back != h {
		t.Fatalf("round trip: %v", err)
	}
	for _, bad := range [][]byte{{0x80}, {1}, {1, 0x80}, {0xff, 0xff, 0x01, 1}} {
		if err := decodeHist(bad, &back); err == nil {
			t.Errorf("decodeHist(%x) accepted", bad)
		}
	}
}

func TestStatsCancelled(t *testing.T) {
	t.Parallel()
	db := seedStats(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := db.Stats(ctx, base, base.Add(time.Hour)); err == nil {
		t.Error("Stats ignored a cancelled context")
	}
}

func TestSessionsRecordAndEndOnce(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	open := Session{Period: session.Period{AccountID: "id-a", AccountName: "alice", Start: base, Expires: base.Add(5 * time.Hour), StartReason: session.StartFirst}}
	mustWrite(t, db, open)
	open.Requests, open.Expires = 3, base.Add(4*time.Hour) // a shorter session duration
	mustWrite(t, db, open)
	ended := open
	ended.Requests, ended.End, ended.EndReason = 4, base.Add(time.Hour), session.EndRateLimit
	mustWrite(t, db, ended)
	// Neither an update of the open session nor a second end change it now.
	late := open
	late.Requests = 9
	again := ended
	again.End, again.EndReason = base.Add(2*time.Hour), session.EndExpired
	mustWrite(t, db, late, &again, (*Session)(nil))
	// A session recorded only when it ends.
	other := Session{Period: session.Period{AccountID: "id-b", AccountName: "bob", Start: base.Add(time.Minute), Expires: base.Add(5 * time.Hour),
		End: base.Add(2 * time.Minute), Requests: 1, StartReason: session.StartFailover, EndReason: session.EndPause}}
	mustWrite(t, db, &other)

	got, err := db.Sessions(t.Context(), time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Session{ended, other}; !reflect.DeepEqual(got, want) {
		t.Errorf("got\n %+v\nwant %+v", got, want)
	}
	if got, _ := db.Sessions(t.Context(), base.Add(time.Second), time.Time{}); len(got) != 1 || got[0].AccountID != "id-b" {
		t.Errorf("window: %+v", got)
	}
}

func TestDeleteRequestsBeforeDeletesSessions(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	mustWrite(t, db,
		Session{Period: session.Period{AccountID: "a", Start: base.Add(-time.Hour), End: base.Add(-time.Minute), EndReason: session.EndExpired}},
		Session{Period: session.Period{AccountID: "a", Start: base}},
	)
	if _, err := db.DeleteRequestsBefore(t.Context(), base); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Sessions(t.Context(), time.Time{}, time.Time{}); len(got) != 1 || !got[0].Start.Equal(base) {
		t.Errorf("left %+v", got)
	}
}
