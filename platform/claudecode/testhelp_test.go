package claudecode

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

const testURL = "http://127.0.0.1:8080"

// files returns a settings path (in a .claude folder that does not exist
// yet) and a record path in a home folder of their own.
func files(t *testing.T) Files {
	t.Helper()
	root := t.TempDir()
	home := filepath.Join(root, "claudeflare")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	return Files{Settings: filepath.Join(root, ".claude", "settings.json"), Record: filepath.Join(home, "claude-code.json")}
}

// writeSettings creates the settings file (and its folder) with data.
func writeSettings(t *testing.T, f Files, data string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(f.Settings), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.Settings, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	if strings.TrimSpace(s) == "" {
		return map[string]any{}
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, s)
	}
	return m
}

// keyOrders maps the path of every object in a JSON text to its keys in order.
func keyOrders(raw string) map[string][]string {
	out := map[string][]string{}
	var walk func(path string, v gjson.Result)
	walk = func(path string, v gjson.Result) {
		if v.IsObject() {
			keys := []string{}
			v.ForEach(func(k, val gjson.Result) bool {
				keys = append(keys, k.String())
				walk(path+"/"+k.String(), val)
				return true
			})
			out[path] = keys
		} else if v.IsArray() {
			i := 0
			v.ForEach(func(_, val gjson.Result) bool {
				walk(path+"/"+strconv.Itoa(i), val)
				i++
				return true
			})
		}
	}
	walk("", gjson.Parse(raw))
	return out
}

// checkKept fails unless after holds every key and value of before, in the
// same order (new keys may follow), apart from the keys in ours.
func checkKept(t *testing.T, before, after string, ours ...string) {
	t.Helper()
	b, a := decode(t, before), decode(t, after)
	for _, k := range ours {
		top, sub, nested := strings.Cut(k, ".")
		if !nested {
			if _, had := b[top]; !had {
				delete(a, top)
			}
			continue
		}
		be, _ := b[top].(map[string]any)
		ae, _ := a[top].(map[string]any)
		if be == nil {
			delete(a, top)
			continue
		}
		if v, had := be[sub]; had {
			ae[sub] = v
		} else {
			delete(ae, sub)
		}
	}
	if !reflect.DeepEqual(b, a) {
		t.Errorf("keys or values changed:\nbefore %v\nafter  %v", b, a)
	}
	orderA := keyOrders(after)
	for path, keys := range keyOrders(before) {
		got := orderA[path]
		if len(got) < len(keys) || !slices.Equal(got[:len(keys)], keys) {
			t.Errorf("key order of %q: %v, want %v first", path, got, keys)
		}
	}
}

// leftovers lists what is in dir besides want.
func leftovers(t *testing.T, dir string, want ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for _, e := range entries {
		if !slices.Contains(want, e.Name()) {
			extra = append(extra, e.Name())
		}
	}
	return extra
}
