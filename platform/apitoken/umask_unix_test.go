//go:build unix

package apitoken

import (
	"context"
	"os"
	"syscall"
	"testing"
)

// A loose umask still makes the token private.
func TestEnsureIgnoresUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	home := t.TempDir()
	if _, err := Ensure(context.Background(), home); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(Path(home)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v (%v) under umask 0, want 0600", fi.Mode().Perm(), err)
	}
}
