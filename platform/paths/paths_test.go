package paths

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func homeVar() string {
	if runtime.GOOS == "windows" {
		return "USERPROFILE"
	}
	return "HOME"
}

func TestHome(t *testing.T) {
	t.Parallel()
	user := filepath.Join(t.TempDir(), "alice")
	custom := filepath.Join(t.TempDir(), "custom")
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"default", map[string]string{homeVar(): user}, filepath.Join(user, ".claudeflare"), ""},
		{"override", map[string]string{homeVar(): user, EnvHome: custom}, custom, ""},
		{"empty override ignored", map[string]string{homeVar(): user, EnvHome: "  "}, filepath.Join(user, ".claudeflare"), ""},
		{"tilde", map[string]string{homeVar(): user, EnvHome: "~/cf"}, filepath.Join(user, "cf"), ""},
		{"relative made absolute", map[string]string{EnvHome: "rel"}, filepath.Join(cwd, "rel"), ""},
		{"no home", map[string]string{}, "", "is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Home(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Home() error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Home() error = %v", err)
			}
			if got != tt.want {
				t.Errorf("Home() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEnsureHomeCreates0700(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a", ".claudeflare")
	if err := EnsureHome(dir); err != nil {
		t.Fatalf("EnsureHome: %v", err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !info.IsDir() {
		t.Fatalf("%s is not a directory", dir)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o700 {
		t.Errorf("mode = %v, want 0700", info.Mode().Perm())
	}
}

func TestEnsureHomeLeavesExistingModeAlone(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("unix modes")
	}
	dir := filepath.Join(t.TempDir(), "existing")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := EnsureHome(dir); err != nil {
		t.Fatalf("EnsureHome: %v", err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o755 {
		t.Errorf("mode = %v, want 0755 left alone", info.Mode().Perm())
	}
}

func TestEnsureHomeNotADirectory(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := EnsureHome(file)
	if err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("EnsureHome(file) error = %v, want 'not a directory'", err)
	}
}

func TestFileNames(t *testing.T) {
	t.Parallel()
	home := filepath.Join("x", "home")
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"credentials", CredentialsPath(home), "credentials.json"},
		{"lock", LockPath(home), "claudeflare.lock"},
		{"claude code record", ClaudeCodePath(home), "claude-code.json"},
	}
	for _, tt := range tests {
		if tt.got != filepath.Join(home, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, filepath.Join(home, tt.want))
		}
	}
}
