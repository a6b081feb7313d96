//go:build !darwin && !windows

package cli

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// TestTrayTogglesAreTheCommandsChanges: the tray's check items change the
// same files as `claude-code enable|disable` and `autostart on|off`, so each
// side sees what the other did, and a port change takes the Claude Code mark
// off until a click wires the new address.
func TestTrayTogglesAreTheCommandsChanges(t *testing.T) {
	t.Parallel()
	home, user, xdg := t.TempDir(), t.TempDir(), t.TempDir()
	vars := map[string]string{"HOME": user, "XDG_CONFIG_HOME": xdg}
	env := &Env{Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
	addr := "127.0.0.1:40001"
	toggles := trayToggles(env, home, func() string { return addr }, slog.New(slog.DiscardHandler))
	if len(toggles) != 2 || toggles[0].Label != "Use with Claude Code" || toggles[1].Label != "Start at login" {
		t.Fatalf("toggles: %+v", toggles)
	}
	claude, login := toggles[0], toggles[1]
	mark := func(tg TrayToggle) bool {
		t.Helper()
		on, err := tg.On()
		if err != nil {
			t.Fatalf("%s: %v", tg.Label, err)
		}
		return on
	}
	settings := filepath.Join(user, ".claude", "settings.json")

	if mark(claude) || mark(login) {
		t.Fatal("marks on before anything was set")
	}
	if err := claude.Set(true); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(settings)
	if err != nil {
		t.Fatal(err)
	}
	if got := gjson.GetBytes(data, "env.ANTHROPIC_BASE_URL").String(); got != "http://"+addr {
		t.Errorf("ANTHROPIC_BASE_URL = %q", got)
	}
	if !mark(claude) {
		t.Error("Claude Code mark off after the click")
	}
	r := runCLI(t, home, "", vars, "claude-code", "status")
	if !strings.Contains(r.stdout, "set by `claude-code enable`") {
		t.Errorf("the command does not see the tray's change: %+v", r)
	}

	addr = "127.0.0.1:40002"
	if mark(claude) {
		t.Error("mark still on for the old port")
	}
	if err := claude.Set(true); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(settings)
	if got := gjson.GetBytes(data, "env.ANTHROPIC_BASE_URL").String(); got != "http://"+addr || !mark(claude) {
		t.Errorf("after the port change and a click: %q, mark %v", got, mark(claude))
	}
	if r := runCLI(t, home, "", vars, "claude-code", "disable"); r.code != 0 {
		t.Fatalf("disable: %+v", r)
	}
	if mark(claude) {
		t.Error("mark on after `claude-code disable`")
	}
	if _, err := os.Stat(settings); !os.IsNotExist(err) {
		t.Errorf("settings file after disable: %v", err)
	}

	if err := login.Set(true); err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(xdg, "autostart", "claudeflare.desktop")
	if _, err := os.Stat(entry); err != nil || !mark(login) {
		t.Fatalf("after Start at login: %v, mark %v", err, mark(login))
	}
	if r := runCLI(t, home, "", vars, "autostart", "off"); r.code != 0 {
		t.Fatalf("autostart off: %+v", r)
	}
	if mark(login) {
		t.Error("mark on after `autostart off`")
	}
	if err := login.Set(false); err != nil {
		t.Errorf("turning off what is off: %v", err)
	}
}

// TestTrayToggleWithoutHome: with no home to find Claude Code's settings
// in, the mark reads as an error (the menu shows it off) and a click says
// why instead of writing somewhere else.
func TestTrayToggleWithoutHome(t *testing.T) {
	t.Parallel()
	env := &Env{Lookup: func(string) (string, bool) { return "", false }}
	claude := trayToggles(env, t.TempDir(), func() string { return "127.0.0.1:1" }, slog.New(slog.DiscardHandler))[0]
	if _, err := claude.On(); err == nil {
		t.Error("On without $HOME: no error")
	}
	if err := claude.Set(true); err == nil || !strings.Contains(err.Error(), "$HOME is not set") {
		t.Errorf("Set without $HOME: %v", err)
	}
}
