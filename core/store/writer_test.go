package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func row(i int) RequestRow {
	return RequestRow{ID: fmt.Sprintf("req-%d", i), Start: base.Add(time.Duration(i) * time.Millisecond),
		Method: "POST", Path: "/v1/messages", Status: 200, InputTokens: 10}
}

func countRequests(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.r.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM requests`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// lockDB takes the database's write lock from another connection, as
// another process would, until release is called.
func lockDB(t *testing.T, db *DB) (release func()) {
	t.Helper()
	raw, err := sql.Open("sqlite", dsnPath(db.Path())+"?"+pragmas)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := raw.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			conn.ExecContext(context.Background(), `COMMIT`)
			conn.Close()
			raw.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// batchLog records the size and outcome of every batch a writer commits.
type batchLog struct {
	mu    sync.Mutex
	sizes []int
	errs  int
}

func (l *batchLog) hook(n int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sizes = append(l.sizes, n)
	if err != nil {
		l.errs++
	}
}

func (l *batchLog) get() ([]int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int(nil), l.sizes...), l.errs
}

func TestWriterCloseWritesEverything(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    WriterOptions
		n    int
	}{
		{"defaults", WriterOptions{}, 2000},
		{"batches of one", WriterOptions{BatchSize: 1}, 300},
		{"odd batches", WriterOptions{BatchSize: 7, QueueSize: 5000}, 1000},
		{"nothing", WriterOptions{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t)
			w := NewWriter(db, tt.o)
			for i := range tt.n {
				if !w.Enqueue(row(i)) {
					t.Fatalf("record %d refused", i)
				}
			}
			if err := w.Close(t.Context()); err != nil {
				t.Fatal(err)
			}
			if w.Written() != uint64(tt.n) || w.Dropped() != 0 || w.QueueDepth() != 0 {
				t.Errorf("written %d, dropped %d, depth %d; want %d, 0, 0", w.Written(), w.Dropped(), w.QueueDepth(), tt.n)
			}
			if got := countRequests(t, db); got != tt.n {
				t.Errorf("%d rows in the database, want %d", got, tt.n)
			}
		})
	}
}

// With a long interval, batches are cut only by size and by Flush.
func TestWriterBatches(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	var log batchLog
	w := newWriter(db, WriterOptions{BatchSize: 10, QueueSize: 100, FlushInterval: time.Hour}, log.hook)
	defer w.Close(t.Context())
	for i := range 25 {
		w.Enqueue(row(i))
	}
	if err := w.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if sizes, _ := log.get(); !reflect.DeepEqual(sizes, []int{10, 10, 5}) {
		t.Errorf("batches %v, want [10 10 5]", sizes)
	}
	if w.Written() != 25 || countRequests(t, db) != 25 {
		t.Errorf("written %d, rows %d", w.Written(), countRequests(t, db))
	}
	// A Flush with nothing queued commits nothing.
	if err := w.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if sizes, _ := log.get(); len(sizes) != 3 {
		t.Errorf("an empty Flush committed: %v", sizes)
	}
}

// A partial batch waits FlushInterval, then is committed on its own.
func TestWriterFlushInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, err := Open(filepath.Join(t.TempDir(), "claudeflare.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var log batchLog
		w := newWriter(db, WriterOptions{BatchSize: 100, FlushInterval: time.Minute}, log.hook)
		defer w.Close(context.Background())

		for i := range 3 {
			w.Enqueue(row(i))
		}
		synctest.Wait()
		if w.Written() != 0 {
			t.Fatalf("written %d before the interval", w.Written())
		}
		time.Sleep(time.Minute - time.Millisecond)
		synctest.Wait()
		if w.Written() != 0 {
			t.Fatalf("written %d before the interval", w.Written())
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if sizes, _ := log.get(); !reflect.DeepEqual(sizes, []int{3}) || w.Written() != 3 {
			t.Errorf("batches %v, written %d; want [3], 3", sizes, w.Written())
		}
		// The interval counts from a batch's first record.
		w.Enqueue(row(3))
		time.Sleep(30 * time.Second)
		w.Enqueue(row(4))
		time.Sleep(30 * time.Second)
		synctest.Wait()
		if sizes, _ := log.get(); !reflect.DeepEqual(sizes, []int{3, 2}) {
			t.Errorf("batches %v, want [3 2]", sizes)
		}
	})
}

// While another process holds the write lock, Enqueue still returns at once:
// the queue fills, the rest is dropped and counted, and what was accepted is
// written once the lock is released.
func TestWriterEnqueueNeverBlocks(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	release := lockDB(t, db)
	const queue, batch, n = 4, 1, 200
	w := NewWriter(db, WriterOptions{QueueSize: queue, BatchSize: batch})

	start := time.Now()
	accepted := 0
	for i := range n {
		if w.Enqueue(row(i)) {
			accepted++
		}
	}
	// Far below busy_timeout (5 s), which is how long a blocked Enqueue would wait.
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("%d Enqueues took %v", n, elapsed)
	}
	if accepted > queue+batch || accepted == 0 {
		t.Errorf("accepted %d with the database locked, want 1…%d", accepted, queue+batch)
	}
	if d := w.Dropped(); d != uint64(n-accepted) {
		t.Errorf("dropped %d, want %d", d, n-accepted)
	}
	if d := w.QueueDepth(); d != accepted {
		t.Errorf("queue depth %d, want %d", d, accepted)
	}

	release()
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if w.Written() != uint64(accepted) || countRequests(t, db) != accepted {
		t.Errorf("written %d, rows %d; want %d", w.Written(), countRequests(t, db), accepted)
	}
	if w.Dropped() != uint64(n-accepted) {
		t.Errorf("dropped %d after close, want %d", w.Dropped(), n-accepted)
	}
}

// A failing commit (here a trigger that aborts every insert, as a full disk
// would) loses its batch, counts it and is reported once per streak.
func TestWriterOnErrorOncePerStreak(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	var mu sync.Mutex
	var reported []error
	w := NewWriter(db, WriterOptions{BatchSize: 1, OnError: func(err error) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err)
	}})
	defer w.Close(t.Context())
	calls := func() int { mu.Lock(); defer mu.Unlock(); return len(reported) }
	breakDB := func() {
		t.Helper()
		if _, err := db.w.Exec(`CREATE TRIGGER fail BEFORE INSERT ON requests BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`); err != nil {
			t.Fatal(err)
		}
	}
	fixDB := func() {
		t.Helper()
		if _, err := db.w.Exec(`DROP TRIGGER fail`); err != nil {
			t.Fatal(err)
		}
	}
	send := func(from, n int) error {
		for i := from; i < from+n; i++ {
			if !w.Enqueue(row(i)) {
				t.Fatalf("record %d refused", i)
			}
		}
		return w.Flush(t.Context())
	}

	steps := []struct {
		name             string
		before           func()
		n                int
		wantErr          bool
		calls            int
		written, dropped uint64
	}{
		{"healthy", nil, 2, false, 0, 2, 0},
		{"failing", breakDB, 3, true, 1, 2, 3},
		{"still failing", nil, 2, true, 1, 2, 5},
		{"recovered", fixDB, 2, false, 1, 4, 5},
		{"failing again", breakDB, 1, true, 2, 4, 6},
	}
	next := 0
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		err := send(next, s.n)
		next += s.n
		if (err != nil) != s.wantErr {
			t.Errorf("%s: Flush = %v", s.name, err)
		}
		if got := calls(); got != s.calls {
			t.Errorf("%s: OnError called %d times, want %d", s.name, got, s.calls)
		}
		if w.Written() != s.written || w.Dropped() != s.dropped {
			t.Errorf("%s: written %d, dropped %d; want %d, %d", s.name, w.Written(), w.Dropped(), s.written, s.dropped)
		}
	}
	if got := countRequests(t, db); got != 4 {
		t.Errorf("%d rows, want 4", got)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, err := range reported {
		if msg := err.Error(); !strings.Contains(msg, "disk on fire") || !strings.Contains(msg, "lost 1 records") {
			t.Errorf("reported %q: should say what failed and what was lost", msg)
		}
	}
}

// A writer whose database was closed under it loses everything, without
// panicking, and says so.
func TestWriterOnClosedDB(t *testing.T) {
	t.Parallel()
	db, err := Open(filepath.Join(t.TempDir(), "claudeflare.db"))
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	w := NewWriter(db, WriterOptions{BatchSize: 2, FlushInterval: time.Hour, OnError: func(error) { calls.Add(1); panic("a careless OnError") }})
	db.Close()
	for i := range 5 {
		w.Enqueue(row(i))
	}
	if err := w.Close(t.Context()); err == nil {
		t.Error("Close reported no error")
	}
	if w.Dropped() != 5 || w.Written() != 0 || calls.Load() != 1 {
		t.Errorf("dropped %d, written %d, OnError %d times; want 5, 0, 1", w.Dropped(), w.Written(), calls.Load())
	}
}

// TestWriterCloseReportsOnlyItsOwnLosses: rows lost (and reported to
// OnError) long before shutdown do not make Close fail; rows Close could not
// write do.
func TestWriterCloseReportsOnlyItsOwnLosses(t *testing.T) {
	t.Parallel()
	for _, failAtClose := range []bool{false, true} {
		db := newTestDB(t)
		w := NewWriter(db, WriterOptions{BatchSize: 1, OnError: func(error) {}})
		if _, err := db.w.Exec(`CREATE TRIGGER fail BEFORE INSERT ON requests BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
			t.Fatal(err)
		}
		w.Enqueue(row(0)) // a batch of one: committed, and lost, at once
		for deadline := time.Now().Add(5 * time.Second); w.Dropped() == 0; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the failing commit did not happen")
			}
		}
		if !failAtClose {
			if _, err := db.w.Exec(`DROP TRIGGER fail`); err != nil {
				t.Fatal(err)
			}
		}
		w.Enqueue(row(1))
		err := w.Close(t.Context())
		if got := err != nil; got != failAtClose {
			t.Errorf("failing at close %v: Close = %v", failAtClose, err)
		}
		if want := map[bool]uint64{false: 1, true: 0}[failAtClose]; w.Written() != want || w.Dropped() != 2-want {
			t.Errorf("failing at close %v: written %d, dropped %d; want %d, %d", failAtClose, w.Written(), w.Dropped(), want, 2-want)
		}
	}
}

