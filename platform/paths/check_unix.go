//go:build unix

package paths

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// CheckHome refuses a home folder that another user could change: dir
// itself and every entry in it (the files Claudeflare reads and writes:
// config.json, claudeflare.db and its -wal and -shm, credentials.json, the
// lock files) must be owned by the user running Claudeflare and not be
// writable by group or others. A symbolic link is judged by what it points
// to, which is what Claudeflare would read. The error is an
// *UnsafeHomeError naming each path and the chmod or chown that fixes it.
//
// Only the top level is checked: Claudeflare keeps nothing in
// sub-folders, so what a sub-folder holds never steers it (a sub-folder
// itself is checked like a file).
func CheckHome(dir string) error {
	uid := os.Getuid()
	var problems []Problem
	check := func(path string) error {
		info, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			if _, lerr := os.Lstat(path); errors.Is(lerr, fs.ErrNotExist) {
				return nil // gone since it was listed: another process's temporary file, renamed
			}
			problems = append(problems, Problem{Path: path, What: "is a symbolic link to nothing",
				Fix: "rm " + shellQuote(path)})
			return nil
		}
		if err != nil {
			return fmt.Errorf("checking the home folder: %w", err)
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		if int(st.Uid) != uid {
			problems = append(problems, Problem{Path: path,
				What: fmt.Sprintf("is owned by %s, not by %s, who runs Claudeflare", userName(int(st.Uid)), userName(uid)),
				Fix:  chownFix(uid, path)})
		}
		if mode := info.Mode().Perm(); mode&0o022 != 0 {
			who := "group and others"
			switch {
			case mode&0o022 == 0o020:
				who = "its group"
			case mode&0o022 == 0o002:
				who = "others"
			}
			problems = append(problems, Problem{Path: path,
				What: fmt.Sprintf("is writable by %s (mode %04o)", who, mode),
				Fix:  "chmod go-w " + shellQuote(path)})
		}
		return nil
	}
	if err := check(dir); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("checking the home folder: %w", err)
	}
	for _, e := range entries {
		if err := check(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return &UnsafeHomeError{Home: dir, Problems: problems}
	}
	return nil
}

// userName is "alice (uid 1000)", or "uid 1000" when the user is unknown.
func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		return fmt.Sprintf("%s (uid %d)", u.Username, uid)
	}
	return fmt.Sprintf("uid %d", uid)
}

// chownFix gives path to the user uid: root may chown, another user needs
// sudo to take a file back from someone else.
func chownFix(uid int, path string) string {
	owner := strconv.Itoa(uid)
	if u, err := user.LookupId(owner); err == nil && u.Username != "" {
		owner = u.Username
	}
	cmd := "chown " + owner + " " + shellQuote(path)
	if uid != 0 {
		cmd = "sudo " + cmd
	}
	return cmd
}
