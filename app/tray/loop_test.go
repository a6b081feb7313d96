package tray

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/view"
)

// fakeCore is the engine's typed surface as the tray uses it, with events
// from a real bus.
type fakeCore struct {
	mu    sync.Mutex
	views []view.Account
	bus   *events.Bus
	reads int // Accounts calls: one per rebuild
}

func (f *fakeCore) Accounts(context.Context) ([]view.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return append([]view.Account(nil), f.views...), nil
}

func (f *fakeCore) Subscribe(ctx context.Context) (<-chan events.Event, error) {
	ch, cancel := f.bus.Subscribe(64)
	context.AfterFunc(ctx, cancel)
	return ch, nil
}

func (f *fakeCore) rebuilds() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}
func (f *fakeCore) Addr() string          { return "127.0.0.1:8080" }
func (f *fakeCore) set(v ...view.Account) { f.mu.Lock(); f.views = v; f.mu.Unlock() }

type drawn struct {
	at      time.Time
	icon    Health // -1: a menu draw
	change  Change
	entries int
	items   []Item
}

type recorder struct {
	mu    sync.Mutex
	draws []drawn
}

func (r *recorder) SetIcon(h Health) {
	r.mu.Lock()
	r.draws = append(r.draws, drawn{at: time.Now(), icon: h})
	r.mu.Unlock()
}
func (r *recorder) Show(items []Item, c Change) {
	r.mu.Lock()
	r.draws = append(r.draws, drawn{at: time.Now(), icon: -1, change: c, entries: len(items), items: slices.Clone(items)})
	r.mu.Unlock()
}
func (r *recorder) menus() (out []drawn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range r.draws {
		if d.icon == -1 {
			out = append(out, d)
		}
	}
	return out
}

// TestLoopCoalescesAndRefreshes: a storm of events is one rebuild a second;
// a quiet menu is redrawn every 30 s while it counts down, only where the
// countdown moved, and not at all when nothing counts down until the clock
// changes a state; the icon changes with health and going down is told once.
func TestLoopCoalescesAndRefreshes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		active := func(left time.Duration) view.Account {
			return acct("work", account.StatusActive, func(v *view.Account) { v.SessionExpiresAt = at(start.Add(left)) })
		}
		core := &fakeCore{bus: events.NewBus()}
		core.set(active(time.Hour))
		rec := &recorder{}
		var notices []Notice
		var nmu sync.Mutex
		l := newLoop(core, rec, func(n Notice) { nmu.Lock(); notices = append(notices, n); nmu.Unlock() }, slog.New(slog.DiscardHandler))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); l.run(ctx) }()
		synctest.Wait()
		if m := rec.menus(); len(m) != 1 || !m[0].change.Rebuild {
			t.Fatalf("first draw: %+v", m)
		}

		// 200 requests over 2.5 s, an account added among them.
		for i := range 200 {
			if i == 100 {
				core.set(active(time.Hour), acct("home", account.StatusAvailable))
			}
			core.bus.Publish(&events.Request{})
			time.Sleep(12500 * time.Microsecond)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		m := rec.menus()
		if len(m) < 2 || len(m) > 5 {
			t.Fatalf("%d menu draws for 200 events in 2.5 s: %+v", len(m), m)
		}
		for i := 1; i < len(m); i++ {
			if gap := m[i].at.Sub(m[i-1].at); gap < time.Second {
				t.Errorf("draws %d and %d %v apart", i-1, i, gap)
			}
		}
		rebuilt := false
		for _, d := range m[1:] {
			rebuilt = rebuilt || (d.change.Rebuild && d.entries == 13)
		}
		if !rebuilt {
			t.Errorf("the added account did not rebuild the menu: %+v", m)
		}

		// Quiet: the countdown moves by a minute within 30 s: its labels
		// (the active line and the account's) only.
		before := len(rec.menus())
		time.Sleep(61 * time.Second)
		synctest.Wait()
		m = rec.menus()
		if len(m)-before < 1 || len(m)-before > 2 {
			t.Fatalf("%d draws in a quiet minute", len(m)-before)
		}
		if last := m[len(m)-1]; last.change.Rebuild || len(last.change.Relabel) != 2 {
			t.Errorf("quiet redraw: %+v", last)
		}

		// Every account down: the grey icon and one notice.
		core.set(acct("work", account.StatusRateLimited, func(v *view.Account) { v.RateLimitedUntil = at(time.Now().Add(time.Hour)) }))
		core.bus.Publish(&events.RateLimited{})
		time.Sleep(2 * time.Second)
		synctest.Wait()
		rec.mu.Lock()
		var icons []Health
		for _, d := range rec.draws {
			if d.icon >= 0 {
				icons = append(icons, d.icon)
			}
		}
		rec.mu.Unlock()
		if len(icons) != 2 || icons[0] != HealthOK || icons[1] != HealthDown {
			t.Errorf("icons %v", icons)
		}
		nmu.Lock()
		if len(notices) != 1 || notices[0].Kind != "down" {
			t.Errorf("notices %+v", notices)
		}
		nmu.Unlock()

		// Nothing counts down (the limit shows its end as a time): the loop
		// sleeps until the limit ends, then looks once.
		before = core.rebuilds()
		time.Sleep(59 * time.Minute)
		synctest.Wait()
		if n := core.rebuilds() - before; n != 0 {
			t.Errorf("%d rebuilds in a quiet hour with nothing counting down", n)
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if n := core.rebuilds() - before; n != 1 {
			t.Errorf("%d rebuilds when the rate limit ended, want 1", n)
		}
		cancel()
		<-done
	})
}

