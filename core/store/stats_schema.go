package store

// The stats rollups keep /api/stats fast on a large request log (docs/DESIGN.md, "Monitoring"):
// a month of heavy use is about a million rows, which SQLite cannot add up
// within a user's patience, while the rollups of that month hold a few
// thousand rows.
//
//   - request_hours: per hour, account and model, the request, error, token
//     and failover counts of the requests that started in that hour.
//   - latency_hours: per hour and account, two latency histograms (time to
//     first byte, total duration) of the requests that got an upstream answer
//     (ttfb_us > 0), encoded by encodeHist.
//
// Hours are aligned to the unix epoch (UTC) and stored as the unix
// milliseconds of their start. Write keeps both exact in the transaction
// that inserts the rows, one upsert per hour, account and model of the batch
// (not per row); retention (deleteBefore) recomputes the hour it cuts
// through. Stats reads whole hours from the rollups and the partial hours at
// the window's edges from the request rows.
//
// A database migrated from schema version 1 gets its rollups built from the
// existing rows when it is opened (stats_rebuild marks that as pending).
const hourMillis = int64(3_600_000)

// migrationStats is schema version 2: the rollups and the session history.
const migrationStats = `
CREATE TABLE request_hours (
	hour                  INTEGER NOT NULL,
	account_id            TEXT NOT NULL,
	model                 TEXT NOT NULL,
	account_name          TEXT NOT NULL, -- on the newest row
	last_start            INTEGER NOT NULL,
	requests              INTEGER NOT NULL,
	errors                INTEGER NOT NULL,
	input_tokens          INTEGER NOT NULL,
	output_tokens         INTEGER NOT NULL,
	cache_read_tokens     INTEGER NOT NULL,
	cache_creation_tokens INTEGER NOT NULL,
	failovers             INTEGER NOT NULL,
	failover_requests     INTEGER NOT NULL,
	PRIMARY KEY (hour, account_id, model)
) WITHOUT ROWID;

CREATE TABLE latency_hours (
	hour       INTEGER NOT NULL,
	account_id TEXT NOT NULL,
	ttfb       BLOB NOT NULL,
	duration   BLOB NOT NULL,
	PRIMARY KEY (hour, account_id)
) WITHOUT ROWID;

-- One row while the rollups still have to be built from existing requests.
CREATE TABLE stats_rebuild (pending INTEGER NOT NULL);
INSERT INTO stats_rebuild (pending) SELECT 1 WHERE EXISTS (SELECT 1 FROM requests);

-- Monitoring reads events by kind.
CREATE INDEX events_kind_at ON events (kind, at);

-- The session history (docs/DESIGN.md, "Monitoring" "session duration effectiveness"): one row
-- per period an account was the active one. finish is 0 while it is open;
-- expires is when it ends unless something else ends it first.
CREATE TABLE sessions (
	account_id   TEXT NOT NULL,
	account_name TEXT NOT NULL DEFAULT '',
	start        INTEGER NOT NULL,
	expires      INTEGER NOT NULL DEFAULT 0,
	finish       INTEGER NOT NULL DEFAULT 0,
	requests     INTEGER NOT NULL DEFAULT 0,
	start_reason TEXT NOT NULL DEFAULT '',
	end_reason   TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (account_id, start)
);
CREATE INDEX sessions_start ON sessions (start);
`

// binTop is the largest latency the bins tell apart: 10^13 µs (115 days).
const binTop = int64(10_000_000_000_000)

// binCount is the number of latency bins: 0…100 µs one by one, then 90 bins
// per decade up to binTop.
const binCount = 101 + 90*11

// LatencyBin rounds a latency in microseconds up to two significant digits
// (values up to 100 µs are kept as they are, values above binTop become
// binTop): 1234 µs → 1300 µs, 98.7 ms → 99 ms, 1.01 s → 1.1 s. Latency
// percentiles are reported as the bin of the exact nearest-rank value, so
// they are never below the truth and at most 10% above it.
func LatencyBin(us int64) int64 { return binValue(binIndex(us)) }

// binIndex is the index (0 … binCount-1) of the bin of a latency in µs.
func binIndex(us int64) int {
	if us <= 100 {
		return int(max(us, 0))
	}
	us = min(us, binTop)
	i := 101
	for lim, p := int64(1000), int64(10); ; lim, p, i = lim*10, p*10, i+90 {
		if us <= lim {
			m := (us + p - 1) / p // 11 … 100
			return i + int(m-11)
		}
	}
}

// binValue is the upper bound, in µs, of bin i.
func binValue(i int) int64 {
	if i <= 100 {
		return int64(i)
	}
	p := int64(10)
	for i -= 101; i >= 90; i -= 90 {
		p *= 10
	}
	return int64(i+11) * p
}
