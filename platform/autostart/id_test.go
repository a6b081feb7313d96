package autostart

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestIDMatchesFyneApp: the LaunchAgent's label is the app id of FyneApp.toml.
func TestIDMatchesFyneApp(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*ID\s*=\s*"([^"]+)"`).FindSubmatch(data)
	if m == nil {
		t.Fatal("no ID in FyneApp.toml")
	}
	if string(m[1]) != ID {
		t.Errorf("FyneApp.toml's ID is %q, autostart.ID is %q", m[1], ID)
	}
}
