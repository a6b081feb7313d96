package paths

import (
	"fmt"
	"strings"
)

// UnsafeHomeError refuses a home folder that someone other than the user
// could change (docs/DESIGN.md, "Files that several processes share"): the folder, or a file in it, owned by another user
// or writable by group or others. Such a user could redirect the accounts'
// credentials (config.json's upstream_url), read or plant secrets, or swap
// the database. Problems lists every offending path with the command that
// fixes it, as OpenSSH does for ~/.ssh.
type UnsafeHomeError struct {
	Home     string
	Problems []Problem
}

// Problem is one unsafe path and its fix.
type Problem struct {
	Path string
	What string // "is writable by group and others (mode 0777)"
	Fix  string // "chmod go-w '/home/me/.claudeflare'"
}

// Error names every unsafe path and its fix.
func (e *UnsafeHomeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "refusing to use the home folder %s: another user could change what Claudeflare does with your accounts", e.Home)
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s %s; fix: %s", p.Path, p.What, p.Fix)
	}
	return b.String()
}

// shellQuote quotes p for a POSIX shell, so that a fix can be pasted as it
// is whatever the path holds.
func shellQuote(p string) string {
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}
