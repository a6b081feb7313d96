package cli

import (
	"encoding/json"
	"github.com/claudeflare/claudeflare/core/session"
	"github.com/claudeflare/claudeflare/core/view"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/store"
)

// TestStatsFromTheDatabase: `claudeflare stats` reads the database the
// running app writes, for the window asked.
func TestStatsFromTheDatabase(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	db, err := store.Open(core.DBPath(home))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := db.InsertAccount(t.Context(), account.Account{ID: "id-w", Name: "work", Kind: account.KindAPIKey, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	err = db.Write(t.Context(), []store.Record{
		store.RequestRow{ID: "1", Start: now.Add(-10 * time.Minute), AccountID: "id-w", AccountName: "work", Status: 200,
			Model: "claude-sonnet-4-5", InputTokens: 1_000_000, OutputTokens: 100_000, TTFB: 800 * time.Millisecond, Duration: 5 * time.Second},
		store.RequestRow{ID: "2", Start: now.Add(-2 * time.Hour), AccountID: "id-w", AccountName: "work", Status: 429, Failovers: 1},
		store.RequestRow{ID: "3", Start: now.Add(-3 * 24 * time.Hour), AccountID: "id-w", AccountName: "work", Status: 200},
		store.Event{At: now.Add(-2 * time.Hour), AccountID: "id-w", AccountName: "work", Kind: store.EventRateLimited},
		store.Session{Period: session.Period{AccountID: "id-w", AccountName: "work", Start: now.Add(-5 * time.Hour), Expires: now.Add(-time.Hour),
			End: now.Add(-2 * time.Hour), Requests: 1, StartReason: session.StartFirst, EndReason: session.EndRateLimit}},
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		window   string
		requests int64
	}{{"1h", 1}, {"", 2}, {"7d", 3}} {
		args := []string{"stats", "--json"}
		if tt.window != "" {
			args = append(args, "--window", tt.window)
		}
		r := runCLI(t, home, "", nil, args...)
		var s view.Stats
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &s) != nil {
			t.Fatalf("%v: %+v", args, r)
		}
		if s.Total.Requests != tt.requests || s.Accounts[0].Account != "work" {
			t.Errorf("%v: %d requests, want %d", args, s.Total.Requests, tt.requests)
		}
	}

	r := runCLI(t, home, "", nil, "stats", "--window", "24h")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	// $3 + $1.50 of sonnet tokens; one session, ended by a rate limit.
	for _, want := range []string{"last 24h", "work", "$4.50", "EST. COST is an estimate", "800ms", "5s",
		"ENDED BY RATE LIMIT", "Sessions ended by: rate_limit 1", "Failovers: 1 (1 requests needed one, 50.0% of all)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the table lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := runCLI(t, home, "", nil, "stats", "--window", "0m"); r.code != 2 {
		t.Errorf("a bad window: %+v", r)
	}
}
