//go:build !darwin && !windows

package autostart

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func lookupOf(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestOnStatusOff: the entry is written where XDG says, runs the binary by
// its absolute path, is reported, and is removed.
func TestOnStatusOff(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	xdg := filepath.Join(t.TempDir(), "xdg config")
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"XDG_CONFIG_HOME", map[string]string{"HOME": home, "XDG_CONFIG_HOME": xdg}, filepath.Join(xdg, "autostart", "claudeflare.desktop")},
		{"default ~/.config", map[string]string{"HOME": home}, filepath.Join(home, ".config", "autostart", "claudeflare.desktop")},
		{"relative XDG_CONFIG_HOME ignored", map[string]string{"HOME": home, "XDG_CONFIG_HOME": "rel/config"}, filepath.Join(home, ".config", "autostart", "claudeflare.desktop")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: two cases share the default folder.
			lookup := lookupOf(tt.env)
			bin := filepath.Join(t.TempDir(), "bin dir", "claudeflare")
			if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			if _, on, err := Status(lookup); err != nil || on {
				t.Fatalf("Status before = %v, %v; want off", on, err)
			}
			e, err := Enable(lookup, []string{bin})
			if err != nil {
				t.Fatal(err)
			}
			if e.Location != tt.want {
				t.Errorf("entry at %s, want %s", e.Location, tt.want)
			}
			data, err := os.ReadFile(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), "\nExec=\""+bin+"\"\n") {
				t.Errorf("Exec is not the quoted absolute path %s:\n%s", bin, data)
			}
			if fi, _ := os.Stat(tt.want); fi.Mode().Perm() != 0o644 {
				t.Errorf("mode %v, want 0644", fi.Mode().Perm())
			}
			e, on, err := Status(lookup)
			if err != nil || !on || !slices.Equal(e.Command, []string{bin}) || !e.ProgramExists() {
				t.Errorf("Status = %+v, on %v, exists %v, %v", e, on, e.ProgramExists(), err)
			}
			if err := os.Remove(bin); err != nil {
				t.Fatal(err)
			}
			if e, on, _ := Status(lookup); !on || e.ProgramExists() {
				t.Errorf("after the binary went: on %v, exists %v; want on, missing", on, e.ProgramExists())
			}
			if _, removed, err := Disable(lookup); err != nil || !removed {
				t.Fatalf("Disable = %v, %v", removed, err)
			}
			if _, err := os.Stat(tt.want); !os.IsNotExist(err) {
				t.Errorf("entry still there: %v", err)
			}
			if _, removed, err := Disable(lookup); err != nil || removed {
				t.Errorf("second Disable = %v, %v; want nothing removed", removed, err)
			}
		})
	}
}

func TestSwitchedOffByTheDesktop(t *testing.T) {
	t.Parallel()
	lookup := lookupOf(map[string]string{"XDG_CONFIG_HOME": t.TempDir()})
	e, err := Enable(lookup, []string{"/bin/true"})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(e.Location)
	off := strings.Replace(string(data), "X-GNOME-Autostart-enabled=true", "X-GNOME-Autostart-enabled=false", 1)
	if err := os.WriteFile(e.Location, []byte(off), 0o644); err != nil {
		t.Fatal(err)
	}
	if e, on, err := Status(lookup); err != nil || on || !e.Disabled {
		t.Errorf("Status = %+v, on %v, %v; want an entry switched off", e, on, err)
	}
}

func TestNoHome(t *testing.T) {
	t.Parallel()
	if _, err := Enable(lookupOf(nil), []string{"/bin/true"}); err == nil {
		t.Error("Enable without HOME or XDG_CONFIG_HOME succeeded")
	}
	if _, err := Enable(lookupOf(map[string]string{"HOME": t.TempDir()}), nil); err == nil {
		t.Error("Enable with no command succeeded")
	}
}
