package store

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// WriterOptions tune a Writer; zero values take the defaults.
type WriterOptions struct {
	QueueSize     int           // records waiting at most; default 8192
	BatchSize     int           // records per transaction at most; default 512
	FlushInterval time.Duration // how long a record waits for its batch to fill; default 100 ms
	// OnError hears of failed commits, once per failure streak: after a
	// failure it is not called again until a commit has succeeded. It runs
	// on the writer's goroutine: it must return quickly and must not call
	// Flush or Close. Default: a warning through slog.
	OnError func(error)
}

// Writer is docs/DESIGN.md, "Monitoring" AsyncDbWriter: the request path hands it records with
// Enqueue, which never blocks, and one goroutine commits them in batches.
// Records that cannot be queued (full queue) or committed (a failed batch)
// are lost and counted by Dropped; the proxy never waits on the database.
type Writer struct {
	db   *DB
	opts WriterOptions

	// mu makes Close wait for Enqueues in progress, so that once the queue
	// is closed nothing more is sent on it. Enqueue takes the read lock only.
	mu     sync.RWMutex
	closed bool
	queue  chan Record

	flushes chan chan struct{}
	done    chan struct{}
	ctx     context.Context // ends a commit in progress when Close gives up
	cancel  context.CancelFunc

	pending  atomic.Int64  // accepted, not yet committed or dropped
	written  atomic.Uint64 // committed
	dropped  atomic.Uint64 // queue full or batch failed
	failures atomic.Uint64 // failed commits
	seen     atomic.Uint64 // failures returned by Flush or Close, or older than Close
	lastErr  atomic.Pointer[error]
	failing  bool // the last commit failed; writer goroutine only

	afterCommit func(n int, err error) // tests: sees every batch
}

// NewWriter starts a writer on db. Stop it with Close before closing db.
func NewWriter(db *DB, o WriterOptions) *Writer { return newWriter(db, o, nil) }

func newWriter(db *DB, o WriterOptions, afterCommit func(n int, err error)) *Writer {
	if o.QueueSize <= 0 {
		o.QueueSize = 8192
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 512
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 100 * time.Millisecond
	}
	if o.OnError == nil {
		o.OnError = func(err error) { slog.Warn("request log is losing records", "err", err) }
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Writer{
		db:      db,
		opts:    o,
		queue:   make(chan Record, o.QueueSize),
		flushes: make(chan chan struct{}),
		done:    make(chan struct{}),
		ctx:     ctx,
		cancel:  cancel,

		afterCommit: afterCommit,
	}
	go w.run()
	return w
}

// Enqueue queues r to be written and reports whether it was accepted. It
// never waits for the database: when the queue is full, r is dropped and
// counted by Dropped. After Close, and for a nil r, it returns false without
// counting. Safe for concurrent use; this is the request path's only cost.
func (w *Writer) Enqueue(r Record) bool {
	if r == nil {
		return false
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return false
	}
	w.pending.Add(1)
	select {
	case w.queue <- r:
		return true
	default:
		w.pending.Add(-1)
		w.dropped.Add(1)
		return false
	}
}

// Flush waits until every record enqueued before the call has been
// committed (or dropped by a failed commit). It returns ctx's error when ctx
// ends first, else an error when a commit failed since the last Flush or
// Close returned (or since the start): the caller learns whether what it
// enqueued since its previous Flush was all written. Once the writer has
// stopped (Close), it returns at once.
func (w *Writer) Flush(ctx context.Context) error {
	reply := make(chan struct{})
	select {
	case w.flushes <- reply:
	case <-w.done:
		return w.newFailures()
	case <-ctx.Done():
		return fmt.Errorf("flushing request log: %w", ctx.Err())
	}
	select {
	case <-reply:
	case <-ctx.Done():
		return fmt.Errorf("flushing request log: %w", ctx.Err())
	}
	return w.newFailures()
}

// Close stops accepting records, commits everything queued and stops the
// goroutine. It returns an error when a commit failed after Close was
// called, that is when records not yet written when Close was called were
// lost. Earlier failures are not its business: OnError has reported them,
// and a long-running app that lost rows an hour ago still shuts down
// cleanly. If ctx ends first, Close returns ctx's error at once, and the
// goroutine, its commits now cancelled, drops what is left and stops soon
// after. Calling Close again waits for the same end.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		w.seen.Store(w.failures.Load())
		close(w.queue)
	}
	w.mu.Unlock()
	select {
	case <-w.done:
		return w.newFailures()
	case <-ctx.Done():
		w.cancel()
		return fmt.Errorf("closing request log with %d records not written: %w", w.QueueDepth(), ctx.Err())
	}
}