func TestWriterAfterClose(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	w := NewWriter(db, WriterOptions{})
	w.Enqueue(row(0))
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if w.Enqueue(row(1)) {
		t.Error("Enqueue after Close accepted a record")
	}
	if w.Enqueue(nil) {
		t.Error("Enqueue(nil) accepted")
	}
	if err := w.Flush(t.Context()); err != nil {
		t.Errorf("Flush after Close: %v", err)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if w.Written() != 1 || w.Dropped() != 0 {
		t.Errorf("written %d, dropped %d; want 1, 0", w.Written(), w.Dropped())
	}
}

// When Close's context ends first, Close returns at once and the writer,
// its commit cancelled, drops what is left and stops.
func TestWriterCloseGivesUp(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	release := lockDB(t, db)
	w := NewWriter(db, WriterOptions{BatchSize: 1, OnError: func(error) {}})
	for i := range 3 {
		w.Enqueue(row(i))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := w.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want a deadline error", err)
	}
	<-w.done
	release()
	if w.Dropped() != 3 || w.Written() != 0 || w.QueueDepth() != 0 {
		t.Errorf("dropped %d, written %d, depth %d; want 3, 0, 0", w.Dropped(), w.Written(), w.QueueDepth())
	}
}

func TestWriterFlushContext(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	release := lockDB(t, db)
	w := NewWriter(db, WriterOptions{BatchSize: 1})
	defer w.Close(t.Context())
	w.Enqueue(row(0))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := w.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Flush on a locked database = %v, want a deadline error", err)
	}
	release()
	if err := w.Flush(t.Context()); err != nil || w.Written() != 1 {
		t.Errorf("Flush = %v, written %d", err, w.Written())
	}
}

