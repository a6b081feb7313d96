package core_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/store"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

// TestRetentionRunsAtStartAndFollowsConfig: a started core deletes rows
// older than retention_days at once, and again when the setting changes.
func TestRetentionRunsAtStartAndFollowsConfig(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	home := t.TempDir()
	db, err := store.Open(core.DBPath(home))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	var recs []store.Record
	for _, age := range []time.Duration{40 * 24 * time.Hour, 10 * 24 * time.Hour, time.Hour} {
		recs = append(recs, store.RequestRow{ID: fmt.Sprint(age), Start: now.Add(-age), Status: 200})
	}
	if err := db.Write(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	left := func() []string {
		rows, err := db.LatestRequests(t.Context(), 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
		return ids
	}

	c := startCore(t, fake, home)
	testkit.WaitFor(t, "the 40-day-old row to go", func() bool { return slices.Equal(left(), []string{"1h0m0s", "240h0m0s"}) })
	if _, err := c.ConfigManager().Patch(map[string]json.RawMessage{"retention_days": json.RawMessage("5")}); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "the 10-day-old row to go", func() bool { return slices.Equal(left(), []string{"1h0m0s"}) })
}
