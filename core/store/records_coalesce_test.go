package store

import (
	"context"
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
