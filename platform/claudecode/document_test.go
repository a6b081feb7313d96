package claudecode

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrokenFileRefused: a file Claudeflare cannot edit safely is named,
// refused, and left byte for byte as it was; no record is made.
func TestBrokenFileRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data, want string
	}{
		{"not JSON", "{\n  \"model\": \"opus\",\n}\n", "line 3"},
		{"comments", "{\n  // my settings\n  \"model\": \"opus\"\n}\n", "not valid JSON"},
		{"truncated", `{"env": {"A": "1"`, "not valid JSON"},
		{"two values", `{} {}`, "not valid JSON"},
		{"top level an array", `[{"env": {}}]`, "top level"},
		{"top level a string", `"hello"`, "top level"},
		{"env a string", `{"env": "ANTHROPIC_BASE_URL=http://x"}`, `"env" that is not an object`},
		{"env an array", `{"env": []}`, `"env" that is not an object`},
		{"env twice", `{"env": {"A": "1"}, "env": {"B": "2"}}`, `"env" twice`},
		{"a variable twice", `{"env": {"A": "1", "A": "2"}}`, `"A" twice`},
		{"byte order mark", "\ufeff{}", "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := files(t)
			writeSettings(t, f, tt.data, 0o644)
			_, err := Enable(f, Wiring{BaseURL: testURL, StatusLine: "x statusline"})
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("Enable = %v, want an *InvalidError", err)
			}
			if !strings.Contains(err.Error(), f.Settings) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "unchanged") {
				t.Errorf("error %q: want the file's path, %q and that it is unchanged", err, tt.want)
			}
			if got := readFile(t, f.Settings); got != tt.data {
				t.Errorf("the refused file changed: %q", got)
			}
			if _, err := os.Stat(f.Record); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a record was made for a refused file: %v", err)
			}
			if extra := leftovers(t, filepath.Dir(f.Settings), "settings.json"); len(extra) > 0 {
				t.Errorf("left beside the settings file: %v", extra)
			}
		})
	}
}

// TestBrokenAfterEnable: a file broken by hand after enable is refused by
// disable too, untouched, and the record is kept for a later try.
func TestBrokenAfterEnable(t *testing.T) {
	t.Parallel()
	f := files(t)
	writeSettings(t, f, `{"model":"opus"}`, 0o600)
	if _, err := Enable(f, Wiring{BaseURL: testURL}); err != nil {
		t.Fatal(err)
	}
	broken := readFile(t, f.Settings) + ","
	writeSettings(t, f, broken, 0o600)
	if _, err := Disable(f); err == nil {
		t.Fatal("Disable accepted a broken file")
	}
	if got := readFile(t, f.Settings); got != broken {
		t.Errorf("the broken file changed: %q", got)
	}
	writeSettings(t, f, strings.TrimSuffix(broken, ","), 0o600)
	if _, err := Disable(f); err != nil {
		t.Fatalf("Disable once mended: %v", err)
	}
	if got := readFile(t, f.Settings); got != `{"model":"opus"}` {
		t.Errorf("after disable: %s", got)
	}
}
