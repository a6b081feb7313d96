package apitoken

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

func TestEnsure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		before  string // the file's contents before; "-" for no file
		keeps   bool   // Ensure returns what was there
		readErr bool   // Read refuses what was there
	}{
		{name: "no file", before: "-", readErr: true},
		{name: "a token", before: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", keeps: true},
		{name: "empty", before: "", readErr: true},
		{name: "too short", before: "abc\n", readErr: true},
		{name: "not base64url", before: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+\n", readErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			if tt.before != "-" {
				if err := os.WriteFile(Path(home), []byte(tt.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, rerr := Read(home)
			if (rerr != nil) != tt.readErr || (rerr != nil && !errors.Is(rerr, ErrNoToken)) {
				t.Errorf("Read before: %v, want an error: %v", rerr, tt.readErr)
			}
			tok, err := Ensure(context.Background(), home)
			if err != nil {
				t.Fatal(err)
			}
			if raw, err := base64.RawURLEncoding.DecodeString(tok); err != nil || len(raw) != 32 {
				t.Errorf("token %d characters: not 32 bytes of base64url (%v)", len(tok), err)
			}
			if tt.keeps && tok+"\n" != tt.before {
				t.Error("Ensure replaced a good token")
			}
			if again, err := Read(home); err != nil || again != tok {
				t.Errorf("Read after Ensure: %v (same token: %v)", err, again == tok)
			}
			if runtime.GOOS != "windows" {
				if fi, err := os.Stat(Path(home)); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("mode %v (%v), want 0600", fi.Mode().Perm(), err)
				}
			}
			entries, _ := os.ReadDir(home)
			for _, e := range entries {
				if n := e.Name(); n != FileName && n != FileName+".lock" {
					t.Errorf("left %s in the home folder", n)
				}
			}
		})
	}
}

// Processes starting at once agree on one token.
func TestEnsureConcurrent(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	toks := make([]string, 16)
	var wg sync.WaitGroup
	for i := range toks {
		wg.Go(func() {
			tok, err := Ensure(context.Background(), home)
			if err != nil {
				t.Error(err)
			}
			toks[i] = tok
		})
	}
	wg.Wait()
	for _, tok := range toks {
		if tok != toks[0] {
			t.Fatal("concurrent Ensure calls made different tokens")
		}
	}
	if _, err := os.Stat(filepath.Join(home, FileName)); err != nil {
		t.Fatal(err)
	}
}
