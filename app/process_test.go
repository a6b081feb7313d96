package app

import (
	"bufio"
	"context"
	"io"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/client"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

// testAPI is a real engine with an API-key account, served over HTTP on
// loopback, and the window process's client of it: the windows see only
// the API, as in the app.
func testAPI(t *testing.T) (*core.Core, *client.HTTP) {
	t.Helper()
	c, api := testEngine(t, nil)
	if _, err := c.AddAPIKey(context.Background(), "work", "sk-ant-api03-k", 0); err != nil {
		t.Fatal(err)
	}
	return c, api
}

// testEngine is a real engine with no account, with env as its
// environment, served over HTTP on loopback, and a client of its API.
func testEngine(t *testing.T, env map[string]string) (*core.Core, *client.HTTP) {
	t.Helper()
	home := t.TempDir()
	const token = "window-test-token"
	c, err := core.New(context.Background(), core.Options{Home: home, Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		OpenCreds: func(string) (creds.Store, error) { return filestore.New(filepath.Join(home, "credentials.json")), nil },
		APIToken:  func(context.Context) (string, error) { return token, nil }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		_ = c.Shutdown(context.Background())
	})
	return c, &client.HTTP{Base: func() string { return srv.URL }, Token: token}
}

// ours maps the titles of the app's windows to them (the test driver has
// an untitled one of its own).
func ours(a fyne.App) map[string]fyne.Window {
	titles := map[string]fyne.Window{}
	for _, w := range a.Driver().AllWindows() {
		if w.Title() != "" {
			titles[w.Title()] = w
		}
	}
	return titles
}

// labels lists the texts of the labels under o.
func labels(o fyne.CanvasObject) (out []string) {
	switch w := o.(type) {
	case *widget.Label:
		out = append(out, w.Text)
	case *fyne.Container:
		for _, c := range w.Objects {
			out = append(out, labels(c)...)
		}
	case *container.Scroll:
		out = append(out, labels(w.Content)...)
	}
	return out
}

// TestProcessOpensRaisesAndEndsWithTheLastWindow: each window opens with its
// content from the engine, asking again raises it instead of opening a
// second, "login" opens the accounts window with its dialog, and the
// process is told to end when the last window closes, not before.
func TestProcessOpensRaisesAndEndsWithTheLastWindow(t *testing.T) {
	a := test.NewTempApp(t)
	_, api := testAPI(t)
	p := NewProcess(a, api, func(f func()) { f() })
	ended := 0
	p.Empty = func() { ended++ }

	for _, name := range []string{"accounts", "usage", "settings"} {
		if err := p.Show(name); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.Open(); !slices.Equal(got, []string{"accounts", "settings", "usage"}) {
		t.Fatalf("open windows %v", got)
	}
	titles := ours(a)
	if len(titles) != 3 || titles["Claudeflare accounts"] == nil || titles["Claudeflare usage"] == nil || titles["Claudeflare settings"] == nil {
		t.Fatalf("windows %v", titles)
	}
	acc := strings.Join(labels(titles["Claudeflare accounts"].Content()), "\n")
	if !strings.Contains(acc, "work\npriority\navailable · 0 requests") {
		t.Errorf("the accounts window does not show the engine's account:\n%s", acc)
	}
	if use := strings.Join(labels(titles["Claudeflare usage"].Content()), "\n"); !strings.Contains(use, "0 requests") {
		t.Errorf("the usage window shows no figures:\n%s", use)
	}
	if set := titles["Claudeflare settings"].Content(); set == nil {
		t.Error("the settings window is empty")
	}

	if err := p.Show("usage"); err != nil || len(ours(a)) != 3 {
		t.Fatalf("showing usage again: %v, windows %v", err, ours(a))
	}
	if err := p.Show("login"); err != nil {
		t.Fatal(err)
	}
	if overlays := titles["Claudeflare accounts"].Canvas().Overlays().List(); len(overlays) == 0 {
		t.Error("login opened no dialog over the accounts window")
	}
	if err := p.Show("nonsense"); err == nil {
		t.Error("an unknown window was shown")
	}

	titles["Claudeflare usage"].Close()
	titles["Claudeflare accounts"].Close()
	if ended != 0 || !slices.Equal(p.Open(), []string{"settings"}) {
		t.Fatalf("after closing two of three: ended %d, open %v", ended, p.Open())
	}
	if p.accounts != nil {
		t.Error("the closed accounts window is still refreshed")
	}
	titles["Claudeflare settings"].Close()
	if ended != 1 || len(p.Open()) != 0 {
		t.Fatalf("after closing the last: ended %d, open %v", ended, p.Open())
	}
	if err := p.Show("accounts"); err != nil || len(p.Open()) != 1 {
		t.Fatalf("reopening: %v, %v", err, p.Open())
	}
}

// TestProcessFollowsTheTraysLines: "show NAME" lines open windows and are
// acknowledged once they are up; the end of the lines (the tray quit or
// died) ends the process.
func TestProcessFollowsTheTraysLines(t *testing.T) {
	a := test.NewTempApp(t)
	_, api := testAPI(t)
	p := NewProcess(a, api, func(f func()) { f() })
	quit := make(chan struct{})
	p.quit = func() { close(quit) }
	commands, tray := io.Pipe()
	acks, ackw := io.Pipe()
	go p.read(commands, ackw)
	answers := bufio.NewScanner(acks)
	for _, name := range []string{"usage", "settings", "usage"} {
		if _, err := io.WriteString(tray, "show "+name+"\n"); err != nil {
			t.Fatal(err)
		}
		if !answers.Scan() || answers.Text() != "shown "+name {
			t.Fatalf("answer to show %s: %q", name, answers.Text())
		}
	}
	if !slices.Equal(p.Open(), []string{"settings", "usage"}) {
		t.Fatalf("open %v", p.Open())
	}
	tray.Close()
	select {
	case <-quit:
	case <-time.After(10 * time.Second):
		t.Fatal("the process did not end when the tray's lines did")
	}
}

// TestProcessFollowsTheEngine: a change made elsewhere (here the engine's
// own verb, as the command line's would go through the API) reaches the
// window process through /api/events and is redrawn, coalesced.
func TestProcessFollowsTheEngine(t *testing.T) {
	c, api := testAPI(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changed := make(chan struct{}, 16)
	go follow(ctx, api, func() { changed <- struct{}{} })
	// The stream is up once an event published now arrives: retry until one does.
	deadline := time.Now().Add(10 * time.Second)
	for got := false; !got; {
		if _, err := c.Pause(context.Background(), "work"); err != nil {
			t.Fatal(err)
		}
		select {
		case <-changed:
			got = true
		case <-time.After(time.Second):
			if time.Now().After(deadline) {
				t.Fatal("no redraw after the engine changed")
			}
		}
		if _, err := c.Resume(context.Background(), "work"); err != nil {
			t.Fatal(err)
		}
	}
}
