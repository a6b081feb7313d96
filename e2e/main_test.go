// Package e2e tests Claudeflare end to end: a real `claudeflare serve` process
// (built once, headless) in front of the in-repo fake of Anthropic's API
// (internal/fakeanthropic), driven by the official Go SDK, plain HTTP, the
// claudeflare command line and, when it is installed, the real Claude Code CLI.
//
// Every test gets its own home folder, fake upstream and serve process, so the
// tests run in parallel.
//
// Run them with
//
//	go test -race ./e2e/ -v
//
// Set CLAUDEFLARE_BIN to a prebuilt binary to skip the build. The Claude Code
// test needs `npm ci` at the repo root first; without node_modules/.bin/claude
// it is skipped.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var (
	// binary is the claudeflare executable under test.
	binary string
	// repoRoot is the module's root folder (the parent of e2e/).
	repoRoot string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	repoRoot = root

	if bin := os.Getenv("CLAUDEFLARE_BIN"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e: CLAUDEFLARE_BIN:", err)
			return 1
		}
		if _, err := os.Stat(abs); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: CLAUDEFLARE_BIN:", err)
			return 1
		}
		binary = abs
		return m.Run()
	}

	dir, err := os.MkdirTemp("", "claudeflare-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "claudeflare")
	build := exec.Command("go", "build", "-tags", "nogui", "-o", binary, ".")
	build.Dir = repoRoot
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building claudeflare (CGO_ENABLED=0 go build -tags nogui): %v\n%s", err, out)
		return 1
	}
	return m.Run()
}
