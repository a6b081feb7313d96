package store

import (
	"reflect"
	"testing"
	"time"
)

func TestEventsRoundTripAndWindow(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	evs := []Event{
		{At: base.Add(-time.Minute), AccountID: "id-1", AccountName: "alice", Kind: EventSessionStarted, Detail: "first use"},
		{At: base, AccountID: "id-1", AccountName: "alice", Kind: EventRateLimited, Until: base.Add(5 * time.Hour)},
		{At: base, AccountID: "id-2", AccountName: "bob", Kind: EventFailover, Detail: "529 from alice"},
		{At: base.Add(time.Minute), AccountID: "id-2", AccountName: "bob", Kind: EventCooldown, Until: base.Add(90 * time.Second)},
	}
	// Written newest first: Events sorts by time, then by write order.
	mustWrite(t, db, evs[3], evs[1], evs[2], evs[0])
	tests := []struct {
		name         string
		since, until time.Time
		want         []Event
	}{
		{"everything", time.Time{}, time.Time{}, []Event{evs[0], evs[1], evs[2], evs[3]}},
		{"since is inclusive", base, time.Time{}, []Event{evs[1], evs[2], evs[3]}},
		{"until is exclusive", time.Time{}, base, []Event{evs[0]}},
		{"empty window", base.Add(time.Hour), base.Add(2 * time.Hour), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.Events(t.Context(), tt.since, tt.until)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
