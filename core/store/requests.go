package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// RequestRow is one proxied request, written when it ends. AccountID and
// AccountName are empty when no account served it (pass-through).
type RequestRow struct {
	ID                  string
	Start               time.Time
	Method, Path        string
	AccountID           string
	AccountName         string
	Status              int // the status sent to the client; 499 when the client went away
	Duration, TTFB      time.Duration
	Failovers           int // accounts tried before the one that answered
	Model               string
	InputTokens         int64
	OutputTokens        int64
	CacheReadTokens     int64
	CacheCreationTokens int64
	Streamed            bool
	Error               string // why the request failed, "" when it did not
}

func (RequestRow) isRecord() {}

const requestColumns = `id, start, method, path, account_id, account_name, status, duration_us, ttfb_us,
	failovers, model, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, streamed, error`

const requestInsertSQL = `INSERT INTO requests (` + requestColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func requestArgs(r *RequestRow) []any {
	return []any{r.ID, millis(r.Start), r.Method, r.Path, r.AccountID, r.AccountName, r.Status,
		micros(r.Duration), micros(r.TTFB), r.Failovers, r.Model, r.InputTokens, r.OutputTokens,
		r.CacheReadTokens, r.CacheCreationTokens, r.Streamed, r.Error}
}

// LatestRequests returns up to limit request rows, newest (by Start) first.
// A limit of 0 or less returns none.
func (db *DB) LatestRequests(ctx context.Context, limit int) ([]RequestRow, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+requestColumns+` FROM requests
		ORDER BY start DESC, rowid DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("reading requests: %w", err)
	}
	defer rows.Close()
	var list []RequestRow
	for rows.Next() {
		var r RequestRow
		var start, dur, ttfb int64
		if err := rows.Scan(&r.ID, &start, &r.Method, &r.Path, &r.AccountID, &r.AccountName, &r.Status,
			&dur, &ttfb, &r.Failovers, &r.Model, &r.InputTokens, &r.OutputTokens,
			&r.CacheReadTokens, &r.CacheCreationTokens, &r.Streamed, &r.Error); err != nil {
			return nil, fmt.Errorf("reading requests: %w", err)
		}
		r.Start, r.Duration, r.TTFB = fromMillis(start), fromMicros(dur), fromMicros(ttfb)
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading requests: %w", err)
	}
	return list, nil
}

// DeleteRequestsBefore applies retention: it deletes the request rows that
// started before t, the events before t and the sessions that started
// before t, a chunk at a time so that the Writer's batches get in between.
// The stats rollups follow the deleted rows exactly. It returns the number
// of request rows deleted.
func (db *DB) DeleteRequestsBefore(ctx context.Context, t time.Time) (int64, error) {
	return db.deleteBefore(ctx, t, deleteChunk)
}

// deleteChunk bounds how many rows one retention statement deletes.
const deleteChunk = 5000

func (db *DB) deleteBefore(ctx context.Context, t time.Time, chunk int) (int64, error) {
	n, err := db.deleteRequests(ctx, t, chunk)
	if err != nil {
		return n, fmt.Errorf("deleting requests before %s: %w", t.Format(time.RFC3339), err)
	}
	if _, err := deleteChunks(ctx, db.w, `DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE at < ? LIMIT ?)`, t, chunk); err != nil {
		return n, fmt.Errorf("deleting events before %s: %w", t.Format(time.RFC3339), err)
	}
	if _, err := deleteChunks(ctx, db.w, `DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE start < ? LIMIT ?)`, t, chunk); err != nil {
		return n, fmt.Errorf("deleting sessions before %s: %w", t.Format(time.RFC3339), err)
	}
	return n, nil
}

// deleteChunks runs query, which takes the cut-off and a limit, until it
// deletes less than a full chunk.
func deleteChunks(ctx context.Context, w *sql.DB, query string, t time.Time, chunk int) (int64, error) {
	var total int64
	for {
		res, err := w.ExecContext(ctx, query, millis(t), chunk)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += n
		if n < int64(chunk) {
			return total, nil
		}
	}
}
