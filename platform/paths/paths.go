// Package paths locates Claudeflare's home folder and the files in it
// (docs/DESIGN.md, "Where things are: the map of packages"): config.json, the SQLite database, the opt-in credentials file,
// the single-instance lock and the record of Claude Code's wiring.
package paths

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// EnvHome is the environment variable that overrides the home folder.
const EnvHome = "CLAUDEFLARE_HOME"

// DefaultDirName is the home folder's name inside the user's home directory.
const DefaultDirName = ".claudeflare"

// Home returns Claudeflare's home folder: $CLAUDEFLARE_HOME when it is set and
// not empty, else ~/.claudeflare. lookup reads the environment (os.LookupEnv
// in production; nil means os.LookupEnv). A leading "~" in CLAUDEFLARE_HOME is
// expanded and a relative path is made absolute, so the result never depends
// on how a value was quoted or on a later change of working directory.
// Home only computes the path; EnsureHome creates it.
func Home(lookup func(string) (string, bool)) (string, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if v, ok := lookup(EnvHome); ok && strings.TrimSpace(v) != "" {
		dir, err := expandTilde(v, lookup)
		if err != nil {
			return "", fmt.Errorf("resolving %s=%q: %w", EnvHome, v, err)
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", fmt.Errorf("resolving %s=%q: %w", EnvHome, v, err)
		}
		return abs, nil
	}
	user, err := userHome(lookup)
	if err != nil {
		return "", err
	}
	return filepath.Join(user, DefaultDirName), nil
}

// EnsureHome creates dir (and any missing parents) with mode 0700. An existing
// directory is left as it is, whatever its mode; an existing file or other
// non-directory at that path is an error.
func EnsureHome(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case err == nil:
		if !info.IsDir() {
			return fmt.Errorf("home folder %s exists but is not a directory; remove it or set %s", dir, EnvHome)
		}
		return nil
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating home folder: %w", err)
		}
		return nil
	default:
		return fmt.Errorf("checking home folder: %w", err)
	}
}

// CredentialsPath is credentials.json in home: the opt-in file credential store.
func CredentialsPath(home string) string { return filepath.Join(home, "credentials.json") }

// LockPath is the single-instance lock file claudeflare.lock in home.
func LockPath(home string) string { return filepath.Join(home, "claudeflare.lock") }

// ClaudeCodePath is claude-code.json in home: what `claudeflare claude-code
// enable` changed in Claude Code's settings, so that disable can undo it.
func ClaudeCodePath(home string) string { return filepath.Join(home, "claude-code.json") }

// userHome finds the user's home directory through lookup, as os.UserHomeDir
// does through the real environment.
func userHome(lookup func(string) (string, bool)) (string, error) {
	name := "HOME"
	if runtime.GOOS == "windows" {
		name = "USERPROFILE"
	}
	if v, ok := lookup(name); ok && v != "" {
		return v, nil
	}
	return "", fmt.Errorf("finding the home folder: $%s is not set; set it or set %s", name, EnvHome)
}

// expandTilde replaces a leading "~" or "~/" (or "~\" on Windows) with the
// user's home directory. "~user" forms are left alone.
func expandTilde(p string, lookup func(string) (string, bool)) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") && !strings.HasPrefix(p, `~`+string(filepath.Separator)) {
		return p, nil
	}
	user, err := userHome(lookup)
	if err != nil {
		return "", err
	}
	return filepath.Join(user, p[1:]), nil
}
