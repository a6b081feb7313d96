package store

import (
	"context"
	"github.com/claudeflare/claudeflare/core/session"
	"path/filepath"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
)

// TestWriteKeepsTheLatestAccountState: several snapshots of one account in a
// batch end with the last one stored, whatever else the batch holds.
func TestWriteKeepsTheLatestAccountState(t *testing.T) {
	t.Parallel()
	db, err := Open(filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	a := account.Account{ID: "a1", Name: "a", Kind: account.KindAPIKey, CreatedAt: time.Unix(100, 0)}
	if err := db.InsertAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	recs := []Record{
		AccountState{ID: "a1", TotalRequests: 1},
		RequestRow{ID: "r1", Start: time.Unix(200, 0), AccountID: "a1", Status: 200},
		&AccountState{ID: "a1", TotalRequests: 2},
		AccountState{ID: "a1", TotalRequests: 3, SessionRequests: 3},
		RequestRow{ID: "r2", Start: time.Unix(201, 0), AccountID: "a1", Status: 200},
	}
	if err := db.Write(ctx, recs); err != nil {
		t.Fatal(err)
	}
	got, err := db.AccountByName(ctx, "a")
	if err != nil || got.TotalRequests != 3 || got.SessionRequests != 3 {
		t.Fatalf("%+v %v", got, err)
	}
	rows, _ := db.LatestRequests(ctx, 10)
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
}

// TestWriteCoalescesOpenSessionsButKeepsEnds: per-request session updates
// collapse to the latest, and an end is never lost to coalescing.
func TestWriteCoalescesOpenSessionsButKeepsEnds(t *testing.T) {
	t.Parallel()
	db, err := Open(filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	start := time.Unix(1000, 0)
	open := func(n int64) Session {
		return Session{Period: session.Period{AccountID: "a1", AccountName: "a", Start: start, Expires: start.Add(time.Hour), Requests: n, StartReason: "first"}}
	}
	ended := open(3)
	ended.End, ended.EndReason = start.Add(time.Minute), "rate_limit"
	other := Session{Period: session.Period{AccountID: "b1", AccountName: "b", Start: start, Expires: start.Add(time.Hour), Requests: 1, StartReason: "failover"}}
	otherLater := other
	otherLater.Requests = 5
	if err := db.Write(ctx, []Record{open(1), open(2), ended, open(4), other, &otherLater}); err != nil {
		t.Fatal(err)
	}
	list, err := db.Sessions(ctx, time.Time{}, time.Time{})
	if err != nil || len(list) != 2 {
		t.Fatalf("%+v %v", list, err)
	}
	for _, s := range list {
		switch s.AccountID {
		case "a1":
			if s.End.IsZero() || s.EndReason != "rate_limit" || s.Requests != 3 {
				t.Errorf("ended session lost or reopened: %+v", s)
			}
		case "b1":
			if s.Requests != 5 || !s.End.IsZero() {
				t.Errorf("open session not at its latest: %+v", s)
			}
		}
	}
}