// TestToggleClickRedrawsItsMark: clicking a check item flips its setting and
// the menu follows at once with a recheck of that item; a setting changed
// elsewhere (the command line) shows at the next rebuild.
func TestToggleClickRedrawsItsMark(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		core := &fakeCore{bus: events.NewBus()}
		rec := &recorder{}
		var mu sync.Mutex
		on := false
		tg := Toggle{Label: "Start at login",
			On:  func() (bool, error) { mu.Lock(); defer mu.Unlock(); return on, nil },
			Set: func(v bool) error { mu.Lock(); on = v; mu.Unlock(); return nil }}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		l := newLoop(core, rec, func(Notice) {}, slog.New(slog.DiscardHandler), tg)
		tr := &tray{Options: Options{Toggles: []Toggle{tg}, Log: slog.New(slog.DiscardHandler)}, loop: l}
		go l.run(ctx)
		synctest.Wait()
		tr.click(ToggleAction(0))
		synctest.Wait()
		m := rec.menus()
		if last := m[len(m)-1]; len(m) < 2 || last.change.Rebuild || len(last.change.Recheck) != 1 {
			t.Fatalf("after the click: %+v, want one recheck at once", m)
		}
		if v, _ := tg.On(); !v {
			t.Error("the click did not turn the setting on")
		}
	})
}

// TestOpeningTheMenuRereadsTheToggles: a setting changed from a terminal
// (autostart off) shows when the desktop next opens the menu, and a quiet
// menu left shut is not redrawn.
func TestOpeningTheMenuRereadsTheToggles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		core := &fakeCore{bus: events.NewBus()}
		rec := &recorder{}
		var mu sync.Mutex
		on := true
		tg := Toggle{Label: "Start at login",
			On:  func() (bool, error) { mu.Lock(); defer mu.Unlock(); return on, nil },
			Set: func(v bool) error { return nil }}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		l := newLoop(core, rec, func(Notice) {}, slog.New(slog.DiscardHandler), tg)
		tr := &tray{Options: Options{Toggles: []Toggle{tg}, Log: slog.New(slog.DiscardHandler)}, loop: l}
		opened := make(chan struct{})
		go l.run(ctx)
		go tr.redrawOnOpen(ctx, opened)
		synctest.Wait()
		mu.Lock()
		on = false // `claudeflare autostart off` in a terminal
		mu.Unlock()
		time.Sleep(time.Hour)
		synctest.Wait()
		before := len(rec.menus())
		if before != 1 {
			t.Fatalf("%d draws before the menu opened, want the first only", before)
		}
		opened <- struct{}{}
		synctest.Wait()
		m := rec.menus()
		if len(m) != 2 || len(m[1].change.Recheck) != 1 || m[1].items[m[1].change.Recheck[0]].Checked {
			t.Fatalf("after opening: %+v, want the mark taken off", m)
		}
	})
}
