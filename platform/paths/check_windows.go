//go:build windows

package paths

// CheckHome does nothing on Windows: a user's profile folder is private by
// its ACL, and Unix owner and mode bits do not exist there. Checking the
// ACLs (owner SID, no write access for other principals) is left for when
// Claudeflare ships for Windows.
func CheckHome(dir string) error { return nil }
