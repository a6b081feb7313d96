package store

import (
	"fmt"
	"github.com/claudeflare/claudeflare/core/session"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
)

const (
	sonnet = "claude-sonnet-4-5-20250929"
	opus   = "claude-opus-4-1-20250805"
	haiku  = "claude-haiku-4-5-20251001"
)

// seedStats fills a database around base (09:26:53.589); the expected
// figures below are worked out by hand from it.
func seedStats(t *testing.T) *DB {
	t.Helper()
	db := newTestDB(t)
	for _, a := range []account.Account{
		testAccount("id-a", "alice", 0, base),
		testAccount("id-b", "bob", 1, base),
		testAccount("id-c", "carol", 2, base), // no requests
	} {
		if err := db.InsertAccount(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	at := func(d time.Duration) time.Time { return base.Add(d) }
	ms := time.Millisecond
	mustWrite(t, db,
		// alice, once called "al": 3 requests, one error (529), failovers 0+1+2.
		RequestRow{ID: "a1", Start: at(0), AccountID: "id-a", AccountName: "al", Status: 200, Model: sonnet,
			InputTokens: 100, OutputTokens: 10, CacheReadTokens: 1000, CacheCreationTokens: 50, TTFB: 100 * ms, Duration: time.Second},
		RequestRow{ID: "a2", Start: at(time.Minute), AccountID: "id-a", AccountName: "alice", Status: 200, Model: sonnet,
			InputTokens: 200, OutputTokens: 20, Failovers: 1, TTFB: 200 * ms, Duration: 2 * time.Second},
		RequestRow{ID: "a3", Start: at(2 * time.Minute), AccountID: "id-a", AccountName: "alice", Status: 529, Failovers: 2,
			TTFB: 300 * ms, Duration: 300 * ms},
		// bob: 2 requests, the last one (just inside the hour) failed mid-stream.
		RequestRow{ID: "b1", Start: at(10 * time.Minute), AccountID: "id-b", AccountName: "bob", Status: 200, Model: opus,
			InputTokens: 300, OutputTokens: 30, CacheReadTokens: 500, TTFB: 1234 * ms, Duration: 10 * time.Second},
		RequestRow{ID: "b2", Start: at(time.Hour - ms), AccountID: "id-b", AccountName: "bob", Status: 200, Model: opus,
			Error: "stream cut", InputTokens: 50, OutputTokens: 5, CacheCreationTokens: 7, TTFB: 2 * time.Second, Duration: 20 * time.Second},
		// dave, removed, renamed before: 2 requests, one 404 (no upstream answer timed) after a failover.
		RequestRow{ID: "d1", Start: at(5 * time.Minute), AccountID: "id-d", AccountName: "dave-old", Status: 200, Model: haiku,
			InputTokens: 1, OutputTokens: 1, TTFB: 99 * ms, Duration: 101 * ms},
		RequestRow{ID: "d2", Start: at(20 * time.Minute), AccountID: "id-d", AccountName: "dave", Status: 404, Model: haiku,
			InputTokens: 2, Failovers: 1},
		// passed through with no account, on a model with no price.
		RequestRow{ID: "p1", Start: at(30 * time.Minute), Status: 200, Model: "claude-x", InputTokens: 10, OutputTokens: 1,
			TTFB: 400 * ms, Duration: 4 * time.Second},
		// outside the hour, inside the seven hours.
		RequestRow{ID: "o1", Start: at(-ms), AccountID: "id-a", AccountName: "alice", Status: 200, Model: sonnet, InputTokens: 9999},
		RequestRow{ID: "o2", Start: at(time.Hour), AccountID: "id-b", AccountName: "bob", Status: 500, Failovers: 5},

		Event{At: at(time.Minute), AccountID: "id-a", AccountName: "alice", Kind: EventRateLimited},
		Event{At: at(2 * time.Minute), AccountID: "id-a", AccountName: "alice", Kind: EventRateLimited},
		Event{At: at(2 * time.Minute), AccountID: "id-a", AccountName: "alice", Kind: EventCooldown},
		Event{At: at(59 * time.Minute), AccountID: "id-b", AccountName: "bob", Kind: EventRateLimited},
		Event{At: at(6 * time.Minute), AccountID: "id-d", AccountName: "dave-old", Kind: EventRateLimited},
		Event{At: at(7 * time.Minute), AccountID: "id-e", AccountName: "eve", Kind: EventRateLimited}, // removed, no requests
		Event{At: at(-time.Second), AccountID: "id-a", AccountName: "alice", Kind: EventRateLimited},
		Event{At: at(time.Hour), AccountID: "id-b", AccountName: "bob", Kind: EventRateLimited},
		Event{At: at(time.Minute), AccountID: "id-a", AccountName: "alice", Kind: EventFailover},
		Event{At: at(2 * time.Minute), AccountID: "id-a", AccountName: "alice", Kind: EventFailover},
		Event{At: at(3 * time.Minute), AccountID: "id-b", AccountName: "bob", Kind: EventFailover},
		Event{At: at(-time.Second), AccountID: "id-a", AccountName: "alice", Kind: EventFailover},

		Session{Period: session.Period{AccountID: "id-a", AccountName: "alice", Start: at(0), Expires: at(5 * time.Hour), End: at(2 * time.Minute),
			Requests: 3, StartReason: session.StartFirst, EndReason: session.EndRateLimit}},
		Session{Period: session.Period{AccountID: "id-b", AccountName: "bob", Start: at(2 * time.Minute), Expires: at(5*time.Hour + 2*time.Minute),
			Requests: 2, StartReason: session.StartFailover}},
		Session{Period: session.Period{AccountID: "id-d", AccountName: "dave-old", Start: at(-2 * time.Hour), Expires: at(3 * time.Hour),
			End: at(-time.Hour), Requests: 4, StartReason: session.StartFirst, EndReason: session.EndFailover}},
		// Open as recorded, but expired at 25 min: it counts as ended then.
		Session{Period: session.Period{AccountID: "id-d", AccountName: "dave", Start: at(5 * time.Minute), Expires: at(25 * time.Minute),
			Requests: 2, StartReason: session.StartExpired}},
		Session{Period: session.Period{AccountID: "id-c", AccountName: "carol", Start: at(40 * time.Minute), Expires: at(5*time.Hour + 40*time.Minute),
			End: at(50 * time.Minute), StartReason: session.StartExpired, EndReason: session.EndPause}},
		Session{Period: session.Period{AccountID: "id-a", AccountName: "alice", Start: at(time.Hour), Expires: at(6 * time.Hour),
			Requests: 1, StartReason: session.StartExpired}},
	)
	return db
}

// points makes a series of n points, zero but for the ones given.
func points(n int, set map[int]Totals) []Totals {
	s := make([]Totals, n)
	for i, t := range set {
		s[i] = t
	}
	return s
}

func starts(first time.Time, step time.Duration, n int) []time.Time {
	s := make([]time.Time, n)
	for i := range s {
		s[i] = first.Add(time.Duration(i) * step)
	}
	return s
}

func pct(p50, p90, p99 time.Duration) Percentiles { return Percentiles{P50: p50, P90: p90, P99: p99} }

func checkStats(t *testing.T, got, want Stats) {
	t.Helper()
	near := func(what string, g, w float64) {
		if math.Abs(g-w) > 1e-12 {
			t.Errorf("%s = %.10f, want %.10f", what, g, w)
		}
	}
	near("CostUSD", got.CostUSD, want.CostUSD)
	got.CostUSD, want.CostUSD = 0, 0
	if len(got.Accounts) != len(want.Accounts) {
		t.Fatalf("%d accounts, want %d:\n%+v", len(got.Accounts), len(want.Accounts), got.Accounts)
	}
	for i := range got.Accounts {
		g, w := &got.Accounts[i], &want.Accounts[i]
		near(fmt.Sprintf("Accounts[%d].CostUSD", i), g.CostUSD, w.CostUSD)
		near(fmt.Sprintf("Accounts[%d].Share", i), g.Share, w.Share)
		g.CostUSD, w.CostUSD, g.Share, w.Share = 0, 0, 0, 0
		if !reflect.DeepEqual(*g, *w) {
			t.Errorf("Accounts[%d]:\n got %+v\nwant %+v", i, *g, *w)
		}
	}
	got.Accounts, want.Accounts = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n %+v\nwant %+v", got, want)
	}
}

func TestStatsTheHourFromRows(t *testing.T) {
	t.Parallel()
	db := seedStats(t)
	// [09:26:53.589, 10:26:53.589): two partial hours, read from the rows;
	// 5-minute buckets from 09:25.
	since, until := base, base.Add(time.Hour)
	const n = 13
	s, ms, m := time.Second, time.Millisecond, time.Minute
	at := func(d time.Duration) time.Time { return base.Add(d) }
	want := Stats{
		Since: since, Until: until,
		Total: Totals{Requests: 8, Errors: 3, InputTokens: 663, OutputTokens: 67, CacheReadTokens: 1500, CacheCreationTokens: 57},
		Accounts: []AccountStats{
			{AccountID: "id-a", AccountName: "alice", Share: 0.375, RateLimitEvents: 2,
				Totals:  Totals{Requests: 3, Errors: 1, InputTokens: 300, OutputTokens: 30, CacheReadTokens: 1000, CacheCreationTokens: 50},
				CostUSD: (300*3 + 30*15 + 50*3.75 + 1000*0.30) / 1e6, Failovers: 3, FailoverRequests: 2, FailoversFrom: 2,
				Sessions: SessionStats{Started: 1, Ended: 1, EndedLength: 2 * m, EndedRequests: 3, EndReasons: map[string]int64{session.EndRateLimit: 1}},
				Latency:  Latency{Samples: 3, TTFB: pct(200*ms, 300*ms, 300*ms), Duration: pct(s, 2*s, 2*s)},
				Series:   points(n, map[int]Totals{0: {Requests: 3, Errors: 1, InputTokens: 300, OutputTokens: 30, CacheReadTokens: 1000, CacheCreationTokens: 50}})},
			{AccountID: "id-b", AccountName: "bob", Share: 0.25, RateLimitEvents: 1,
				Totals:  Totals{Requests: 2, Errors: 1, InputTokens: 350, OutputTokens: 35, CacheReadTokens: 500, CacheCreationTokens: 7},
				CostUSD: (350*15 + 35*75 + 7*18.75 + 500*1.5) / 1e6, FailoversFrom: 1,
				Sessions: SessionStats{Started: 1, OpenLength: 58 * m, OpenRequests: 2}, // open since 2 min: 58 min so far
				Latency:  Latency{Samples: 2, TTFB: pct(1300*ms, 2*s, 2*s), Duration: pct(10*s, 20*s, 20*s)},
				Series: points(n, map[int]Totals{
					2:  {Requests: 1, InputTokens: 300, OutputTokens: 30, CacheReadTokens: 500},
					12: {Requests: 1, Errors: 1, InputTokens: 50, OutputTokens: 5, CacheCreationTokens: 7}})},
			{AccountID: "id-c", AccountName: "carol",
				Sessions: SessionStats{Started: 1, Ended: 1, EndedLength: 10 * m, EndReasons: map[string]int64{session.EndPause: 1}},
				Series:   points(n, nil)},
			{AccountID: "id-d", AccountName: "dave", Share: 0.25, RateLimitEvents: 1,
				Totals:  Totals{Requests: 2, Errors: 1, InputTokens: 3, OutputTokens: 1},
				CostUSD: (3*1 + 1*5) / 1e6, Failovers: 1, FailoverRequests: 1,
				Sessions: SessionStats{Started: 1, Ended: 1, EndedLength: 20 * m, EndedRequests: 2, EndReasons: map[string]int64{session.EndExpired: 1}},
				Latency:  Latency{Samples: 1, TTFB: pct(99*ms, 99*ms, 99*ms), Duration: pct(110*ms, 110*ms, 110*ms)},
				Series: points(n, map[int]Totals{
					1: {Requests: 1, InputTokens: 1, OutputTokens: 1},
					4: {Requests: 1, Errors: 1, InputTokens: 2}})},
			{AccountID: "id-e", AccountName: "eve", RateLimitEvents: 1, Series: points(n, nil)},
			{Share: 0.125, Totals: Totals{Requests: 1, InputTokens: 10, OutputTokens: 1},
				Latency: Latency{Samples: 1, TTFB: pct(400*ms, 400*ms, 400*ms), Duration: pct(4*s, 4*s, 4*s)},
				Series:  points(n, map[int]Totals{6: {Requests: 1, InputTokens: 10, OutputTokens: 1}})},
		},
		Failovers: 4, FailoverRequests: 3, RateLimitEvents: 5,
		CostUSD:        (300*3+30*15+50*3.75+1000*0.30)/1e6 + (350*15+35*75+7*18.75+500*1.5)/1e6 + 8/1e6,
		UnpricedModels: []string{"claude-x"},
		Sessions: SessionStats{Started: 4, Ended: 3, EndedLength: 32 * m, EndedRequests: 5,
			EndReasons: map[string]int64{session.EndRateLimit: 1, session.EndExpired: 1, session.EndPause: 1},
			OpenLength: 58 * m, OpenRequests: 2},
		// Not dave-old's (ended an hour before), not alice's second (starts
		// at the window's end).
		Timeline: seedTimeline(at, false, false),
		// TTFB 99, 100, 200, 300, 400, 1234, 2000 ms; durations 101 ms … 20 s.
		Latency: Latency{Samples: 7, TTFB: pct(300*ms, 2*s, 2*s), Duration: pct(2*s, 20*s, 20*s)},
		Series: Series{Bucket: 5 * m, Starts: starts(time.Date(2026, 3, 14, 9, 25, 0, 0, time.UTC), 5*m, n),
			Total: points(n, map[int]Totals{
				0:  {Requests: 3, Errors: 1, InputTokens: 300, OutputTokens: 30, CacheReadTokens: 1000, CacheCreationTokens: 50},
				1:  {Requests: 1, InputTokens: 1, OutputTokens: 1},
				2:  {Requests: 1, InputTokens: 300, OutputTokens: 30, CacheReadTokens: 500},
				4:  {Requests: 1, Errors: 1, InputTokens: 2},
				6:  {Requests: 1, InputTokens: 10, OutputTokens: 1},
				12: {Requests: 1, Errors: 1, InputTokens: 50, OutputTokens: 5, CacheCreationTokens: 7}})},
	}
	got, err := db.Stats(t.Context(), since, until)
	if err != nil {
		t.Fatal(err)
	}
	checkStats(t, got, want)
	if got := want.Sessions.AvgLength(); got != 32*m/3 {
		t.Errorf("AvgLength = %v", got)
	}
	if got := want.Sessions.AvgRequests(); got != 5.0/3 {
		t.Errorf("AvgRequests = %v", got)
	}
	if got := want.Sessions.EndedByRateLimit(); got != 1 {
		t.Errorf("EndedByRateLimit = %v", got)
	}
	if got := want.Sessions.Open(); got != 1 {
		t.Errorf("Open = %v", got)
	}
}

// seedTimeline is the timeline of seedStats's sessions in a window, with
// dave-old's (ended at -1 h) and alice's second (from +1 h) when it holds
// them; dave's, open as recorded, ended at its expiry.
func seedTimeline(at func(time.Duration) time.Time, daveOld, aliceSecond bool) []Session {
	m, h := time.Minute, time.Hour
	var tl []Session
	if daveOld {
		tl = append(tl, Session{session.Period{AccountID: "id-d", AccountName: "dave-old", Start: at(-2 * h), Expires: at(3 * h),
			End: at(-h), Requests: 4, StartReason: session.StartFirst, EndReason: session.EndFailover}})
	}
	tl = append(tl,
		Session{session.Period{AccountID: "id-a", AccountName: "alice", Start: at(0), Expires: at(5 * h), End: at(2 * m),
			Requests: 3, StartReason: session.StartFirst, EndReason: session.EndRateLimit}},
		Session{session.Period{AccountID: "id-b", AccountName: "bob", Start: at(2 * m), Expires: at(5*h + 2*m),
			Requests: 2, StartReason: session.StartFailover}},
		Session{session.Period{AccountID: "id-d", AccountName: "dave", Start: at(5 * m), Expires: at(25 * m), End: at(25 * m),
			Requests: 2, StartReason: session.StartExpired, EndReason: session.EndExpired}},
		Session{session.Period{AccountID: "id-c", AccountName: "carol", Start: at(40 * m), Expires: at(5*h + 40*m),
			End: at(50 * m), StartReason: session.StartExpired, EndReason: session.EndPause}})
	if aliceSecond {
		tl = append(tl, Session{session.Period{AccountID: "id-a", AccountName: "alice", Start: at(h), Expires: at(6 * h),
			Requests: 1, StartReason: session.StartExpired}})
	}
	return tl
}

func TestStatsSevenHoursFromRollups(t *testing.T) {
	t.Parallel()
	db := seedStats(t)
	// [06:00, 13:00): whole hours only, read from the rollups; 1-hour buckets.
	since := time.Date(2026, 3, 14, 6, 0, 0, 0, time.UTC)
	until := since.Add(7 * time.Hour)
	const n = 7
	s, ms, m := time.Second, time.Millisecond, time.Minute
	at := func(d time.Duration) time.Time { return base.Add(d) }
	aliceCost := (10299*3 + 30*15 + 50*3.75 + 1000*0.30) / 1e6
	bobCost := (350*15 + 35*75 + 7*18.75 + 500*1.5) / 1e6
	want := Stats{
		Since: since, Until: until,
		Total: Totals{Requests: 10, Errors: 4, InputTokens: 10662, OutputTokens: 67, CacheReadTokens: 1500, CacheCreationTokens: 57},
		Accounts: []AccountStats{
			{AccountID: "id-a", AccountName: "alice", Share: 0.4, RateLimitEvents: 3,
				Totals:  Totals{Requests: 4, Errors: 1, InputTokens: 10299, OutputTokens: 30, CacheReadTokens: 1000, CacheCreationTokens: 50},
				CostUSD: aliceCost, Failovers: 3, FailoverRequests: 2, FailoversFrom: 3,
				Sessions: SessionStats{Started: 2, Ended: 1, EndedLength: 2 * m, EndedRequests: 3, EndReasons: map[string]int64{session.EndRateLimit: 1},
					OpenLength: until.Sub(at(time.Hour)), OpenRequests: 1}, // the second, open since 1 h
				Latency: Latency{Samples: 3, TTFB: pct(200*ms, 300*ms, 300*ms), Duration: pct(s, 2*s, 2*s)},
				Series:  points(n, map[int]Totals{3: {Requests: 4, Errors: 1, InputTokens: 10299, OutputTokens: 30, CacheReadTokens: 1000, CacheCreationTokens: 50}})},
			{AccountID: "id-b", AccountName: "bob", Share: 0.3, RateLimitEvents: 2,
				Totals:  Totals{Requests: 3, Errors: 2, InputTokens: 350, OutputTokens: 35, CacheReadTokens: 500, CacheCreationTokens: 7},
				CostUSD: bobCost, Failovers: 5, FailoverRequests: 1, FailoversFrom: 1,
				Sessions: SessionStats{Started: 1, OpenLength: until.Sub(at(2 * m)), OpenRequests: 2}, // open since 2 min
				Latency:  Latency{Samples: 2, TTFB: pct(1300*ms, 2*s, 2*s), Duration: pct(10*s, 20*s, 20*s)},
				Series: points(n, map[int]Totals{
					3: {Requests: 1, InputTokens: 300, OutputTokens: 30, CacheReadTokens: 500},
					4: {Requests: 2, Errors: 2, InputTokens: 50, OutputTokens: 5, CacheCreationTokens: 7}})},
			{AccountID: "id-c", AccountName: "carol",
				Sessions: SessionStats{Started: 1, Ended: 1, EndedLength: 10 * m, EndReasons: map[string]int64{session.EndPause: 1}},
				Series:   points(n, nil)},
			{AccountID: "id-d", AccountName: "dave", Share: 0.2, RateLimitEvents: 1,
				Totals:  Totals{Requests: 2, Errors: 1, InputTokens: 3, OutputTokens: 1},
				CostUSD: 8 / 1e6, Failovers: 1, FailoverRequests: 1,
				Sessions: SessionStats{Started: 2, Ended: 2, EndedLength: 80 * m, EndedRequests: 6,
					EndReasons: map[string]int64{session.EndFailover: 1, session.EndExpired: 1}},
				Latency: Latency{Samples: 1, TTFB: pct(99*ms, 99*ms, 99*ms), Duration: pct(110*ms, 110*ms, 110*ms)},
				Series:  points(n, map[int]Totals{3: {Requests: 2, Errors: 1, InputTokens: 3, OutputTokens: 1}})},
			{AccountID: "id-e", AccountName: "eve", RateLimitEvents: 1, Series: points(n, nil)},
			{Share: 0.1, Totals: Totals{Requests: 1, InputTokens: 10, OutputTokens: 1},
				Latency: Latency{Samples: 1, TTFB: pct(400*ms, 400*ms, 400*ms), Duration: pct(4*s, 4*s, 4*s)},
				Series:  points(n, map[int]Totals{3: {Requests: 1, InputTokens: 10, OutputTokens: 1}})},
		},
		Failovers: 9, FailoverRequests: 4, RateLimitEvents: 7,
		CostUSD:        aliceCost + bobCost + 8/1e6,
		UnpricedModels: []string{"claude-x"},
		Sessions: SessionStats{Started: 6, Ended: 4, EndedLength: 92 * m, EndedRequests: 9,
			EndReasons: map[string]int64{session.EndRateLimit: 1, session.EndPause: 1, session.EndFailover: 1, session.EndExpired: 1},
			OpenLength: until.Sub(at(time.Hour)) + until.Sub(at(2*m)), OpenRequests: 3},
		Timeline: seedTimeline(at, true, true),
		Latency:  Latency{Samples: 7, TTFB: pct(300*ms, 2*s, 2*s), Duration: pct(2*s, 20*s, 20*s)},
		Series: Series{Bucket: time.Hour, Starts: starts(since, time.Hour, n),
			Total: points(n, map[int]Totals{
				3: {Requests: 8, Errors: 2, InputTokens: 10612, OutputTokens: 62, CacheReadTokens: 1500, CacheCreationTokens: 50},
				4: {Requests: 2, Errors: 2, InputTokens: 50, OutputTokens: 5, CacheCreationTokens: 7}})},
	}
	got, err := db.Stats(t.Context(), since, until)
	if err != nil {
		t.Fatal(err)
	}
	checkStats(t, got, want)
}

func TestStatsEmptyWindows(t *testing.T) {
	t.Parallel()
	db := seedStats(t)
	idle := func(id, name string, n int) AccountStats {
		a := AccountStats{AccountID: id, AccountName: name}
		if n > 0 {
			a.Series = points(n, nil)
		}
		return a
	}
	later := base.Add(2 * time.Hour)
	tests := []struct {
		name         string
		since, until time.Time
		want         Stats
	}{
		{
			name: "empty window", since: later, until: later.Add(time.Hour),
			want: Stats{
				Accounts: []AccountStats{idle("id-a", "alice", 13), idle("id-b", "bob", 13), idle("id-c", "carol", 13)},
				Series: Series{Bucket: 5 * time.Minute, Starts: starts(time.Date(2026, 3, 14, 11, 25, 0, 0, time.UTC), 5*time.Minute, 13),
					Total: points(13, nil)},
				// No request, but the two sessions open as recorded still run.
				Timeline: func() []Session {
					tl := seedTimeline(func(d time.Duration) time.Time { return base.Add(d) }, false, true)
					return []Session{tl[1], tl[4]} // bob's and alice's second
				}(),
			},
		},
		{
			name: "inverted window", since: base.Add(time.Hour), until: base,
			want: Stats{Accounts: []AccountStats{idle("id-a", "alice", 0), idle("id-b", "bob", 0), idle("id-c", "carol", 0)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.Stats(t.Context(), tt.since, tt.until)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Since, tt.want.Until = tt.since, tt.until
			checkStats(t, got, tt.want)
		})
	}
}

func TestStatsAllTime(t *testing.T) {
	t.Parallel()
	db := seedStats(t)
	got, err := db.Stats(t.Context(), time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Total.Requests != 10 || got.Total.Errors != 4 || got.Failovers != 9 || got.FailoverRequests != 4 || got.RateLimitEvents != 7 {
		t.Errorf("all-time stats %+v", got)
	}
	if got.Series.Bucket != 0 || got.Series.Starts != nil || got.Accounts[0].Series != nil {
		t.Errorf("an unbounded window has no series: %+v", got.Series)
	}
	var share float64
	for _, a := range got.Accounts {
		share += a.Share
	}
	if math.Abs(share-1) > 1e-9 {
		t.Errorf("shares add up to %v", share)
	}
}

func TestStatsEmptyDatabase(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	got, err := db.Stats(t.Context(), base, base.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Since: base, Until: base.Add(24 * time.Hour), Accounts: []AccountStats{},
		Series: Series{Bucket: time.Hour, Starts: starts(time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC), time.Hour, 25), Total: points(25, nil)}}
	checkStats(t, got, want)
}

func TestSeriesBucket(t *testing.T) {
	t.Parallel()
	h := time.Hour
	for _, tt := range []struct{ window, want time.Duration }{
		{time.Minute, 5 * time.Minute}, {h, 5 * time.Minute}, {3 * h, 5 * time.Minute},
		{3*h + time.Minute, h}, {24 * h, h}, {48 * h, h},
		{49 * h, 6 * h}, {7 * 24 * h, 6 * h}, {14 * 24 * h, 6 * h},
		{15 * 24 * h, 24 * h}, {30 * 24 * h, 24 * h}, {366 * 24 * h, 24 * h},
	} {
		if got := SeriesBucket(tt.window); got != tt.want {
			t.Errorf("SeriesBucket(%v) = %v, want %v", tt.window, got, tt.want)
		}
	}
}

func TestLatencyBin(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want int64 }{
		{-5, 0}, {0, 0}, {1, 1}, {99, 99}, {100, 100}, {101, 110}, {109, 110}, {110, 110}, {111, 120},
		{999, 1000}, {1000, 1000}, {1001, 1100}, {1234, 1300}, {98_700, 99_000}, {99_001, 100_000},
		{1_010_000, 1_100_000}, {1_000_000, 1_000_000}, {binTop, binTop}, {binTop + 1, binTop}, {math.MaxInt64, binTop},
	} {
		if got := LatencyBin(tt.in); got != tt.want {
			t.Errorf("LatencyBin(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
	// Every bin maps back to itself and the bins are in order.
	prev := int64(-1)
	for i := range binCount {
		v := binValue(i)
		if v <= prev || binIndex(v) != i {
			t.Fatalf("bin %d: value %d (previous %d), index back %d", i, v, prev, binIndex(v))
		}
		prev = v
	}
	if prev != binTop {
		t.Errorf("last bin %d, want %d", prev, binTop)
	}
}

func TestPriceOf(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		model string
		input float64
		ok    bool
	}{
		{"claude-opus-4-5-20251101", 5, true},
		{"claude-opus-4-1-20250805", 15, true},
		{"claude-3-opus-20240229", 15, true},
		{"claude-sonnet-4-5-20250929", 3, true},
		{"claude-3-7-sonnet-latest", 3, true},
		{"Claude-Haiku-4-5", 1, true},
		{"claude-3-5-haiku-20241022", 0.80, true},
		{"claude-3-haiku-20240307", 0.25, true},
		{"claude-x", 0, false},
		{"", 0, false},
	} {
		p, ok := PriceOf(tt.model)
		if ok != tt.ok || p.Input != tt.input {
			t.Errorf("PriceOf(%q) = %+v, %v", tt.model, p, ok)
		}
	}
	got := Price{Input: 3, Output: 15, CacheWrite: 3.75, CacheRead: 0.30}.Cost(Totals{
		InputTokens: 1_000_000, OutputTokens: 2_000_000, CacheCreationTokens: 4_000_000, CacheReadTokens: 10_000_000})
	if want := 3 + 30 + 15 + 3.0; math.Abs(got-want) > 1e-9 {
		t.Errorf("Cost = %v, want %v", got, want)
	}
}

// TestStatsTimelineAndOpenSessions: the timeline holds the sessions that
// overlap the window (one begun before it too), oldest first, an open one
// whose expiry has passed shown as ended then; open sessions count their
// length and requests so far apart from the ended ones.
func TestStatsTimelineAndOpenSessions(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	since, until := base, base.Add(time.Hour)
	rec := func(id, name string, start, expires, end time.Duration, requests int64, sr, er string) *Session {
		s := &Session{Period: session.Period{AccountID: id, AccountName: name, Start: base.Add(start), Expires: base.Add(expires),
			Requests: requests, StartReason: sr, EndReason: er}}
		if end != 0 {
			s.End = base.Add(end)
		}
		return s
	}
	for _, s := range []*Session{
		rec("id-a", "a", -3*time.Hour, -2*time.Hour, -2*time.Hour, 9, session.StartFirst, session.EndExpired),       // before: out
		rec("id-a", "a", -30*time.Minute, 4*time.Hour, 10*time.Minute, 4, session.StartFirst, session.EndRateLimit), // across the start
		rec("id-b", "b", 10*time.Minute, 20*time.Minute, 0, 2, session.StartFailover, ""),                           // open, expired at +20m
		rec("id-a", "a", 40*time.Minute, 5*time.Hour+40*time.Minute, 0, 3, session.StartExpired, ""),                // open
	} {
		mustWrite(t, db, s)
	}
	st, err := db.Stats(t.Context(), since, until)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range st.Timeline {
		end := "open"
		if !s.End.IsZero() {
			end = s.End.Sub(base).String()
		}
		got = append(got, fmt.Sprintf("%s %s→%s %s", s.AccountName, s.Start.Sub(base), end, s.EndReason))
	}
	want := []string{"a -30m0s→10m0s rate_limit", "b 10m0s→20m0s expired", "a 40m0s→open "}
	if !slices.Equal(got, want) {
		t.Errorf("timeline %q, want %q", got, want)
	}
	if s := st.Sessions; s.Started != 2 || s.Ended != 1 || s.OpenLength != 20*time.Minute || s.OpenRequests != 3 {
		t.Errorf("sessions %+v: want 2 started in the window, 1 ended (expired), 1 open for 20 min with 3 requests", s)
	}
}
