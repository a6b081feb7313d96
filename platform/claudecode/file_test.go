package claudecode

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestSymlinkedSettings: a settings file that is a link (dotfiles) stays a
// link; the file it points to is edited.
func TestSymlinkedSettings(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	f := files(t)
	dotfiles := filepath.Join(t.TempDir(), "dotfiles")
	if err := os.Mkdir(dotfiles, 0o700); err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(dotfiles, "claude-settings.json")
	if err := os.WriteFile(real, []byte(`{"model":"opus"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(f.Settings), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, f.Settings); err != nil {
		t.Fatal(err)
	}
	if _, err := Enable(f, Wiring{BaseURL: testURL}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(f.Settings); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced by a file (%v)", err)
	}
	if !strings.Contains(readFile(t, real), testURL) {
		t.Errorf("the linked file was not edited: %s", readFile(t, real))
	}
	if _, err := Disable(f); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, real); got != `{"model":"opus"}` {
		t.Errorf("after disable: %s", got)
	}
}

// TestFailedWriteKeepsFileAndRecord: when writing the settings file fails,
// the file is as it was and the record does not claim the change. (That the
// atomic write itself leaves the old file whole when its rename fails is
// platform/atomicfile's test.) Not parallel: it swaps the package's writer.
func TestFailedWriteKeepsFileAndRecord(t *testing.T) {
	f := files(t)
	writeSettings(t, f, `{"model":"opus"}`, 0o600)
	if _, err := Enable(f, Wiring{BaseURL: testURL}); err != nil {
		t.Fatal(err)
	}
	recBefore := readFile(t, f.Record)
	settingsBefore := readFile(t, f.Settings)
	boom := errors.New("disk full")
	writeSettingsFile = func(string, []byte, os.FileMode) error { return boom }
	defer func() { writeSettingsFile = defaultWriteSettingsFile }()
	if _, err := Enable(f, Wiring{BaseURL: "http://127.0.0.1:9999"}); !errors.Is(err, boom) {
		t.Fatalf("Enable = %v, want the write's error", err)
	}
	if got := readFile(t, f.Settings); got != settingsBefore {
		t.Errorf("settings changed: %s", got)
	}
	if got := readFile(t, f.Record); got != recBefore {
		t.Errorf("the record claims a change that was not written:\n%s\nwas:\n%s", got, recBefore)
	}
}
