package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// badRecord is a Record that Write does not know.
type badRecord struct{}

func (badRecord) isRecord() {}

func TestWriteIsAllOrNothing(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	if err := db.InsertAccount(t.Context(), testAccount("id-1", "alice", 0, base)); err != nil {
		t.Fatal(err)
	}
	err := db.Write(t.Context(), []Record{
		RequestRow{ID: "r1", Start: base},
		AccountState{ID: "id-1", TotalRequests: 5},
		Event{At: base, Kind: EventFailover},
		badRecord{},
	})
	if err == nil {
		t.Fatal("Write with an unknown record succeeded")
	}
	if rows, _ := db.LatestRequests(t.Context(), 10); len(rows) != 0 {
		t.Errorf("a failed batch left %d request rows", len(rows))
	}
	if evs, _ := db.Events(t.Context(), base.AddDate(-1, 0, 0), base.AddDate(1, 0, 0)); len(evs) != 0 {
		t.Errorf("a failed batch left %d events", len(evs))
	}
	if a, _ := db.AccountByName(t.Context(), "alice"); a.TotalRequests != 0 {
		t.Errorf("a failed batch changed the account state: %+v", a)
	}
}

func TestWriteRecordForms(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	if err := db.InsertAccount(t.Context(), testAccount("id-1", "alice", 0, base)); err != nil {
		t.Fatal(err)
	}
	var nilRow *RequestRow
	recs := []Record{
		&RequestRow{ID: "ptr", Start: base},
		RequestRow{ID: "val", Start: base.Add(1)},
		nilRow,
		nil,
		&AccountState{ID: "id-1", TotalRequests: 3},
		&Event{At: base, Kind: EventNeedsLogin},
		(*Event)(nil),
		(*AccountState)(nil),
	}
	if err := db.Write(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	if rows, _ := db.LatestRequests(t.Context(), 10); len(rows) != 2 {
		t.Errorf("%d request rows, want 2", len(rows))
	}
	if a, _ := db.AccountByName(t.Context(), "alice"); a.TotalRequests != 3 {
		t.Errorf("account state not written: %+v", a)
	}
	if err := db.Write(t.Context(), nil); err != nil {
		t.Errorf("empty Write: %v", err)
	}
}

func TestWriteCancelled(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := db.Write(ctx, []Record{RequestRow{ID: "r"}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Write with a cancelled context: %v", err)
	}
}

// BenchmarkWrite measures one transaction of 512 request rows, the
// Writer's default batch.
func BenchmarkWrite(b *testing.B) {
	db := newTestDB(b)
	batch := make([]Record, 512)
	for i := range batch {
		batch[i] = RequestRow{ID: fmt.Sprintf("req-%d", i), Start: base, Method: "POST", Path: "/v1/messages",
			AccountID: "id-1", AccountName: "alice", Status: 200, Model: "claude-sonnet-4-5",
			InputTokens: 1000, OutputTokens: 200, Streamed: true}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := db.Write(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/row")
}
