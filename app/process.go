// Package app is Claudeflare's window process on Fyne (docs/DESIGN.md, "The
// tray and its windows"): the accounts, usage and settings windows and the
// login dialog. The tray (package app/tray, which imports no Fyne) starts
// it on demand as `claudeflare ui --tray NAME…`, so Fyne's GL loop runs
// only while a window is open; the process ends with its last window. It
// is thin: what it shows is computed by plain, tested functions, and every
// action is a call into the engine, run off the UI goroutine.
package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/claudeflare/claudeflare/assets"
	"github.com/claudeflare/claudeflare/core/client"
)

// ID is the application id (also in FyneApp.toml).
const ID = "com.claudeflare.app"

// window is one kind of window: its title, size and content.
type window struct {
	title   string
	size    fyne.Size
	content func(p *Process, w fyne.Window) fyne.CanvasObject
}

var windows = map[string]window{
	"accounts": {"Claudeflare accounts", fyne.NewSize(860, 640), func(p *Process, w fyne.Window) fyne.CanvasObject {
		p.accounts = newAccountsView(p.src, w, p.background)
		return p.accounts.root
	}},
	"usage": {"Claudeflare usage", fyne.NewSize(800, 720), func(p *Process, _ fyne.Window) fyne.CanvasObject {
		return newUsageView(p.src, p.background).root
	}},
	"settings": {"Claudeflare settings", fyne.NewSize(560, 520), func(p *Process, _ fyne.Window) fyne.CanvasObject {
		return newSettingsView(p.src, p.background).root
	}},
}

// Names are the windows Show knows: "login" is the accounts window with
// the login dialog open (the tray's "Add account…").
var Names = []string{"accounts", "usage", "settings", "login"}

// Process is the set of windows open in the window process. Its methods
// run on the UI goroutine.
type Process struct {
	app        fyne.App
	src        client.API
	background func(func())
	open       map[string]fyne.Window
	accounts   *accountsView // while the accounts window is open
	// Empty is called when the last window has closed; quit when the
	// tray's lines end. Both are the app's Quit but in tests.
	Empty, quit func()
}

// NewProcess returns a process with no window open; background runs slow
// work off the UI goroutine (tests run it inline).
func NewProcess(a fyne.App, src client.API, background func(func())) *Process {
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	return &Process{app: a, src: src, background: background, open: map[string]fyne.Window{}, Empty: a.Quit, quit: a.Quit}
}

// Show opens the window name, or brings it forward when it is open.
func (p *Process) Show(name string) error {
	if name == "login" {
		if err := p.Show("accounts"); err != nil {
			return err
		}
		p.accounts.startLoginDialog()
		return nil
	}
	if w := p.open[name]; w != nil {
		w.Show()
		w.RequestFocus()
		return nil
	}
	kind, ok := windows[name]
	if !ok {
		return fmt.Errorf("no window %q: the windows are %s", name, strings.Join(Names, ", "))
	}
	w := p.app.NewWindow(kind.title)
	w.SetContent(kind.content(p, w))
	w.Resize(kind.size)
	closeKeys(w)
	w.SetOnClosed(func() {
		delete(p.open, name)
		if name == "accounts" {
			p.accounts = nil
		}
		if len(p.open) == 0 && p.Empty != nil {
			p.Empty()
		}
	})
	p.open[name] = w
	w.Show()
	return nil
}

// Open lists the open windows by name, sorted.
func (p *Process) Open() []string {
	names := make([]string, 0, len(p.open))
	for n := range p.open {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// closeKeys closes w on Ctrl+W (Cmd+W on macOS), as desktop windows do.
func closeKeys(w fyne.Window) {
	for _, mod := range []fyne.KeyModifier{fyne.KeyModifierControl, fyne.KeyModifierSuper} {
		w.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyW, Modifier: mod}, func(fyne.Shortcut) { w.Close() })
	}
}

// refresh redraws what shows the accounts' state, after an event and every
// 30 s for the countdowns.
func (p *Process) refresh() {
	if p.accounts != nil {
		p.accounts.refresh()
	}
}

// Run is the window process on the running app's API (docs/DESIGN.md,
// "The typed surface"): it opens names and returns when the last window
// has closed. With commands (the tray's pipe) it also reads lines
// "show NAME" from them, acknowledging each on acks ("shown NAME") once the
// window is up, and quits when commands end (the tray quit or died).
func Run(a fyne.App, src client.API, names []string, commands io.Reader, acks io.Writer) error {
	p := NewProcess(a, src, func(f func()) { go f() })
	for _, n := range names {
		if err := p.Show(n); err != nil {
			return err
		}
		ack(acks, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go follow(ctx, src, func() { fyne.Do(p.refresh) })
	if commands != nil {
		go p.read(commands, acks)
	}
	a.Run()
	return nil
}

// read executes the command lines until they end, then quits.
func (p *Process) read(commands io.Reader, acks io.Writer) {
	sc := bufio.NewScanner(commands)
	for sc.Scan() {
		name, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "show ")
		if !ok {
			continue
		}
		fyne.DoAndWait(func() {
			if err := p.Show(name); err != nil {
				fyne.LogError("showing a window", err)
			}
		})
		ack(acks, name)
	}
	fyne.Do(p.quit)
}

func ack(acks io.Writer, name string) {
	if acks != nil {
		_, _ = fmt.Fprintf(acks, "shown %s\n", name)
	}
}

// follow calls changed after the engine's events, at most twice a second,
// and every 30 s; it subscribes again when the stream ends (the engine
// moved to another port, or restarted).
func follow(ctx context.Context, src client.API, changed func()) {
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for ctx.Err() == nil {
		evs, err := src.Subscribe(ctx)
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
			continue
		}
		pending := false
		calm := time.NewTimer(time.Hour)
		calm.Stop()
		for open := true; open; {
			select {
			case <-ctx.Done():
				return
			case _, open = <-evs:
				if open && !pending {
					pending = true
					calm.Reset(500 * time.Millisecond)
				}
			case <-calm.C:
				pending = false
				changed()
			case <-tick.C:
				changed()
			}
		}
		calm.Stop()
		changed() // whatever happened while the stream was down
	}
}
