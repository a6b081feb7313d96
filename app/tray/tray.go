// Package tray is Claudeflare's tray process (docs/DESIGN.md, "The tray and
// its windows"): the icon and menu through fyne.io/systray, desktop
// notifications through beeep, and the windows in a separate process
// started on demand. It imports no Fyne, so no GL driver runs here: with
// no window open the process sleeps between menu rebuilds. What the menu
// shows is computed by plain, tested functions (model.go, items.go,
// schedule.go, notify.go).
package tray

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"fyne.io/systray"
	"github.com/atotto/clipboard"

	"github.com/claudeflare/claudeflare/assets"
)

// Options are what Run works with.
type Options struct {
	Core    Core
	Windows *Windows // the window process
	// Show names windows to open at start (CLAUDEFLARE_SHOW: screenshots
	// and smoke tests).
	Show []string
	Log  *slog.Logger
	// Toggles are the menu's check items ("Use with Claude Code", "Start
	// at login").
	Toggles []Toggle
}

// Run shows the tray icon and menu for the core until Quit is clicked or
// SIGINT or SIGTERM arrives, then closes the window process. With no tray
// to live in (no session bus, or no StatusNotifierItem host on it), the
// accounts window opens instead (after 8 s for a host to appear: at login
// the app may start before the panel), and closing it quits, as an app with one
// window does.
func Run(o Options) error {
	t := &tray{Options: o, quit: make(chan struct{})}
	if t.Log == nil {
		t.Log = slog.New(slog.DiscardHandler)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	go func() {
		select {
		case <-sig:
			t.stop()
		case <-t.quit:
		}
	}()
	t.notes = startNotifications(assets.Icon, t.Log)

	bus := sessionBus()
	show := t.Show
	if !bus || !awaitHost(trayHost, hostWait) {
		fmt.Fprintf(os.Stderr, "claudeflare: no system tray found; proxy on http://%s. "+
			"Its accounts window is open (closing it quits); `claudeflare accounts` and `claudeflare stats` work from a terminal.\n",
			t.Core.Addr())
		t.Windows.Exited = func(error) {
			if !bus || !trayHost() {
				t.stop()
			}
		}
		show = append([]string{"accounts"}, show...)
	}
	if len(show) > 0 {
		go t.open(show...)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	loop := func(m Menu) {
		l := newLoop(t.Core, m, t.notes.send, t.Log, t.Toggles...)
		t.mu.Lock()
		t.loop = l
		t.mu.Unlock()
		wg.Add(1)
		go func() { defer wg.Done(); l.run(ctx) }()
	}
	if bus {
		systray.SetTitle("Claudeflare")
		systray.SetTooltip("Claudeflare")
		menu := &sysMenu{onClick: t.click, icons: map[Health][]byte{
			HealthOK: assets.TrayOK, HealthWarn: assets.TrayWarn, HealthLimited: assets.TrayLimited, HealthDown: assets.TrayDown,
		}}
		runSystray(func() {
			loop(menu)
			wg.Add(1)
			go func() { defer wg.Done(); t.redrawOnOpen(ctx, systray.TrayOpenedCh) }()
		}, t.quit)
	} else {
		loop(noMenu{})
		<-t.quit
	}
	cancel()
	wg.Wait()
	t.Windows.Close(3 * time.Second)
	return nil
}

// tray is a running tray process.
type tray struct {
	Options
	notes    *notifications
	quit     chan struct{}
	quitOnce sync.Once
	mu       sync.Mutex
	loop     *loop // set once the menu's loop runs
}

// redrawOnOpen redraws the menu each time the desktop opens it (dbusmenu's
// "opened" event; the menu's will-open on macOS): the check items' settings
// live in files a terminal can change too (claude-code disable, autostart
// off), and watching those files would wake the tray while nobody looks.
// The desktop shows the new marks as the redraw's LayoutUpdated arrives.
func (t *tray) redrawOnOpen(ctx context.Context, opened <-chan struct{}) {
	for {
		select {
		case <-opened:
			t.redraw()
		case <-ctx.Done():
			return
		}
	}
}

func (t *tray) stop() { t.quitOnce.Do(func() { close(t.quit) }) }

// click runs a menu item's action; it is called on the item's own
// goroutine, so a window that takes a second to open holds up nothing else.
func (t *tray) click(a Action) {
	switch a {
	case ActionAddAccount:
		t.open("login")
	case ActionAccounts:
		t.open("accounts")
	case ActionUsage:
		t.open("usage")
	case ActionSettings:
		t.open("settings")
	case ActionCopyExport:
		line := "export ANTHROPIC_BASE_URL=http://" + t.Core.Addr()
		if err := clipboard.WriteAll(line); err != nil {
			// No clipboard tool (xclip, xsel, wl-copy on Linux): the line is in the notice.
			t.Log.Warn("copying to the clipboard", "err", err)
			t.notes.send(Notice{Kind: "clipboard", Title: "Could not copy to the clipboard", Body: line})
		}
	case ActionQuit:
		t.stop()
	default:
		if i, ok := ToggleIndex(a); ok && i < len(t.Toggles) {
			t.toggle(t.Toggles[i])
		}
	}
}

// toggle flips a check item's setting and redraws the menu, so that its
// mark follows; a failure is told, and the mark stays as the setting is.
func (t *tray) toggle(tg Toggle) {
	on, err := tg.On()
	if err == nil {
		err = tg.Set(!on)
	}
	if err != nil {
		t.Log.Error("changing "+tg.Label, "err", err)
		t.notes.send(Notice{Kind: "toggle", Title: "Claudeflare could not change “" + tg.Label + "”", Body: err.Error()})
	}
	t.redraw()
}

// redraw asks the menu's loop, once it runs, to rebuild the menu now.
func (t *tray) redraw() {
	t.mu.Lock()
	l := t.loop
	t.mu.Unlock()
	if l != nil {
		l.redraw()
	}
}

func (t *tray) open(names ...string) {
	if err := t.Windows.Show(names...); err != nil {
		t.Log.Error("opening a window", "windows", names, "err", err)
		t.notes.send(Notice{Kind: "window", Title: "Claudeflare could not open its window", Body: err.Error()})
	}
}
