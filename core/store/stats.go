package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"github.com/claudeflare/claudeflare/core/clock"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/claudeflare/claudeflare/core/session"
)

// Stats are the monitoring figures of docs/DESIGN.md, "Monitoring" for the window [Since, Until).
// New figures are added as fields; existing ones keep their meaning.
type Stats struct {
	Since, Until time.Time
	Total        Totals
	// Accounts has one entry per current account (in priority, creation
	// order, with zeros when idle), then one per removed account that still
	// has rows in the window (by name), then, when requests were answered
	// with no account (passed through, or no account could serve), an entry
	// with an empty AccountID.
	Accounts         []AccountStats
	Failovers        int64 // sum of the requests' failovers
	FailoverRequests int64 // requests that needed at least one failover
	RateLimitEvents  int64

	// CostUSD is the estimated cost of all tokens at list prices (PriceOf).
	CostUSD float64
	// UnpricedModels lists, sorted, the models with tokens in the window
	// that PriceOf does not know: their tokens cost nothing in CostUSD.
	UnpricedModels []string
	Sessions       SessionStats
	Latency        Latency
	// Series has the requests and tokens of the window per time bucket; each
	// account's points are in AccountStats.Series. It is empty when Since or
	// Until is zero.
	Series Series
	// Timeline is the sessions that overlap the window, oldest first (at
	// most MaxTimeline, the newest): which account was active when, and
	// why each started and ended. An open session whose expiry has passed
	// shows as ended (expired) at its expiry.
	Timeline []Session
}

// MaxTimeline bounds Stats.Timeline: a month of one-minute sessions would
// be tens of thousands.
const MaxTimeline = 1000

// Totals are request and token counts.
type Totals struct {
	Requests            int64
	Errors              int64 // requests with status >= 400 or an error
	InputTokens         int64
	OutputTokens        int64
	CacheReadTokens     int64
	CacheCreationTokens int64
}

func (t *Totals) add(o Totals) {
	t.Requests += o.Requests
	t.Errors += o.Errors
	t.InputTokens += o.InputTokens
	t.OutputTokens += o.OutputTokens
	t.CacheReadTokens += o.CacheReadTokens
	t.CacheCreationTokens += o.CacheCreationTokens
}

// Tokens is the sum of every kind of token.
func (t Totals) Tokens() int64 {
	return t.InputTokens + t.OutputTokens + t.CacheReadTokens + t.CacheCreationTokens
}

// AccountStats are one account's figures in a Stats window.
type AccountStats struct {
	AccountID   string
	AccountName string // the current name; for a removed account, its name on its latest row
	Totals
	Share           float64 // this account's requests / all requests; 0 when there are none
	RateLimitEvents int64

	CostUSD          float64 // estimated, as Stats.CostUSD
	Failovers        int64   // failovers before this account answered: sum over its requests
	FailoverRequests int64   // its requests that needed at least one failover
	FailoversFrom    int64   // failovers that left this account (it failed, the next one was tried)
	Sessions         SessionStats
	Latency          Latency
	Series           []Totals // one per Stats.Series.Starts
}

// SessionStats describe the sessions that started in the window (docs/DESIGN.md, "Monitoring"
// "session duration effectiveness"). A session has ended when its recorded
// end, or its expiry, is before Until (or now, for an unbounded window).
type SessionStats struct {
	Started       int64
	Ended         int64            // of those, the ones that have ended
	EndedLength   time.Duration    // the total length of the ended ones
	EndedRequests int64            // the requests they served in all
	EndReasons    map[string]int64 // the ended ones by EndReason; nil when none ended
	// OpenLength and OpenRequests are the open sessions' length so far and
	// requests so far: counted apart, so that a running session is neither
	// an average of zero nor a finished one.
	OpenLength   time.Duration
	OpenRequests int64
}

// Open is the number of sessions still running.
func (s SessionStats) Open() int64 { return s.Started - s.Ended }

// AvgLength is the average length of the ended sessions, 0 when none ended.
func (s SessionStats) AvgLength() time.Duration {
	if s.Ended == 0 {
		return 0
	}
	return s.EndedLength / time.Duration(s.Ended)
}

// AvgRequests is the average number of requests of the ended sessions.
func (s SessionStats) AvgRequests() float64 {
	if s.Ended == 0 {
		return 0
	}
	return float64(s.EndedRequests) / float64(s.Ended)
}

