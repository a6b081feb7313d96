package store

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

func mustWrite(t testing.TB, db *DB, recs ...Record) {
	t.Helper()
	if err := db.Write(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
}

func ids(rows []RequestRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

func TestRequestRowRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		row  RequestRow
	}{
		{"everything", RequestRow{ID: "req-1", Start: base, Method: "POST", Path: "/v1/messages?beta=true",
			AccountID: "id-1", AccountName: "alice", Status: 200, Duration: 2345678 * time.Microsecond,
			TTFB: 345 * time.Millisecond, Failovers: 2, Model: "claude-sonnet-4-5", InputTokens: 1000,
			OutputTokens: 200, CacheReadTokens: 30000, CacheCreationTokens: 4000, Streamed: true}},
		{"pass-through error", RequestRow{ID: "req-2", Start: base, Method: "GET", Path: "/v1/models",
			Status: 499, Duration: time.Second, Error: "client went away"}},
		{"zero", RequestRow{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t)
			mustWrite(t, db, tt.row)
			got, err := db.LatestRequests(t.Context(), 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || !reflect.DeepEqual(got[0], tt.row) {
				t.Errorf("got %+v\nwant %+v", got, tt.row)
			}
		})
	}
}

func TestLatestRequestsOrderAndLimit(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	// Written out of order; "d" and "d2" share a start: the later write is newer.
	var recs []Record
	for _, r := range []struct {
		id  string
		min int
	}{{"b", 1}, {"e", 4}, {"a", 0}, {"d", 3}, {"c", 2}, {"d2", 3}} {
		recs = append(recs, RequestRow{ID: r.id, Start: base.Add(time.Duration(r.min) * time.Minute), Status: 200})
	}
	mustWrite(t, db, recs...)
	all := []string{"e", "d2", "d", "c", "b", "a"}
	tests := []struct {
		limit int
		want  []string
	}{
		{-1, nil}, {0, nil}, {1, all[:1]}, {3, all[:3]}, {6, all}, {100, all},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			got, err := db.LatestRequests(t.Context(), tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ids(got), tt.want) {
				t.Errorf("LatestRequests(%d) = %v, want %v", tt.limit, ids(got), tt.want)
			}
		})
	}
}

func TestDeleteRequestsBefore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		cut         time.Time
		wantDeleted int64
		wantLeft    []string
		wantEvents  int
	}{
		{"middle", base, 2, []string{"later", "at"}, 2},
		{"before all", base.Add(-3 * time.Hour), 0, []string{"later", "at", "1h", "2h"}, 3},
		{"after all", base.Add(3 * time.Hour), 4, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t)
			mustWrite(t, db,
				RequestRow{ID: "2h", Start: base.Add(-2 * time.Hour)},
				RequestRow{ID: "1h", Start: base.Add(-time.Hour)},
				RequestRow{ID: "at", Start: base},
				RequestRow{ID: "later", Start: base.Add(time.Hour)},
				Event{At: base.Add(-time.Hour), Kind: EventFailover},
				Event{At: base, Kind: EventFailover},
				Event{At: base.Add(time.Minute), Kind: EventFailover},
			)
			n, err := db.DeleteRequestsBefore(t.Context(), tt.cut)
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.wantDeleted {
				t.Errorf("deleted %d, want %d", n, tt.wantDeleted)
			}
			left, _ := db.LatestRequests(t.Context(), 100)
			if !reflect.DeepEqual(ids(left), tt.wantLeft) {
				t.Errorf("left %v, want %v", ids(left), tt.wantLeft)
			}
			events, _ := db.Events(t.Context(), time.Time{}, time.Time{})
			if len(events) != tt.wantEvents {
				t.Errorf("%d events left, want %d", len(events), tt.wantEvents)
			}
		})
	}
}

func TestDeleteRequestsBeforeInChunks(t *testing.T) {
	t.Parallel()
	const chunk = 3
	tests := []struct{ old, events int }{{0, 0}, {2, 1}, {3, 3}, {7, 6}, {9, 10}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.old, tt.events), func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t)
			recs := []Record{RequestRow{ID: "kept", Start: base}, Event{At: base, Kind: EventFailover}}
			for i := range tt.old {
				recs = append(recs, RequestRow{ID: fmt.Sprint(i), Start: base.Add(-time.Duration(i+1) * time.Second)})
			}
			for i := range tt.events {
				recs = append(recs, Event{At: base.Add(-time.Duration(i+1) * time.Second), Kind: EventFailover})
			}
			mustWrite(t, db, recs...)
			got, err := db.deleteBefore(t.Context(), base, chunk)
			if err != nil || got != int64(tt.old) {
				t.Fatalf("deleted %d, %v; want %d", got, err, tt.old)
			}
			left, _ := db.LatestRequests(t.Context(), 100)
			if !reflect.DeepEqual(ids(left), []string{"kept"}) {
				t.Errorf("left %v", ids(left))
			}
			if evs, _ := db.Events(t.Context(), time.Time{}, time.Time{}); len(evs) != 1 {
				t.Errorf("%d events left, want 1", len(evs))
			}
		})
	}
}
