package store

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
)

// seedStats fills a database for the window [base, base+1h); the expected
// figures below are worked out by hand from it.
func seedStats(t *testing.T) *DB {
	t.Helper()
	db := newTestDB(t)
	for _, a := range []account.Account{
		testAccount("id-a", "alice", 0, base),
		testAccount("id-b", "bob", 1, base),
		testAccount("id-c", "carol", 2, base), // idle
	} {
		if err := db.InsertAccount(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	at := func(d time.Duration) time.Time { return base.Add(d) }
	mustWrite(t, db,
		// alice, once called "al": 3 requests, one error (529), failovers 0+1+2.
		RequestRow{ID: "a1", Start: at(0), AccountID: "id-a", AccountName: "al", Status: 200,
			InputTokens: 100, OutputTokens: 10, CacheReadTokens: 1000, CacheCreationTokens: 50},
		RequestRow{ID: "a2", Start: at(time.Minute), AccountID: "id-a", AccountName: "alice", Status: 200,
			InputTokens: 200, OutputTokens: 20, Failovers: 1},
		RequestRow{ID: "a3", Start: at(2 * time.Minute), AccountID: "id-a", AccountName: "alice", Status: 529, Failovers: 2},
		// bob: 2 requests, the last one (just inside the window) failed mid-stream.
		RequestRow{ID: "b1", Start: at(10 * time.Minute), AccountID: "id-b", AccountName: "bob", Status: 200,
			InputTokens: 300, OutputTokens: 30, CacheReadTokens: 500},
		RequestRow{ID: "b2", Start: at(time.Hour - time.Millisecond), AccountID: "id-b", AccountName: "bob", Status: 200,
			Error: "stream cut", InputTokens: 50, OutputTokens: 5, CacheCreationTokens: 7},
		// dave, removed, renamed before: 2 requests, one 404 after a failover.
		RequestRow{ID: "d1", Start: at(5 * time.Minute), AccountID: "id-d", AccountName: "dave-old", Status: 200,
			InputTokens: 1, OutputTokens: 1},
		RequestRow{ID: "d2", Start: at(20 * time.Minute), AccountID: "id-d", AccountName: "dave", Status: 404,
			InputTokens: 2, Failovers: 1},
		// passed through with no account.
		RequestRow{ID: "p1", Start: at(30 * time.Minute), Status: 200, InputTokens: 10, OutputTokens: 1},
		// outside the window.
		RequestRow{ID: "o1", Start: at(-time.Millisecond), AccountID: "id-a", AccountName: "alice", Status: 200, InputTokens: 9999},
		RequestRow{ID: "o2", Start: at(time.Hour), AccountID: "id-b", AccountName: "bob", Status: 500, Failovers: 5},

		Event{At: at(time.Minute), AccountID: "id-a", AccountName: "alice", Kind: EventRateLimited},
		Event{At: at(2 * time.Minute), AccountID: "id-a", AccountName: "alice", Kind: EventRateLimited},
		Event{At: at(2 * time.Minute), AccountID: "id-a", AccountName: "alice", Kind: EventCooldown},
		Event{At: at(59 * time.Minute), AccountID: "id-b", AccountName: "bob", Kind: EventRateLimited},
		Event{At: at(6 * time.Minute), AccountID: "id-d", AccountName: "dave-old", Kind: EventRateLimited},
		Event{At: at(7 * time.Minute), AccountID: "id-e", AccountName: "eve", Kind: EventRateLimited}, // removed, no requests
		Event{At: at(-time.Second), AccountID: "id-a", AccountName: "alice", Kind: EventRateLimited},
		Event{At: at(time.Hour), AccountID: "id-b", AccountName: "bob", Kind: EventRateLimited},
	)
	return db
}

func TestStats(t *testing.T) {
	t.Parallel()
	db := seedStats(t)
	idle := func(id, name string) AccountStats { return AccountStats{AccountID: id, AccountName: name} }
	tests := []struct {
		name         string
		since, until time.Time
		want         Stats
	}{
		{
			name: "the hour", since: base, until: base.Add(time.Hour),
			want: Stats{
				Total: Totals{Requests: 8, Errors: 3, InputTokens: 663, OutputTokens: 67, CacheReadTokens: 1500, CacheCreationTokens: 57},
				Accounts: []AccountStats{
					{AccountID: "id-a", AccountName: "alice", Share: 0.375, RateLimitEvents: 2,
						Totals: Totals{Requests: 3, Errors: 1, InputTokens: 300, OutputTokens: 30, CacheReadTokens: 1000, CacheCreationTokens: 50}},
					{AccountID: "id-b", AccountName: "bob", Share: 0.25, RateLimitEvents: 1,
						Totals: Totals{Requests: 2, Errors: 1, InputTokens: 350, OutputTokens: 35, CacheReadTokens: 500, CacheCreationTokens: 7}},
					idle("id-c", "carol"),
					{AccountID: "id-d", AccountName: "dave", Share: 0.25, RateLimitEvents: 1,
						Totals: Totals{Requests: 2, Errors: 1, InputTokens: 3, OutputTokens: 1}},
					{AccountID: "id-e", AccountName: "eve", RateLimitEvents: 1},
					{Share: 0.125, Totals: Totals{Requests: 1, InputTokens: 10, OutputTokens: 1}},
				},
				Failovers: 4, FailoverRequests: 3, RateLimitEvents: 5,
			},
		},
		{
			name: "empty window", since: base.Add(2 * time.Hour), until: base.Add(3 * time.Hour),
			want: Stats{Accounts: []AccountStats{idle("id-a", "alice"), idle("id-b", "bob"), idle("id-c", "carol")}},
		},
		{
			name: "inverted window", since: base.Add(time.Hour), until: base,
			want: Stats{Accounts: []AccountStats{idle("id-a", "alice"), idle("id-b", "bob"), idle("id-c", "carol")}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.Stats(t.Context(), tt.since, tt.until)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Since, tt.want.Until = tt.since, tt.until
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestStatsAllTime(t *testing.T) {
	t.Parallel()
	db := seedStats(t)
	got, err := db.Stats(t.Context(), time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Total.Requests != 10 || got.Total.Errors != 4 || got.Failovers != 9 || got.FailoverRequests != 4 || got.RateLimitEvents != 7 {
		t.Errorf("all-time stats %+v", got)
	}
	var share float64
	for _, a := range got.Accounts {
		share += a.Share
	}
	if math.Abs(share-1) > 1e-9 {
		t.Errorf("shares add up to %v", share)
	}
}

func TestStatsEmptyDatabase(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	got, err := db.Stats(t.Context(), base, base.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Stats{Since: base, Until: base.Add(time.Hour)}); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
