// Package atomicfile replaces files so that a reader, or a crash, only ever
// sees the old file or the new one, never a mix: write a temporary file in
// the same folder, fsync it, rename it over the target, fsync the folder.
//
// It is for files Claudeflare writes outside its own home folder (Claude
// Code's settings, the autostart entry) and for small records of its own,
// where the mode is the caller's choice.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// WriteFile replaces path with data. The new file gets mode perm (on Unix;
// Windows has no such modes). The folder must exist: creating it, and with
// which mode, is the caller's decision.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, os.Rename)
}

// write is WriteFile with the rename injectable, so tests can make the last
// step fail and check that the old file is left whole and no temporary file
// remains.
func write(path string, data []byte, perm os.FileMode, rename func(from, to string) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating a temporary file beside %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes the file 0600; Chmod sets exactly perm, whatever the umask.
	if err := tmp.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("setting the mode of %s: %w", tmp.Name(), err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp.Name(), err)
	}
	if err := rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes the rename durable where the OS can fsync a folder. It is
// best effort: the data itself is already synced, and some systems and file
// systems refuse to sync a folder.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
