package atomicfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// leftovers lists the files in dir other than want.
func leftovers(t *testing.T, dir string, want ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	for _, w := range want {
		keep[w] = true
	}
	var extra []string
	for _, e := range entries {
		if !keep[e.Name()] {
			extra = append(extra, e.Name())
		}
	}
	return extra
}

func TestWriteFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		old   []byte // nil: no file before
		perm  os.FileMode
		data  []byte
		wantM os.FileMode
	}{
		{"new file", nil, 0o600, []byte("{}\n"), 0o600},
		{"replaces, mode as asked", []byte("old"), 0o644, []byte("new"), 0o644},
		{"empty data", []byte("old"), 0o600, nil, 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "f.json")
			if tt.old != nil {
				if err := os.WriteFile(path, tt.old, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := WriteFile(path, tt.data, tt.perm); err != nil {
				t.Fatalf("WriteFile: %v", err)
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, tt.data) {
				t.Fatalf("file = %q, %v; want %q", got, err, tt.data)
			}
			if runtime.GOOS != "windows" {
				info, _ := os.Stat(path)
				if info.Mode().Perm() != tt.wantM {
					t.Errorf("mode %v, want %v", info.Mode().Perm(), tt.wantM)
				}
			}
			if extra := leftovers(t, dir, "f.json"); len(extra) > 0 {
				t.Errorf("files left behind: %v", extra)
			}
		})
	}
}

// TestFailingRename: when the last step fails, the old file is whole and no
// temporary file is left.
func TestFailingRename(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "settings.json")
	old := []byte(`{"keep":"me"}`)
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("rename refused")
	err := write(path, []byte(`{"new":true}`), 0o600, func(string, string) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("write = %v, want the rename's error", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, old) {
		t.Errorf("file after a failed rename = %q, want the old %q", got, old)
	}
	if extra := leftovers(t, dir, "settings.json"); len(extra) > 0 {
		t.Errorf("files left behind: %v", extra)
	}
}

func TestMissingFolder(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "absent", "f.json")
	if err := WriteFile(path, []byte("x"), 0o600); err == nil {
		t.Fatal("WriteFile into a missing folder succeeded; the caller decides whether to create it")
	}
}
