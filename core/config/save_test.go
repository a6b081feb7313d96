package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestEncodeFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		members []member
		want    string
	}{
		{"empty", nil, "{}\n"},
		{"values as written", []member{{"b", raw(`{"x":[1,2.0]}`)}, {"a", raw(`"é\u00e9"`)}},
			"{\n  \"b\": {\n    \"x\": [\n      1,\n      2.0\n    ]\n  },\n  \"a\": \"é\\u00e9\"\n}\n"},
		{"escaped key", []member{{`q"k`, raw("1")}}, "{\n  \"q\\\"k\": 1\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := string(encodeFile(tt.members))
			if got != tt.want {
				t.Errorf("encodeFile = %q, want %q", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Error("not valid JSON")
			}
		})
	}
}

func TestWriteFileAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	for i := range 5 {
		want := fmt.Sprintf(`{"n": %d}`, i)
		if err := writeFileAtomic(path, []byte(want)); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); string(got) != want {
			t.Fatalf("file = %s, want %s", got, want)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "config.json" {
		t.Errorf("directory holds %v, want only config.json", entries)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode())
	}
}

func TestWriteFileAtomicFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The target is a non-empty directory, so the rename fails after the temporary file exists.
	path := filepath.Join(dir, "config.json")
	if err := os.MkdirAll(filepath.Join(path, "inside"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(path, []byte("{}")); err == nil {
		t.Fatal("writeFileAtomic over a directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "config.json" || !entries[0].IsDir() {
		t.Errorf("directory holds %v, want only the config.json directory", entries)
	}
}