// Dropped counts the records lost: refused by a full queue or part of a
// batch that failed to commit.
func (w *Writer) Dropped() uint64 { return w.dropped.Load() }

// Written counts the records committed.
func (w *Writer) Written() uint64 { return w.written.Load() }

// QueueDepth is the number of accepted records not yet committed or dropped.
func (w *Writer) QueueDepth() int { return int(w.pending.Load()) }

// newFailures returns the last commit error if commits failed since it was
// last called.
func (w *Writer) newFailures() error {
	n := w.failures.Load()
	if w.seen.Swap(n) == n {
		return nil
	}
	if p := w.lastErr.Load(); p != nil {
		return *p
	}
	return fmt.Errorf("request log: a commit failed")
}

// run is the writer goroutine: it gathers records into a batch and commits
// it when it is full, when FlushInterval has passed since its first record,
// on Flush, and when the queue is closed and empty.
func (w *Writer) run() {
	defer close(w.done)
	defer w.cancel()
	batch := make([]Record, 0, w.opts.BatchSize)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	armed := false
	commit := func() {
		if armed {
			timer.Stop()
			armed = false
		}
		w.commit(batch)
		clear(batch)
		batch = batch[:0]
	}
	add := func(r Record) {
		batch = append(batch, r)
		if len(batch) >= w.opts.BatchSize {
			commit()
		} else if !armed {
			timer.Reset(w.opts.FlushInterval)
			armed = true
		}
	}
	for {
		select {
		case r, ok := <-w.queue:
			if !ok {
				commit()
				return
			}
			add(r)
		case <-timer.C:
			armed = false
			commit()
		case reply := <-w.flushes:
			// Everything enqueued before Flush is in the batch or among
			// the first len(queue) records: the queue is FIFO and only this
			// goroutine receives.
			for n := len(w.queue); n > 0; n-- {
				r, ok := <-w.queue
				if !ok {
					break
				}
				add(r)
			}
			commit()
			close(reply)
		}
	}
}

// commit writes one batch and keeps the counters.
func (w *Writer) commit(batch []Record) {
	if len(batch) == 0 {
		return
	}
	n := len(batch)
	err := w.write(batch)
	if w.afterCommit != nil {
		w.afterCommit(n, err)
	}
	if err != nil {
		err = fmt.Errorf("request log: lost %d records: %w", n, err)
		w.lastErr.Store(&err)
		w.dropped.Add(uint64(n))
		w.failures.Add(1)
		w.pending.Add(-int64(n))
		if !w.failing {
			w.failing = true
			w.report(err)
		}
		return
	}
	w.written.Add(uint64(n))
	w.pending.Add(-int64(n))
	w.failing = false
}

// write is db.Write with any panic turned into an error: the writer must
// never take the process down.
func (w *Writer) write(batch []Record) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic while writing: %v", p)
		}
	}()
	return w.db.Write(w.ctx, batch)
}

func (w *Writer) report(err error) {
	defer func() {
		if p := recover(); p != nil {
			slog.Error("request log: OnError panicked", "panic", p)
		}
	}()
	w.opts.OnError(err)
}
