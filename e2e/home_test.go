package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

// TestUnsafeHomeIsRefused: a home folder another user could change
// (docs/DESIGN.md, "Files that several processes share") makes serve and the commands that open it exit 1, naming the path and
// the command that fixes it, and changing nothing; after the fix they work.
func TestUnsafeHomeIsRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		root   bool
		unsafe func(t *testing.T, home string) (path string)
		want   func(path string) string // the problem's line
		fix    func(t *testing.T, path string)
	}{
		{name: "group-writable home", unsafe: func(t *testing.T, home string) string {
			chmodE2E(t, home, 0o770)
			return home
		}, want: func(p string) string {
			return p + " is writable by its group (mode 0770); fix: chmod go-w '" + p + "'"
		}, fix: func(t *testing.T, p string) { chmodE2E(t, p, 0o700) }},
		{name: "world-writable config.json", unsafe: func(t *testing.T, home string) string {
			p := filepath.Join(home, "config.json")
			chmodE2E(t, p, 0o666)
			return p
		}, want: func(p string) string {
			return p + " is writable by group and others (mode 0666); fix: chmod go-w '" + p + "'"
		}, fix: func(t *testing.T, p string) { chmodE2E(t, p, 0o600) }},
		{name: "world-writable credentials.json", unsafe: func(t *testing.T, home string) string {
			p := filepath.Join(home, "credentials.json")
			chmodE2E(t, p, 0o606)
			return p
		}, want: func(p string) string {
			return p + " is writable by others (mode 0606); fix: chmod go-w '" + p + "'"
		}, fix: func(t *testing.T, p string) { chmodE2E(t, p, 0o600) }},
		{name: "world-writable database", unsafe: func(t *testing.T, home string) string {
			p := filepath.Join(home, "claudeflare.db")
			chmodE2E(t, p, 0o666)
			return p
		}, want: func(p string) string {
			return p + " is writable by group and others (mode 0666); fix: chmod go-w '" + p + "'"
		}, fix: func(t *testing.T, p string) { chmodE2E(t, p, 0o600) }},
		{name: "database owned by another user", root: true, unsafe: func(t *testing.T, home string) string {
			p := filepath.Join(home, "claudeflare.db")
			if err := os.Chown(p, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			return p
		}, want: func(p string) string {
			return p + " is owned by " // the owner's name depends on the system; the rest is checked below
		}, fix: func(t *testing.T, p string) {
			if err := os.Chown(p, 0, 0); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.root && os.Getuid() != 0 {
				t.Skip("needs root to give a file to another user (chown to uid 65534)")
			}
			sb := newSandbox(t, fakeanthropic.Options{})
			sb.addAccount(t, "work") // makes the database and credentials.json
			sb.setConfigKeys(t, map[string]any{"port": 1})
			path := tt.unsafe(t, sb.Home)
			configBefore := sb.readConfig(t)

			for _, args := range [][]string{{"serve"}, {"accounts", "list"}, {"config", "show"}, {"config", "set", "port", "2"}} {
				res := sb.CLI(t, "", args...)
				if res.Code != 1 || !strings.Contains(res.Stderr, "claudeflare: refusing to use the home folder "+sb.Home+
					": another user could change what Claudeflare does with your accounts") {
					t.Fatalf("claudeflare %s on an unsafe home: %s", strings.Join(args, " "), res)
				}
				if !strings.Contains(res.Stderr, "\n  "+tt.want(path)) {
					t.Errorf("claudeflare %s: the message does not name %s with its fix %q:\n%s", strings.Join(args, " "), path, tt.want(path), res.Stderr)
				}
				if tt.root && !strings.Contains(res.Stderr, "(uid 65534), not by root (uid 0), who runs Claudeflare; fix: chown root '"+path+"'") {
					t.Errorf("claudeflare %s: the message does not give the chown:\n%s", strings.Join(args, " "), res.Stderr)
				}
			}
			if string(sb.readConfig(t)) != string(configBefore) {
				t.Errorf("a refused command changed config.json")
			}

			tt.fix(t, path)
			if res := sb.CLI(t, "", "accounts", "list"); res.Code != 0 || !strings.Contains(res.Stdout, "work") {
				t.Errorf("after the fix: %s", res)
			}
		})
	}
}

// TestHomeStaysSafeUnderALooseUmask: with umask 002 (a common default for
// users with their own group), every file Claudeflare makes in its home
// (config.json and its lock, the database with its -wal and -shm,
// credentials.json and its lock) is still private, so the next start
// accepts the folder Claudeflare made itself.
func TestHomeStaysSafeUnderALooseUmask(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	command := func(stdin string, args ...string) *exec.Cmd {
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = fmt.Sprintf("%q", a)
		}
		cmd := exec.Command("sh", "-c", "umask 002 && exec "+fmt.Sprintf("%q", binary)+" "+strings.Join(quoted, " "))
		cmd.Env = sb.env()
		cmd.Stdin = strings.NewReader(stdin)
		return cmd
	}
	loose := func(stdin string, args ...string) {
		t.Helper()
		if out, err := command(stdin, args...).CombinedOutput(); err != nil {
			t.Fatalf("claudeflare %s under umask 002: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	port := testkit.FreePort(t)
	loose("", "config", "set", "port", fmt.Sprint(port))
	// A running serve holds the database open, with its -wal and -shm.
	serve := command("", "serve")
	var out strings.Builder
	serve.Stdout, serve.Stderr = &out, &out
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = serve.Process.Signal(syscall.SIGTERM)
		if err := serve.Wait(); err != nil {
			t.Errorf("serve under umask 002: %v\n%s", err, out.String())
		}
	}()
	testkit.Eventually(t, startTimeout, "serve answering /health", func() error {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health", port))
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
	loose(sb.Fake.IssueAPIKey()+"\n", "accounts", "add", "work", "--api-key-stdin")
	loose("", "config", "set", "retention_days", "7")
	loose("", "accounts", "pause", "work")
	entries, err := os.ReadDir(sb.Home)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, e.Name())
		if info.Mode().Perm()&0o022 != 0 {
			t.Errorf("%s is %v under umask 002: writable by group or others", e.Name(), info.Mode().Perm())
		}
	}
	for _, want := range []string{"config.json", "config.json.lock", "claudeflare.db", "claudeflare.db-wal", "claudeflare.db-shm",
		"credentials.json", "credentials.json.lock"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Errorf("the home holds %v, expected %s among them", names, want)
		}
	}
	loose("", "accounts", "list") // the check accepts what Claudeflare made
}

func chmodE2E(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
