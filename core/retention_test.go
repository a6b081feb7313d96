package core

import (
	"context"
	"github.com/claudeflare/claudeflare/core/session"
	"log/slog"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/store"
)

type pass struct {
	cut     time.Time
	deleted int64
	err     error
}

func TestRetentionDeletesExactlyTheOldRows(t *testing.T) {
	t.Parallel()
	db, err := store.Open(filepath.Join(t.TempDir(), "claudeflare.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	rows := []struct {
		id string
		at time.Time
	}{
		{"31d", ago(31 * day)}, {"30d+1ms", ago(30*day + time.Millisecond)}, {"30d", ago(30 * day)},
		{"29d", ago(29 * day)}, {"1d+1ms", ago(day + time.Millisecond)}, {"1h", ago(time.Hour)},
	}
	var recs []store.Record
	for _, r := range rows {
		recs = append(recs,
			store.RequestRow{ID: r.id, Start: r.at, AccountID: "a", Status: 200, InputTokens: 1},
			store.Event{At: r.at, AccountID: "a", Kind: store.EventRateLimited},
			store.Session{Period: session.Period{AccountID: "a", Start: r.at, Expires: r.at.Add(5 * time.Hour)}})
	}
	if err := db.Write(t.Context(), recs); err != nil {
		t.Fatal(err)
	}

	var days atomic.Int64
	days.Store(30)
	tick := make(chan time.Time)
	change := make(chan struct{})
	passes := make(chan pass)
	r := &retention{
		days:   func() int { return int(days.Load()) },
		delete: db.DeleteRequestsBefore,
		now:    func() time.Time { return now },
		log:    slog.New(slog.DiscardHandler),
		tick:   tick,
		change: change,
		passed: func(cut time.Time, n int64, err error) { passes <- pass{cut, n, err} },
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { r.run(ctx); close(done) }()

	left := func(want ...string) {
		t.Helper()
		got, err := db.LatestRequests(t.Context(), 100)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, g := range got {
			ids = append(ids, g.ID)
		}
		if !reflect.DeepEqual(ids, want) {
			t.Errorf("requests left %v, want %v", ids, want)
		}
		evs, _ := db.Events(t.Context(), time.Time{}, time.Time{})
		ss, _ := db.Sessions(t.Context(), time.Time{}, time.Time{})
		if len(evs) != len(want) || len(ss) != len(want) {
			t.Errorf("%d events and %d sessions left, want %d", len(evs), len(ss), len(want))
		}
		st, err := db.Stats(t.Context(), now.Add(-400*day), now.Add(day))
		if err != nil || st.Total.Requests != int64(len(want)) || st.Total.InputTokens != int64(len(want)) {
			t.Errorf("stats after retention: %d requests (%v), want %d", st.Total.Requests, err, len(want))
		}
	}
	expect := func(cut time.Time, deleted int64) {
		t.Helper()
		p := <-passes
		if !p.cut.Equal(cut) || p.deleted != deleted || p.err != nil {
			t.Errorf("pass %+v, want cut %v, %d deleted", p, cut, deleted)
		}
	}

	// At start: 30 days; the row exactly 30 days old stays.
	expect(ago(30*day), 2)
	left("1h", "1d+1ms", "29d", "30d")
	// Hourly: nothing more to do.
	tick <- now
	expect(ago(30*day), 0)
	// retention_days changes live.
	days.Store(1)
	change <- struct{}{}
	expect(ago(day), 3)
	left("1h")

	cancel()
	<-done
}
