package tray

import (
	"context"
	"log/slog"
	"time"

	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/view"
)

// Core is what the tray reads of the engine it runs (*core.Core): the part
// of the typed surface it needs (docs/DESIGN.md, "The typed surface") and
// the address it listens on.
type Core interface {
	Accounts(ctx context.Context) ([]view.Account, error)
	Subscribe(ctx context.Context) (<-chan events.Event, error)
	Addr() string
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
	core    Core
	menu    Menu
	notify  func(Notice) // must not block: the real one hands off to a goroutine
	log     *slog.Logger
	now     func() time.Time
	toggles []Toggle
	poke    chan struct{} // a toggle was clicked: redraw now

	notifier Notifier
	shown    []Item
	health   Health    // -1 before the first rebuild
	refresh  time.Time // when the menu shown goes stale by the clock; zero: never
}

func newLoop(c Core, m Menu, notify func(Notice), log *slog.Logger, toggles ...Toggle) *loop {
	return &loop{core: c, menu: m, notify: notify, log: log, now: time.Now, health: -1,
		toggles: toggles, poke: make(chan struct{}, 1)}
}

// redraw asks the loop to rebuild the menu at once (a check item was
// clicked: its mark should follow the click).
func (l *loop) redraw() {
	select {
	case l.poke <- struct{}{}:
	default:
	}
}

// run draws the menu at once, then follows the core's events until ctx ends.
func (l *loop) run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	evs, err := l.core.Subscribe(ctx)
	if err != nil { // the engine in this process never refuses: nothing to follow
		l.log.Error("following the engine's events", "err", err)
	}
	l.rebuild(ctx)
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
			l.rebuild(ctx)
			last, changed = l.now(), false
		case <-l.poke:
			l.rebuild(ctx)
			last, changed = l.now(), false
		}
	}
}

// rebuild reads the accounts once and updates the icon and the menu items
// that changed.
func (l *loop) rebuild(ctx context.Context) {
	now := l.now()
	views, err := l.core.Accounts(ctx)
	if err != nil {
		l.log.Error("reading the accounts for the menu", "err", err)
		return
	}
	if h := HealthOf(views); h != l.health {
		if h == HealthDown && l.health >= 0 {
			if n, due := l.notifier.NoneCanServe(FirstBack(views, now), now); due {
				l.notify(n)
			}
		}
		l.health = h
		l.menu.SetIcon(h)
	}
	m := BuildMenu(l.core.Addr(), views, now)
	m.Toggles = states(l.toggles)
	items := m.Items()
	if c := Diff(l.shown, items); c.Rebuild || len(c.Relabel) > 0 || len(c.Recheck) > 0 {
		l.menu.Show(items, c)
	}
	l.shown = items
	l.refresh = NextRefresh(views, now)
}
