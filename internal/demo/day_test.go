package demo

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/session"
	"github.com/claudeflare/claudeflare/core/store"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

// TestDayLeavesTheHistoryItTells: the day's sessions come out as its
// script says, each ended for its reason, the last one still open, and
// every Claude account's quota reported.
func TestDayLeavesTheHistoryItTells(t *testing.T) {
	t.Parallel()
	clk := NewClock(Length)
	fake := fakeanthropic.New(fakeanthropic.Options{Now: clk.Now})
	t.Cleanup(fake.Close)
	home := t.TempDir()
	if err := Day(context.Background(), home, fake, clk, testkit.FreePort(t)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(clk.Now()); d < -time.Second || d > time.Second {
		t.Errorf("the day ended %v off the present", d)
	}
	db, err := store.Open(filepath.Join(home, "claudeflare.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := core.ReadStats(context.Background(), db, time.Now(), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	type step struct{ account, end string }
	var got []step
	for _, s := range st.Timeline {
		got = append(got, step{s.Account, s.EndReason})
	}
	want := []step{{"work", session.EndExpired}, {"home", session.EndRateLimit}, {"work", session.EndPause},
		{"spare", session.EndExpired}, {"home", session.EndRateLimit}, {"work", ""}}
	if !slices.Equal(got, want) {
		t.Errorf("timeline %v, want %v", got, want)
	}
	if st.Total.Requests < 100 || st.RateLimitEvents != 2 {
		t.Errorf("%d requests, %d rate-limit events", st.Total.Requests, st.RateLimitEvents)
	}
}
