package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: any config.json either loads into a valid configuration or is
// refused with an *Error; it never panics and is never rewritten.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"port": 9090, "session_duration_ms": 60000, "extra": [1]}`))
	f.Add([]byte(`{"host": "0.0.0.0", "allow_remote": true}`))
	f.Add([]byte(`{"port": 1e400}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "config.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, _, err := Load(path, nil, nil)
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("Load accepted an invalid config: %v", verr)
			}
		} else if _, ok := err.(*Error); !ok {
			t.Fatalf("error of type %T: %v", err, err)
		}
		if after, _ := os.ReadFile(path); string(after) != string(data) {
			t.Fatal("Load changed the file")
		}
	})
}