// Many goroutines enqueue while others flush and one closes: every record
// that was accepted is written, none twice.
func TestWriterConcurrent(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	w := NewWriter(db, WriterOptions{QueueSize: 1 << 14, BatchSize: 64, FlushInterval: time.Millisecond})
	const producers, each = 8, 500
	var accepted, refused atomic.Int64
	var wg sync.WaitGroup
	started := make(chan struct{})
	for p := range producers {
		wg.Go(func() {
			<-started
			for i := range each {
				if w.Enqueue(row(p*each + i)) {
					accepted.Add(1)
				} else {
					refused.Add(1)
				}
				_ = w.QueueDepth()
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			<-started
			for range 20 {
				w.Flush(t.Context())
			}
		})
	}
	close(started)
	for accepted.Load() < producers*each/4 { // close while producers are busy
		runtime.Gosched()
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if accepted.Load()+refused.Load() != producers*each {
		t.Fatalf("accepted %d + refused %d", accepted.Load(), refused.Load())
	}
	if w.Written() != uint64(accepted.Load()) || w.Dropped() != 0 {
		t.Errorf("written %d, dropped %d; want %d, 0", w.Written(), w.Dropped(), accepted.Load())
	}
	if got := countRequests(t, db); got != int(accepted.Load()) {
		t.Errorf("%d rows, want %d", got, accepted.Load())
	}
	var dup int
	db.r.QueryRow(`SELECT COUNT(*) - COUNT(DISTINCT id) FROM requests`).Scan(&dup)
	if dup != 0 {
		t.Errorf("%d records written twice", dup)
	}
}

// BenchmarkWriterEnqueue measures the request path's cost: Enqueue from
// many goroutines. Records beyond what the database keeps up with are
// dropped; the drop rate is reported.
func BenchmarkWriterEnqueue(b *testing.B) {
	db := newTestDB(b)
	w := NewWriter(db, WriterOptions{})
	r := row(1)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Enqueue(r)
		}
	})
	b.StopTimer()
	if err := w.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(w.Dropped())/float64(b.N), "dropped/op")
}
