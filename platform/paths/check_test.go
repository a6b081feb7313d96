//go:build unix

package paths

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A home folder or a file in it that another user could change is refused,
// naming the path and the exact command that fixes it; a good home passes.
func TestCheckHome(t *testing.T) {
	t.Parallel()
	const nobody = 65534
	tests := []struct {
		name  string
		setup func(t *testing.T, home string) // makes the home unsafe, or not
		root  bool                            // needs root (chown to another user)
		want  []string                        // each problem line, with "HOME" for the folder; none: accepted
	}{
		{name: "good home", setup: func(t *testing.T, home string) {
			for _, f := range []string{"config.json", "claudeflare.db", "claudeflare.db-wal", "credentials.json", "config.json.lock"} {
				write(t, filepath.Join(home, f), 0o600)
			}
			write(t, filepath.Join(home, "notes"), 0o644) // readable by others is not the point
		}},
		{name: "group-writable home", setup: func(t *testing.T, home string) { chmod(t, home, 0o770) },
			want: []string{"HOME is writable by its group (mode 0770); fix: chmod go-w 'HOME'"}},
		{name: "world-writable config.json", setup: func(t *testing.T, home string) { write(t, filepath.Join(home, "config.json"), 0o666) },
			want: []string{"HOME/config.json is writable by group and others (mode 0666); fix: chmod go-w 'HOME/config.json'"}},
		{name: "world-writable credentials.json", setup: func(t *testing.T, home string) {
			write(t, filepath.Join(home, "credentials.json"), 0o602)
		}, want: []string{"HOME/credentials.json is writable by others (mode 0602); fix: chmod go-w 'HOME/credentials.json'"}},
		{name: "world-writable database and wal", setup: func(t *testing.T, home string) {
			write(t, filepath.Join(home, "claudeflare.db"), 0o666)
			write(t, filepath.Join(home, "claudeflare.db-wal"), 0o646)
		}, want: []string{
			"HOME/claudeflare.db is writable by group and others (mode 0666); fix: chmod go-w 'HOME/claudeflare.db'",
			"HOME/claudeflare.db-wal is writable by others (mode 0646); fix: chmod go-w 'HOME/claudeflare.db-wal'",
		}},
		{name: "symbolic link to a world-writable file", setup: func(t *testing.T, home string) {
			target := filepath.Join(t.TempDir(), "elsewhere.json")
			write(t, target, 0o666)
			if err := os.Symlink(target, filepath.Join(home, "config.json")); err != nil {
				t.Fatal(err)
			}
		}, want: []string{"HOME/config.json is writable by group and others (mode 0666); fix: chmod go-w 'HOME/config.json'"}},
		{name: "dangling symbolic link", setup: func(t *testing.T, home string) {
			if err := os.Symlink(filepath.Join(home, "gone"), filepath.Join(home, "config.json")); err != nil {
				t.Fatal(err)
			}
		}, want: []string{"HOME/config.json is a symbolic link to nothing; fix: rm 'HOME/config.json'"}},
		{name: "file owned by another user", root: true, setup: func(t *testing.T, home string) {
			write(t, filepath.Join(home, "claudeflare.db"), 0o600)
			chown(t, filepath.Join(home, "claudeflare.db"), nobody)
		}, want: []string{"HOME/claudeflare.db is owned by NOBODY, not by root (uid 0), who runs Claudeflare; fix: chown root 'HOME/claudeflare.db'"}},
		{name: "home owned by another user", root: true, setup: func(t *testing.T, home string) { chown(t, home, nobody) },
			want: []string{"HOME is owned by NOBODY, not by root (uid 0), who runs Claudeflare; fix: chown root 'HOME'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.root && os.Getuid() != 0 {
				t.Skip("needs root to give a file to another user (chown to nobody, uid 65534)")
			}
			home := filepath.Join(t.TempDir(), "it's home") // a quote, for the shell quoting
			if err := os.Mkdir(home, 0o700); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, home)
			err := CheckHome(home)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("CheckHome refused a good home: %v", err)
				}
				return
			}
			var unsafe *UnsafeHomeError
			if !errors.As(err, &unsafe) {
				t.Fatalf("CheckHome = %v, want an *UnsafeHomeError", err)
			}
			quoted := strings.ReplaceAll(home, "'", `'\''`)
			var want []string
			for _, w := range tt.want {
				w = strings.ReplaceAll(w, "'HOME", "'"+quoted)        // inside the fix's quotes
				w = strings.ReplaceAll(w, "NOBODY", userName(nobody)) // "nobody (uid 65534)" on most systems
				want = append(want, "  "+strings.ReplaceAll(w, "HOME", home))
			}
			wantMsg := "refusing to use the home folder " + home + ": another user could change what Claudeflare does with your accounts\n" +
				strings.Join(want, "\n")
			if err.Error() != wantMsg {
				t.Errorf("error:\n%s\nwant:\n%s", err, wantMsg)
			}
		})
	}
}

func TestCheckHomeMissing(t *testing.T) {
	t.Parallel()
	if err := CheckHome(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "checking the home folder") {
		t.Fatalf("CheckHome on a missing folder = %v, want an error", err)
	}
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"/a b": "'/a b'", "it's": `'it'\''s'`, "$HOME": "'$HOME'"} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func write(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	chmod(t, path, mode)
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func chown(t *testing.T, path string, uid int) {
	t.Helper()
	if err := os.Lchown(path, uid, -1); err != nil {
		t.Fatal(err)
	}
}
