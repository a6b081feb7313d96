package cli

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/claudeflare/claudeflare/core/client"
)

// TestUIIsAClientOfTheRunningApp: `ui` opens the named windows (accounts
// when none is named) on the running app's API, found through its lock
// file; only with --tray do the windows get the tray's pipe. With no app
// running, unknown names and a headless build, it refuses.
func TestUIIsAClientOfTheRunningApp(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	type call struct {
		names []string
		piped bool
		base  string
	}
	var calls []call
	ui := func(api client.API, names []string, commands io.Reader, acks io.Writer) error {
		h, ok := api.(*client.HTTP)
		if !ok {
			t.Fatalf("the windows got %T, not the running app's HTTP API", api)
		}
		if _, err := h.Accounts(context.Background()); err != nil {
			t.Errorf("the windows' client: %v", err)
		}
		calls = append(calls, call{names, commands != nil && acks != nil, h.Base()})
		return nil
	}
	runUI := func(args ...string) run {
		var out, errb bytes.Buffer
		code := Run(&Env{Args: append([]string{"ui"}, args...), UI: ui, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
			Lookup: func(k string) (string, bool) {
				v, ok := map[string]string{"CLAUDEFLARE_HOME": home, "CLAUDEFLARE_CREDENTIAL_STORE": "file"}[k]
				return v, ok
			}})
		return run{code, out.String(), errb.String()}
	}
	if r := runUI(); r.code != 1 || !strings.Contains(r.stderr, "no Claudeflare is running") {
		t.Fatalf("ui with no app: %+v", r)
	}
	app := newFakeApp(t, []any{})
	holdLock(t, home, app.URL)
	if r := runUI(); r.code != 0 {
		t.Fatalf("ui: %+v", r)
	}
	if r := runUI("--tray", "usage", "settings"); r.code != 0 {
		t.Fatalf("ui --tray: %+v", r)
	}
	if len(calls) != 2 || !slices.Equal(calls[0].names, []string{"accounts"}) || calls[0].piped || calls[0].base != app.URL ||
		!slices.Equal(calls[1].names, []string{"usage", "settings"}) || !calls[1].piped {
		t.Fatalf("calls %+v (app at %s)", calls, app.URL)
	}
	if r := runUI("charts"); r.code != 2 || !strings.Contains(r.stderr, `no window "charts"`) {
		t.Errorf("unknown window: %+v", r)
	}
	if r := runCLI(t, home, "", nil, "ui"); r.code != 2 || !strings.Contains(r.stderr, "no windows") {
		t.Errorf("headless build: %+v", r)
	}
}

func TestShowAtStart(t *testing.T) {
	t.Parallel()
	for v, want := range map[string][]string{
		"":                               nil,
		"usage,settings,accounts":        {"usage", "settings", "accounts"},
		" usage , charts,usage,settings": {"usage", "settings"},
	} {
		env := &Env{Lookup: func(string) (string, bool) { return v, v != "" }}
		if got := showAtStart(env); !slices.Equal(got, want) {
			t.Errorf("CLAUDEFLARE_SHOW=%q: %q, want %q", v, got, want)
		}
	}
}
