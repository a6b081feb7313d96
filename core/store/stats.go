package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// Stats are the monitoring figures of SPEC §8 for the window [Since, Until).
// New figures are added as fields; existing ones keep their meaning.
type Stats struct {
	Since, Until time.Time
	Total        Totals
	// Accounts has one entry per current account (in priority, creation
	// order, with zeros when idle), then one per removed account that still
	// has rows in the window (by name), then, when requests were passed
	// through with no account, an entry with an empty AccountID.
	Accounts         []AccountStats
	Failovers        int64 // sum of the requests' failovers
	FailoverRequests int64 // requests that needed at least one failover
	RateLimitEvents  int64
}

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

// AccountStats are one account's figures in a Stats window.
type AccountStats struct {
	AccountID   string
	AccountName string // the current name; for a removed account, its name on its latest row
	Totals
	Share           float64 // this account's requests / all requests; 0 when there are none
	RateLimitEvents int64
}

// Stats computes the figures for requests and events in [since, until),
// from one consistent snapshot. A zero until means no upper bound.
func (db *DB) Stats(ctx context.Context, since, until time.Time) (Stats, error) {
	st := Stats{Since: since, Until: until}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return st, fmt.Errorf("computing stats: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only

	c := collector{byID: map[string]int{}}
	if err := c.accounts(ctx, tx); err != nil {
		return st, fmt.Errorf("computing stats: %w", err)
	}
	current := len(c.list)
	lo, hi := window(since, until)
	if err := c.requests(ctx, tx, lo, hi, &st); err != nil {
		return st, fmt.Errorf("computing stats: %w", err)
	}
	if err := c.rateLimits(ctx, tx, lo, hi); err != nil {
		return st, fmt.Errorf("computing stats: %w", err)
	}

	// Removed accounts by name, pass-through (empty id) last.
	slices.SortStableFunc(c.list[current:], func(a, b AccountStats) int {
		if (a.AccountID == "") != (b.AccountID == "") {
			if a.AccountID == "" {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.AccountName, b.AccountName), cmp.Compare(a.AccountID, b.AccountID))
	})
	for i := range c.list {
		st.Total.add(c.list[i].Totals)
		st.RateLimitEvents += c.list[i].RateLimitEvents
	}
	if st.Total.Requests > 0 {
		for i := range c.list {
			c.list[i].Share = float64(c.list[i].Requests) / float64(st.Total.Requests)
		}
	}
	st.Accounts = c.list
	return st, nil
}

// collector gathers AccountStats by account id.
type collector struct {
	list []AccountStats
	byID map[string]int
}

// get returns the entry for id, adding it with name when it is new.
func (c *collector) get(id, name string) *AccountStats {
	i, ok := c.byID[id]
	if !ok {
		i = len(c.list)
		c.byID[id] = i
		c.list = append(c.list, AccountStats{AccountID: id, AccountName: name})
	}
	return &c.list[i]
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
		c.get(id, name)
	}
	return rows.Err()
}

func (c *collector) requests(ctx context.Context, tx *sql.Tx, lo, hi int64, st *Stats) error {
	// With MAX(start), SQLite takes the bare account_name from the newest row.
	rows, err := tx.QueryContext(ctx, `SELECT account_id, account_name, MAX(start), COUNT(*),
		SUM(status >= 400 OR error <> ''), SUM(input_tokens), SUM(output_tokens),
		SUM(cache_read_tokens), SUM(cache_creation_tokens), SUM(failovers), SUM(failovers > 0)
		FROM requests WHERE start >= ? AND start < ? GROUP BY account_id`, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		var newest, failovers, failoverRequests int64
		var t Totals
		if err := rows.Scan(&id, &name, &newest, &t.Requests, &t.Errors, &t.InputTokens, &t.OutputTokens,
			&t.CacheReadTokens, &t.CacheCreationTokens, &failovers, &failoverRequests); err != nil {
			return err
		}
		c.get(id, name).Totals = t
		st.Failovers += failovers
		st.FailoverRequests += failoverRequests
	}
	return rows.Err()
}

func (c *collector) rateLimits(ctx context.Context, tx *sql.Tx, lo, hi int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT account_id, account_name, MAX(at), COUNT(*)
		FROM events WHERE kind = ? AND at >= ? AND at < ? GROUP BY account_id`, EventRateLimited, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		var newest, n int64
		if err := rows.Scan(&id, &name, &newest, &n); err != nil {
			return err
		}
		c.get(id, name).RateLimitEvents = n
	}
	return rows.Err()
}