// EndedByRateLimit is how many sessions a rate limit cut short.
func (s SessionStats) EndedByRateLimit() int64 { return s.EndReasons[session.EndRateLimit] }

func (s *SessionStats) add(o SessionStats) {
	s.Started += o.Started
	s.Ended += o.Ended
	s.EndedLength += o.EndedLength
	s.EndedRequests += o.EndedRequests
	s.OpenLength += o.OpenLength
	s.OpenRequests += o.OpenRequests
	for k, v := range o.EndReasons {
		if s.EndReasons == nil {
			s.EndReasons = map[string]int64{}
		}
		s.EndReasons[k] += v
	}
}

// Latency are the percentiles of the requests that got an upstream answer:
// time to first byte and total duration. Each is the nearest-rank
// percentile rounded up to two significant digits (LatencyBin).
type Latency struct {
	Samples        int64 // requests measured; the percentiles are 0 when there are none
	TTFB, Duration Percentiles
}

// Percentiles of a latency distribution.
type Percentiles struct{ P50, P90, P99 time.Duration }

// Series is a time series of the window: bucket i covers
// [Starts[i], Starts[i]+Bucket) cut to the window; buckets are aligned to
// the unix epoch (UTC), so the first and last are usually partial.
type Series struct {
	Bucket time.Duration
	Starts []time.Time
	Total  []Totals
}

// SeriesBucket is the bucket size of the time series for a window of length
// d: 5 minutes up to 3 hours, 1 hour up to 2 days, 6 hours up to 14 days,
// else 1 day.
func SeriesBucket(d time.Duration) time.Duration {
	switch {
	case d <= 3*time.Hour:
		return 5 * time.Minute
	case d <= 48*time.Hour:
		return time.Hour
	case d <= 14*24*time.Hour:
		return 6 * time.Hour
	default:
		return 24 * time.Hour
	}
}

