package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// minMillis and maxMillis bound every stored time.
const (
	minMillis = math.MinInt64
	maxMillis = math.MaxInt64
)

// hist is a latency histogram: counts by bin index.
type hist [binCount]int64

// hourKey and latencyKey name rollup rows.
type hourKey struct {
	hour           int64
	account, model string
}

type latencyKey struct {
	hour    int64
	account string
}

// hourSums is the content of one request_hours row.
type hourSums struct {
	name              string // account name on the newest row
	last              int64  // start of the newest row (ms)
	t                 Totals
	failovers, foReqs int64
}

// rollup gathers the rollup changes of a set of request rows, to be written
// with one statement per hour, account and model.
type rollup struct {
	hours   map[hourKey]*hourSums
	latency map[latencyKey]*[2]hist
}

func (r *rollup) add(row *RequestRow) {
	start := millis(row.Start)
	hour := floorTo(start, hourMillis)
	if r.hours == nil {
		r.hours = map[hourKey]*hourSums{}
		r.latency = map[latencyKey]*[2]hist{}
	}
	k := hourKey{hour, row.AccountID, row.Model}
	s := r.hours[k]
	if s == nil {
		s = &hourSums{name: row.AccountName, last: start}
		r.hours[k] = s
	} else if start >= s.last {
		s.name, s.last = row.AccountName, start
	}
	s.t.Requests++
	if row.Status >= 400 || row.Error != "" {
		s.t.Errors++
	}
	s.t.InputTokens += row.InputTokens
	s.t.OutputTokens += row.OutputTokens
	s.t.CacheReadTokens += row.CacheReadTokens
	s.t.CacheCreationTokens += row.CacheCreationTokens
	s.failovers += int64(row.Failovers)
	if row.Failovers > 0 {
		s.foReqs++
	}
	ttfb := micros(row.TTFB)
	if ttfb <= 0 {
		return
	}
	lk := latencyKey{hour, row.AccountID}
	h := r.latency[lk]
	if h == nil {
		h = new([2]hist)
		r.latency[lk] = h
	}
	h[latencyTTFB][binIndex(ttfb)]++
	h[latencyDuration][binIndex(micros(row.Duration))]++
}

// Latency kinds.
const (
	latencyTTFB     = 0
	latencyDuration = 1
)

const hourUpsertSQL = `INSERT INTO request_hours (hour, account_id, model, account_name, last_start, requests, errors,
	input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, failovers, failover_requests)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (hour, account_id, model) DO UPDATE SET
		account_name = CASE WHEN excluded.last_start >= last_start THEN excluded.account_name ELSE account_name END,
		last_start = MAX(last_start, excluded.last_start),
		requests = requests + excluded.requests,
		errors = errors + excluded.errors,
		input_tokens = input_tokens + excluded.input_tokens,
		output_tokens = output_tokens + excluded.output_tokens,
		cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
		cache_creation_tokens = cache_creation_tokens + excluded.cache_creation_tokens,
		failovers = failovers + excluded.failovers,
		failover_requests = failover_requests + excluded.failover_requests`

