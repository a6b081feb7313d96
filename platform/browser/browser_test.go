package browser

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pkg/browser"
)

// fakeOpener puts an xdg-open script first on PATH that runs body; $1 is the URL.
func fakeOpener(t *testing.T, body string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("pkg/browser runs xdg-open only on Linux")
	}
	bin := t.TempDir()
	script := "#!/bin/sh\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// longGrace makes Open wait for the opener however slow the machine is.
func longGrace(t *testing.T) {
	old := grace
	grace = time.Minute
	t.Cleanup(func() { grace = old })
}

func TestOpenReachesXdgOpen(t *testing.T) {
	out := filepath.Join(t.TempDir(), "url")
	fakeOpener(t, `printf %s "$1" > '`+out+`'; echo "noise on stdout"`)
	longGrace(t)

	const u = "https://claude.ai/oauth/authorize?code=true&state=abc#x"
	if err := Open(u); err != nil {
		t.Fatalf("Open: %v", err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("xdg-open was not run: %v", err)
	}
	if string(got) != u {
		t.Errorf("xdg-open got %q, want %q", got, u)
	}
	if browser.Stdout == os.Stdout || browser.Stderr == os.Stdout {
		t.Error("pkg/browser still writes to our standard output")
	}
}

func TestOpenReportsOpenerFailure(t *testing.T) {
	fakeOpener(t, "exit 3")
	longGrace(t)
	err := Open("http://localhost:8080/")
	if err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("Open: err = %v, want the opener's exit status", err)
	}
}

func TestOpenWithNoOpener(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux openers")
	}
	t.Setenv("PATH", t.TempDir())
	longGrace(t)
	err := Open("http://localhost:8080/")
	if err == nil || !strings.Contains(err.Error(), "xdg-open") {
		t.Fatalf("Open: err = %v, want it to name the missing openers", err)
	}
}

// An opener that never returns (one that waits for the browser to exit)
// does not block the caller beyond Grace.
func TestOpenDoesNotWaitForBlockingBrowser(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		old := openURL
		openURL = func(string) error { <-release; return errors.New("browser closed") }
		defer func() { openURL = old }()

		start := time.Now()
		if err := Open("https://example.com/"); err != nil {
			t.Fatalf("Open: %v", err)
		}
		if waited := time.Since(start); waited != Grace {
			t.Errorf("Open returned after %v, want %v", waited, Grace)
		}
		close(release)
		synctest.Wait()
	})
}

func TestOpenRejectsNonHTTP(t *testing.T) {
	old := openURL
	openURL = func(string) error { t.Error("opener called"); return nil }
	defer func() { openURL = old }()
	for _, u := range []string{"", "file:///etc/passwd", "javascript:alert(1)", "C:\\evil.exe", "https://", "localhost:8080"} {
		if err := Open(u); err == nil {
			t.Errorf("Open(%q): want an error", u)
		}
	}
}