// Stats computes the figures for requests, events and sessions in
// [since, until), from one consistent snapshot. A zero until means no upper
// bound. Whole hours (whole days, for latencies) come from the rollups and
// the rest from the request rows, so the answer is exact and takes about
// the same time for any window.
func (db *DB) Stats(ctx context.Context, since, until time.Time) (Stats, error) {
	st := Stats{Since: since, Until: until}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return st, fmt.Errorf("computing stats: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only

	lo, hi := window(since, until)
	c := newCollector(lo, hi, !since.IsZero() && !until.IsZero())
	steps := []func(context.Context, *sql.Tx) error{c.accounts, c.requests, c.latencies, c.events, c.sessions}
	for _, step := range steps {
		if err := step(ctx, tx); err != nil {
			return st, fmt.Errorf("computing stats: %w", err)
		}
	}
	c.finish(&st)
	if st.Timeline, err = timeline(ctx, tx, lo, hi); err != nil {
		return st, fmt.Errorf("computing stats: %w", err)
	}
	return st, nil
}

// timeline reads the sessions that overlap [lo, hi), the newest
// MaxTimeline of them, oldest first.
func timeline(ctx context.Context, tx *sql.Tx, lo, hi int64) ([]Session, error) {
	now := hi
	if now == math.MaxInt64 {
		now = clock.Real().UnixMilli()
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE start < ? AND (finish = 0 OR finish > ?) ORDER BY start DESC, account_id LIMIT ?`, hi, lo, MaxTimeline)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []Session
	for rows.Next() {
		s, start, expires, end, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		if (end == 0 || end > now) && expires != 0 && expires <= now {
			end, s.EndReason = expires, session.EndExpired
		}
		if end > now {
			end, s.EndReason = 0, "" // ends after the window: open as far as it shows
		}
		if end != 0 && end <= lo {
			continue // ended (at its expiry, never noticed) before the window
		}
		s.Start, s.Expires, s.End = fromMillis(start), fromMillis(expires), fromMillis(end)
		list = append(list, s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Reverse(list)
	return list, nil
}

// span is a range of unix milliseconds [lo, hi).
type span struct{ lo, hi int64 }

func (s span) empty() bool { return s.lo >= s.hi }

// split divides [lo, hi) into the whole units of size unit it contains
// (aligned to the epoch) and the partial edges around them.
func split(lo, hi, unit int64) (edges []span, whole span) {
	if lo >= hi {
		return nil, span{}
	}
	wlo, whi := ceilTo(lo, unit), floorTo(hi, unit)
	if wlo >= whi {
		return []span{{lo, hi}}, span{}
	}
	if lo < wlo {
		edges = append(edges, span{lo, wlo})
	}
	if whi < hi {
		edges = append(edges, span{whi, hi})
	}
	return edges, span{wlo, whi}
}

func floorTo(v, unit int64) int64 { return v - ((v%unit)+unit)%unit }

func ceilTo(v, unit int64) int64 {
	f := floorTo(v, unit)
	if f == v || f > math.MaxInt64-unit {
		return f
	}
	return f + unit
}

// maxSeriesBuckets bounds the series of an odd window (a year of 5-minute
// buckets cannot happen with SeriesBucket, but Stats takes any window).
const maxSeriesBuckets = 5000

// collector gathers the figures by account id.
type collector struct {
	lo, hi  int64
	list    []AccountStats
	byID    map[string]int
	current int // entries before this index are current accounts

	newest []int64             // per entry: when its name was last seen (removed accounts)
	models []map[string]Totals // per entry: tokens by model, for the cost
	hist   []*[2]hist          // per entry: latency histograms (ttfb, duration); nil when none
	first  int64               // series: the first bucket's start (ms)
	bucket int64               // series: bucket size (ms); 0 without a series
	n      int                 // series: number of buckets
	total  []Totals            // series: all accounts
}

func newCollector(lo, hi int64, series bool) *collector {
	c := &collector{lo: lo, hi: hi, byID: map[string]int{}}
	if series && lo < hi {
		c.bucket = SeriesBucket(time.Duration(hi-lo) * time.Millisecond).Milliseconds()
		c.first = floorTo(lo, c.bucket)
		c.n = int((hi - c.first + c.bucket - 1) / c.bucket)
		if c.n > maxSeriesBuckets {
			c.bucket, c.n = 0, 0
		}
		c.total = make([]Totals, c.n)
	}
	return c
}

// get returns the index of the entry for id, adding it with name when it is
// new. A removed account takes the name seen at the latest time at.
func (c *collector) get(id, name string, at int64) int {
	if id == "" {
		name = ""
	}
	i, ok := c.byID[id]
	if !ok {
		i = len(c.list)
		c.byID[id] = i
		c.list = append(c.list, AccountStats{AccountID: id, AccountName: name})
		c.newest = append(c.newest, at)
		c.models = append(c.models, nil)
		c.hist = append(c.hist, nil)
		if c.n > 0 {
			c.list[i].Series = make([]Totals, c.n)
		}
		return i
	}
	if i >= c.current && at > c.newest[i] {
		c.list[i].AccountName, c.newest[i] = name, at
	}
	return i
}

func (c *collector) accounts(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, name FROM accounts ORDER BY priority, created_at, rowid`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		c.get(id, name, math.MaxInt64)
	}
	c.current = len(c.list)
	return rows.Err()
}

// requestGroup is one group of requests: an account, a model and a series bucket.
type requestGroup struct {
	id, name, model   string
	newest            int64
	bucket            int64 // absolute start of its series bucket (ms)
	totals            Totals
	failovers, foReqs int64
}

func (c *collector) addRequests(g *requestGroup) {
	i := c.get(g.id, g.name, g.newest)
	a := &c.list[i]
	a.Totals.add(g.totals)
	a.Failovers += g.failovers
	a.FailoverRequests += g.foReqs
	if c.models[i] == nil {
		c.models[i] = map[string]Totals{}
	}
	m := c.models[i][g.model]
	m.add(g.totals)
	c.models[i][g.model] = m
	if c.n > 0 {
		k := int((g.bucket - c.first) / c.bucket)
		if k >= 0 && k < c.n {
			a.Series[k].add(g.totals)
			c.total[k].add(g.totals)
		}
	}
}

// requests reads whole hours from request_hours and the rest from the rows.
// A series finer than an hour is read from the rows alone (short windows).
func (c *collector) requests(ctx context.Context, tx *sql.Tx) error {
	edges, whole := split(c.lo, c.hi, hourMillis)
	if c.n > 0 && c.bucket < hourMillis {
		edges, whole = []span{{c.lo, c.hi}}, span{}
	}
	div := int64(math.MaxInt64)
	if c.n > 0 {
		div = c.bucket
	}
	for _, e := range edges {
		if err := c.rawRequests(ctx, tx, e, div); err != nil {
			return err
		}
	}
	if whole.empty() {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT hour, account_id, model, account_name, last_start, requests, errors,
		input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, failovers, failover_requests
		FROM request_hours WHERE hour >= ? AND hour < ? AND requests > 0`, whole.lo, whole.hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var g requestGroup
		var hour int64
		t := &g.totals
		if err := rows.Scan(&hour, &g.id, &g.model, &g.name, &g.newest, &t.Requests, &t.Errors, &t.InputTokens,
			&t.OutputTokens, &t.CacheReadTokens, &t.CacheCreationTokens, &g.failovers, &g.foReqs); err != nil {
			return err
		}
		if c.n > 0 {
			g.bucket = floorTo(hour, c.bucket)
		}
		c.addRequests(&g)
	}
	return rows.Err()
}

func (c *collector) rawRequests(ctx context.Context, tx *sql.Tx, s span, div int64) error {
	// With MAX(start), SQLite takes the bare account_name from the newest row.
	rows, err := tx.QueryContext(ctx, `SELECT account_id, model, account_name, MAX(start), (start - ?1) / ?2,
		COUNT(*), SUM(status >= 400 OR error <> ''), SUM(input_tokens), SUM(output_tokens),
		SUM(cache_read_tokens), SUM(cache_creation_tokens), SUM(failovers), SUM(failovers > 0)
		FROM requests WHERE start >= ?3 AND start < ?4 GROUP BY account_id, model, (start - ?1) / ?2`,
		c.first, div, s.lo, s.hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var g requestGroup
		var k int64
		t := &g.totals
		if err := rows.Scan(&g.id, &g.model, &g.name, &g.newest, &k, &t.Requests, &t.Errors, &t.InputTokens,
			&t.OutputTokens, &t.CacheReadTokens, &t.CacheCreationTokens, &g.failovers, &g.foReqs); err != nil {
			return err
		}
		g.bucket = c.first + k*c.bucket
		c.addRequests(&g)
	}
	return rows.Err()
}

// histOf returns entry i's latency histograms, making them on first use.
func (c *collector) histOf(i int) *[2]hist {
	if c.hist[i] == nil {
		c.hist[i] = new([2]hist)
	}
	return c.hist[i]
}

// latencies reads whole hours from latency_hours and the rest from the rows.
func (c *collector) latencies(ctx context.Context, tx *sql.Tx) error {
	edges, whole := split(c.lo, c.hi, hourMillis)
	for _, e := range edges {
		if err := c.rawLatencies(ctx, tx, e); err != nil {
			return err
		}
	}
	if whole.empty() {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT account_id, ttfb, duration FROM latency_hours
		WHERE hour >= ? AND hour < ?`, whole.lo, whole.hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	var id string
	var ttfb, dur []byte
	for rows.Next() {
		if err := rows.Scan(&id, &ttfb, &dur); err != nil {
			return err
		}
		h := c.histOf(c.get(id, "", math.MinInt64))
		if err := decodeHist(ttfb, &h[latencyTTFB]); err != nil {
			return err
		}
		if err := decodeHist(dur, &h[latencyDuration]); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (c *collector) rawLatencies(ctx context.Context, tx *sql.Tx, s span) error {
	rows, err := tx.QueryContext(ctx, `SELECT account_id, ttfb_us, duration_us FROM requests
		WHERE start >= ? AND start < ? AND ttfb_us > 0`, s.lo, s.hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	var id string
	var ttfb, dur int64
	for rows.Next() {
		if err := rows.Scan(&id, &ttfb, &dur); err != nil {
			return err
		}
		h := c.histOf(c.get(id, "", math.MinInt64))
		h[latencyTTFB][binIndex(ttfb)]++
		h[latencyDuration][binIndex(dur)]++
	}
	return rows.Err()
}

func (c *collector) events(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT account_id, kind, account_name, MAX(at), COUNT(*)
		FROM events WHERE at >= ? AND at < ? AND kind IN (?, ?) GROUP BY account_id, kind`,
		c.lo, c.hi, EventRateLimited, EventFailover)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, kind, name string
		var newest, n int64
		if err := rows.Scan(&id, &kind, &name, &newest, &n); err != nil {
			return err
		}
		a := &c.list[c.get(id, name, newest)]
		if kind == EventRateLimited {
			a.RateLimitEvents = n
		} else {
			a.FailoversFrom = n
		}
	}
	return rows.Err()
}

func (c *collector) sessions(ctx context.Context, tx *sql.Tx) error {
	now := c.hi
	if now == math.MaxInt64 {
		now = clock.Real().UnixMilli() // an open-ended window ends now
	}
	rows, err := tx.QueryContext(ctx, `SELECT account_id, account_name, start, expires, finish, requests, end_reason
		FROM sessions WHERE start >= ? AND start < ?`, c.lo, c.hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name, reason string
		var start, expires, end, requests int64
		if err := rows.Scan(&id, &name, &start, &expires, &end, &requests, &reason); err != nil {
			return err
		}
		s := &c.list[c.get(id, name, start)].Sessions
		s.Started++
		if end == 0 || end > now {
			// Open as recorded: it ended all the same when it expired.
			if expires == 0 || expires > now {
				s.OpenLength += time.Duration(now-start) * time.Millisecond
				s.OpenRequests += requests
				continue
			}
			end, reason = expires, session.EndExpired
		}
		s.Ended++
		s.EndedLength += time.Duration(end-start) * time.Millisecond
		s.EndedRequests += requests
		if s.EndReasons == nil {
			s.EndReasons = map[string]int64{}
		}
		s.EndReasons[reason]++
	}
	return rows.Err()
}

// finish orders the entries and works out totals, shares, costs,
// percentiles and the series.
func (c *collector) finish(st *Stats) {
	// Removed accounts by name, pass-through (empty id) last; the side
	// tables follow the same permutation.
	idx := make([]int, len(c.list)-c.current)
	for k := range idx {
		idx[k] = c.current + k
	}
	slices.SortStableFunc(idx, func(x, y int) int {
		a, b := &c.list[x], &c.list[y]
		if (a.AccountID == "") != (b.AccountID == "") {
			if a.AccountID == "" {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.AccountName, b.AccountName), cmp.Compare(a.AccountID, b.AccountID))
	})
	order := append(seq(c.current), idx...)

	var all [2]hist
	unpriced := map[string]bool{}
	list := make([]AccountStats, len(order))
	for k, i := range order {
		a := c.list[i]
		for model, t := range c.models[i] {
			if p, ok := PriceOf(model); ok {
				a.CostUSD += p.Cost(t)
			} else if t.Tokens() > 0 {
				unpriced[model] = true
			}
		}
		if h := c.hist[i]; h != nil {
			a.Latency = latencyOf(h)
			for kind := range h {
				for b, n := range h[kind] {
					all[kind][b] += n
				}
			}
		}
		st.Total.add(a.Totals)
		st.Failovers += a.Failovers
		st.FailoverRequests += a.FailoverRequests
		st.RateLimitEvents += a.RateLimitEvents
		st.CostUSD += a.CostUSD
		st.Sessions.add(a.Sessions)
		list[k] = a
	}
	if st.Total.Requests > 0 {
		for i := range list {
			list[i].Share = float64(list[i].Requests) / float64(st.Total.Requests)
		}
	}
	st.Accounts = list
	st.Latency = latencyOf(&all)
	if len(unpriced) > 0 {
		st.UnpricedModels = slices.Sorted(maps.Keys(unpriced))
	}
	if c.n > 0 {
		st.Series = Series{Bucket: time.Duration(c.bucket) * time.Millisecond, Total: c.total, Starts: make([]time.Time, c.n)}
		for k := range c.n {
			st.Series.Starts[k] = fromMillis(c.first + int64(k)*c.bucket)
		}
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func latencyOf(h *[2]hist) Latency {
	var l Latency
	l.Samples, l.TTFB = percentiles(&h[latencyTTFB])
	_, l.Duration = percentiles(&h[latencyDuration])
	return l
}

// percentiles works out the nearest-rank percentiles of a histogram.
func percentiles(h *hist) (int64, Percentiles) {
	var n int64
	for _, c := range h {
		n += c
	}
	if n == 0 {
		return 0, Percentiles{}
	}
	at := func(q int64) time.Duration {
		rank := (q*n + 99) / 100 // ceil(q% of n), at least 1
		var cum int64
		for i, c := range h {
			cum += c
			if cum >= rank {
				return time.Duration(binValue(i)) * time.Microsecond
			}
		}
		panic("unreachable")
	}
	return n, Percentiles{P50: at(50), P90: at(90), P99: at(99)}
}