// flush adds the gathered changes to the rollup tables.
func (r *rollup) flush(ctx context.Context, tx *sql.Tx) error {
	if len(r.hours) == 0 {
		return nil
	}
	up, err := tx.PrepareContext(ctx, hourUpsertSQL)
	if err != nil {
		return fmt.Errorf("updating stats rollups: %w", err)
	}
	defer up.Close()
	for k, s := range r.hours {
		t := &s.t
		if _, err := up.ExecContext(ctx, k.hour, k.account, k.model, s.name, s.last, t.Requests, t.Errors,
			t.InputTokens, t.OutputTokens, t.CacheReadTokens, t.CacheCreationTokens, s.failovers, s.foReqs); err != nil {
			return fmt.Errorf("updating stats rollups: %w", err)
		}
	}
	for k, h := range r.latency {
		var ttfb, dur []byte
		err := tx.QueryRowContext(ctx, `SELECT ttfb, duration FROM latency_hours WHERE hour = ? AND account_id = ?`,
			k.hour, k.account).Scan(&ttfb, &dur)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("updating stats rollups: %w", err)
		}
		if err := decodeHist(ttfb, &h[latencyTTFB]); err != nil {
			return fmt.Errorf("updating stats rollups: %w", err)
		}
		if err := decodeHist(dur, &h[latencyDuration]); err != nil {
			return fmt.Errorf("updating stats rollups: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO latency_hours (hour, account_id, ttfb, duration)
			VALUES (?, ?, ?, ?)`, k.hour, k.account, encodeHist(&h[latencyTTFB]), encodeHist(&h[latencyDuration])); err != nil {
			return fmt.Errorf("updating stats rollups: %w", err)
		}
	}
	return nil
}

// encodeHist writes the non-empty bins of h as pairs of uvarints: the bin
// index (as the difference from the previous one) and the count.
func encodeHist(h *hist) []byte {
	b := make([]byte, 0, 64)
	prev := 0
	for i, n := range h {
		if n > 0 {
			b = binary.AppendUvarint(b, uint64(i-prev))
			b = binary.AppendUvarint(b, uint64(n))
			prev = i
		}
	}
	return b
}

// decodeHist adds the histogram encoded in b to h.
func decodeHist(b []byte, h *hist) error {
	i := 0
	for len(b) > 0 {
		d, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("corrupt latency histogram")
		}
		b = b[n:]
		c, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("corrupt latency histogram")
		}
		b = b[n:]
		i += int(d)
		if i >= binCount {
			return errors.New("corrupt latency histogram")
		}
		h[i] += int64(c)
	}
	return nil
}

// rollupColumns are what the rollups need from a request row.
const rollupColumns = `start, account_id, account_name, model, status, error, input_tokens, output_tokens,
	cache_read_tokens, cache_creation_tokens, failovers, ttfb_us, duration_us`

// addRange gathers the rollups of the request rows in [lo, hi).
func (r *rollup) addRange(ctx context.Context, tx *sql.Tx, lo, hi int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT `+rollupColumns+` FROM requests WHERE start >= ? AND start < ?`, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var row RequestRow
		var start, ttfb, dur int64
		if err := rows.Scan(&start, &row.AccountID, &row.AccountName, &row.Model, &row.Status, &row.Error,
			&row.InputTokens, &row.OutputTokens, &row.CacheReadTokens, &row.CacheCreationTokens, &row.Failovers,
			&ttfb, &dur); err != nil {
			return err
		}
		row.Start, row.TTFB, row.Duration = fromMillis(start), fromMicros(ttfb), fromMicros(dur)
		r.add(&row)
	}
	return rows.Err()
}

// rebuildRollupsIfPending builds the rollups from the request rows when a
// migration asked for it: once, whichever process gets there first.
func (db *DB) rebuildRollupsIfPending(ctx context.Context) (err error) {
	var pending bool
	if err := db.w.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM stats_rebuild)`).Scan(&pending); err != nil {
		return fmt.Errorf("building stats rollups: %w", err)
	}
	if !pending {
		return nil
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("building stats rollups: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM stats_rebuild)`).Scan(&pending); err != nil || !pending {
		if err != nil {
			return fmt.Errorf("building stats rollups: %w", err)
		}
		return tx.Commit()
	}
	if err := rebuildRollups(ctx, tx); err != nil {
		return fmt.Errorf("building stats rollups: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM stats_rebuild`); err != nil {
		return fmt.Errorf("building stats rollups: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("building stats rollups: %w", err)
	}
	return nil
}

// rebuildRollups replaces the rollups with ones computed from every request row.
func rebuildRollups(ctx context.Context, tx *sql.Tx) error {
	for _, q := range []string{`DELETE FROM request_hours`, `DELETE FROM latency_hours`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	var r rollup
	if err := r.addRange(ctx, tx, minMillis, maxMillis); err != nil {
		return err
	}
	return r.flush(ctx, tx)
}

// recomputeHour replaces the rollup rows of the hour starting at hour with
// ones computed from the request rows now in it.
func recomputeHour(ctx context.Context, tx *sql.Tx, hour int64) error {
	for _, q := range []string{`DELETE FROM request_hours WHERE hour = ?`, `DELETE FROM latency_hours WHERE hour = ?`} {
		if _, err := tx.ExecContext(ctx, q, hour); err != nil {
			return err
		}
	}
	var r rollup
	if err := r.addRange(ctx, tx, hour, hour+hourMillis); err != nil {
		return err
	}
	return r.flush(ctx, tx)
}

// deleteRequests deletes the request rows that started before t, oldest
// first, up to chunk rows per transaction, and keeps the rollups exact in
// the same transaction: the hours wholly deleted lose their rollup rows and
// the hour the chunk ended in is recomputed from the rows left in it.
func (db *DB) deleteRequests(ctx context.Context, t time.Time, chunk int) (int64, error) {
	var total int64
	for {
		n, err := db.deleteRequestChunk(ctx, millis(t), chunk)
		total += n
		if err != nil || n < int64(chunk) {
			return total, err
		}
	}
}

func (db *DB) deleteRequestChunk(ctx context.Context, cut int64, chunk int) (n int64, err error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			n, err = 0, errors.Join(err, rollback(tx))
		}
	}()
	rows, err := tx.QueryContext(ctx, `DELETE FROM requests WHERE rowid IN
		(SELECT rowid FROM requests WHERE start < ? ORDER BY start LIMIT ?) RETURNING start`, cut, chunk)
	if err != nil {
		return 0, err
	}
	newest := int64(minMillis)
	for rows.Next() {
		var start int64
		if err := rows.Scan(&start); err != nil {
			rows.Close()
			return 0, err
		}
		n++
		newest = max(newest, start)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if n > 0 {
		// Every row older than the newest one deleted is gone.
		hour := floorTo(newest, hourMillis)
		for _, q := range []string{`DELETE FROM request_hours WHERE hour < ?`, `DELETE FROM latency_hours WHERE hour < ?`} {
			if _, err := tx.ExecContext(ctx, q, hour); err != nil {
				return 0, err
			}
		}
		if err := recomputeHour(ctx, tx, hour); err != nil {
			return 0, err
		}
	}
	return n, tx.Commit()
}
