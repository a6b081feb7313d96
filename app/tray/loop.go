package tray

import (
	"context"
	"time"

	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/pool"
)

// Core is what the tray reads of the engine it runs: *core.Core.
type Core interface {
	Views() []pool.View
	Addr() string
	Events() *events.Bus
}

// Menu is where the loop draws: fyne.io/systray in the app (systray.go), a
// recorder in tests. Its methods are called from the loop's goroutine only.
type Menu interface {
	SetIcon(Health)
	// Show draws items, going from the items shown before as c says.
	Show(items []Item, c Change)
}

// loop keeps the icon and menu in step with the core and sends the
// notifications. It sleeps between rebuilds (NextRebuild): an event only
// marks the menu as changed, and with nothing counting down it sleeps
// until an event comes.
type loop struct {
	core   Core
	menu   Menu
	notify func(Notice) // must not block: the real one hands off to a goroutine
	now    func() time.Time

	notifier Notifier
	shown    []Item
	health   Health    // -1 before the first rebuild
	refresh  time.Time // when the menu shown goes stale by the clock; zero: never
}

func newLoop(c Core, m Menu, notify func(Notice)) *loop {
	return &loop{core: c, menu: m, notify: notify, now: time.Now, health: -1}
}

// run draws the menu at once, then follows the core's events until ctx ends.
func (l *loop) run(ctx context.Context) {
	evs, cancel := l.core.Events().Subscribe(64)
	defer cancel()
	l.rebuild()
	last, changed := l.now(), false
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if due := NextRebuild(last, changed, l.refresh); due.IsZero() {
			timer.Stop()
		} else {
			timer.Reset(max(0, due.Sub(l.now())))
		}
		select {
		case <-ctx.Done():
			return
		case e, ok := <-evs:
			if !ok {
				return
			}
			if n, due := l.notifier.NoticeFor(e, l.now()); due {
				l.notify(n)
			}
			changed = true
		case <-timer.C:
			l.rebuild()
			last, changed = l.now(), false
		}
	}
}

// rebuild reads the accounts once and updates the icon and the menu items
// that changed.
func (l *loop) rebuild() {
	now := l.now()
	views := l.core.Views()
	if h := HealthOf(views); h != l.health {
		if h == HealthDown && l.health >= 0 {
			if n, due := l.notifier.NoneCanServe(FirstBack(views, now), now); due {
				l.notify(n)
			}
		}
		l.health = h
		l.menu.SetIcon(h)
	}
	items := BuildMenu(l.core.Addr(), views, now).Items()
	if c := Diff(l.shown, items); c.Rebuild || len(c.Relabel) > 0 {
		l.menu.Show(items, c)
	}
	l.shown = items
	l.refresh = NextRefresh(views, now)
}
