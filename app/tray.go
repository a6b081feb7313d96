package app

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/claudeflare/claudeflare/assets"
	"github.com/claudeflare/claudeflare/core"
)

// Run shows the tray for c until the user quits. a comes from main, the only
// place that imports Fyne's cgo driver, so this package tests headless.
func Run(a fyne.App, c *core.Core) error {
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	t := newTray(a, c)
	t.start()
	if t.desk == nil {
		// No tray to live in: show a window so the app is not invisible.
		fmt.Fprintf(os.Stderr, "claudeflare: no system tray found; proxy on http://%s. "+
			"Its accounts window is open; `claudeflare accounts` and `claudeflare stats` work from a terminal.\n", c.Addr())
		t.showAccounts()
	}
	// CLAUDEFLARE_SHOW=usage,settings opens windows at start: for screenshots and smoke tests.
	for _, name := range strings.Split(os.Getenv("CLAUDEFLARE_SHOW"), ",") {
		switch strings.TrimSpace(name) {
		case "accounts":
			t.showAccounts()
		case "usage":
			t.showUsage()
		case "settings":
			t.showSettings()
		}
	}
	a.Run()
	t.stop()
	return nil
}

// tray keeps the tray icon and menu in step with the core.
type tray struct {
	app      fyne.App
	core     *core.Core
	desk     desktop.App
	dirty    chan struct{} // 1 slot: "something changed", coalesced
	done     chan struct{}
	icons    map[Health]fyne.Resource
	current  Health
	settings fyne.Window // open settings window, reused
	accounts fyne.Window // open accounts window, reused
	accView  *accountsView
	usage    fyne.Window // open usage window, reused
	notifier Notifier    // used on the event goroutine only
	downNote Notifier    // used on the UI goroutine only
}

func newTray(a fyne.App, c *core.Core) *tray {
	t := &tray{app: a, core: c, dirty: make(chan struct{}, 1), done: make(chan struct{}), current: -1}
	t.icons = map[Health]fyne.Resource{
		HealthOK:      fyne.NewStaticResource("tray-ok.png", assets.TrayOK),
		HealthLimited: fyne.NewStaticResource("tray-limited.png", assets.TrayLimited),
		HealthDown:    fyne.NewStaticResource("tray-down.png", assets.TrayDown),
	}
	if d, ok := a.(desktop.App); ok && trayHostLikely() {
		t.desk = d
	}
	return t
}

// trayHostLikely: on Linux the tray is a D-Bus service; without a session bus
// Fyne's systray logs an error and later panics on quit, so it is skipped.
func trayHostLikely() bool {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" {
		return true
	}
	return os.Getenv("DBUS_SESSION_BUS_ADDRESS") != ""
}

func (t *tray) start() {
	t.refresh()
	events, cancel := t.core.Events().Subscribe(64)
	go func() {
		defer cancel()
		for {
			select {
			case <-t.done:
				return
			case e, ok := <-events:
				if !ok {
					return
				}
				if n, due := t.notifier.NoticeFor(e, time.Now()); due {
					t.app.SendNotification(fyne.NewNotification(n.Title, n.Body))
				}
				t.markDirty()
			}
		}
	}()
	go t.loop()
}

func (t *tray) stop() { close(t.done) }

func (t *tray) markDirty() {
	select {
	case t.dirty <- struct{}{}:
	default:
	}
}

// loop rebuilds the menu at most once a second when something changed, and
// every 30 s regardless so countdowns stay current.
func (t *tray) loop() {
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-t.done:
			return
		case <-t.dirty:
		case <-tick.C:
		}
		fyne.Do(t.refresh)
		select {
		case <-t.done:
			return
		case <-time.After(time.Second):
		}
	}
}

// refresh rebuilds the menu and icon; it runs on the UI goroutine.
func (t *tray) refresh() {
	if t.desk == nil {
		if t.accView != nil {
			t.accView.refresh()
		}
		return
	}
	views := t.core.Views()
	if h := HealthOf(views); h != t.current {
		if h == HealthDown && t.current >= 0 {
			if n, due := t.downNote.NoneCanServe(time.Now()); due {
				t.app.SendNotification(fyne.NewNotification(n.Title, n.Body))
			}
		}
		t.current = h
		t.desk.SetSystemTrayIcon(t.icons[h])
	}
	if t.accView != nil {
		t.accView.refresh()
	}
	m := BuildMenu(t.core.Addr(), views, time.Now())
	t.desk.SetSystemTrayMenu(t.menu(m))
}

func (t *tray) menu(m MenuModel) *fyne.Menu {
	info := func(s string) *fyne.MenuItem {
		it := fyne.NewMenuItem(s, nil)
		it.Disabled = true
		return it
	}
	items := []*fyne.MenuItem{info(m.Status), info(m.Active), fyne.NewMenuItemSeparator()}
	for _, line := range m.Accounts {
		items = append(items, info(line))
	}
	if len(m.Accounts) > 0 {
		items = append(items, fyne.NewMenuItemSeparator())
	}
	items = append(items,
		fyne.NewMenuItem("Add account…", func() { t.showAccounts(); t.accView.startLoginDialog() }),
		fyne.NewMenuItem("Accounts…", t.showAccounts),
		fyne.NewMenuItem("Usage…", t.showUsage),
		fyne.NewMenuItem("Settings…", t.showSettings),
		// No underscores in tray labels: D-Bus menus read them as mnemonics.
		fyne.NewMenuItem("Copy the shell line: export ANTHROPIC…URL=http://"+t.core.Addr(), func() { t.app.Clipboard().SetContent(m.Export) }),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Quit", t.app.Quit),
	)
	// Fyne adds its own Quit item to tray menus; ours replaces it.
	menu := fyne.NewMenu("Claudeflare", items...)
	return menu
}

// showSettings opens (or brings forward) the settings window.
func (t *tray) showSettings() {
	if t.settings != nil {
		t.settings.RequestFocus()
		return
	}
	v := newSettingsView(t.core, func(f func()) { go f() })
	w := t.app.NewWindow("Claudeflare settings")
	w.SetContent(v.root)
	w.Resize(fyne.NewSize(560, 520))
	w.SetOnClosed(func() { t.settings = nil })
	t.settings = w
	w.Show()
}

// showAccounts opens (or brings forward) the accounts window.
func (t *tray) showAccounts() {
	if t.accounts != nil {
		t.accounts.RequestFocus()
		return
	}
	w := t.app.NewWindow("Claudeflare accounts")
	t.accView = newAccountsView(t.core, w, func(f func()) { go f() })
	w.SetContent(t.accView.root)
	w.Resize(fyne.NewSize(720, 420))
	w.SetOnClosed(func() { t.accounts, t.accView = nil, nil })
	t.accounts = w
	w.Show()
}

// showUsage opens (or brings forward) the usage window with its charts.
func (t *tray) showUsage() {
	if t.usage != nil {
		t.usage.RequestFocus()
		return
	}
	w := t.app.NewWindow("Claudeflare usage")
	v := newUsageView(t.core, func(f func()) { go f() })
	w.SetContent(v.root)
	w.Resize(fyne.NewSize(760, 620))
	w.SetOnClosed(func() { t.usage = nil })
	t.usage = w
	w.Show()
}
