// Package browser opens a URL in the user's web browser through
// github.com/pkg/browser, without letting the browser write to our standard
// output or block the caller.
package browser

import (
	"fmt"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/pkg/browser"
)

// Grace is how long Open waits for the opener (xdg-open, open, rundll32) to
// fail before it assumes the browser is up and returns.
const Grace = 2 * time.Second

// Test hooks.
var (
	openURL = browser.OpenURL
	grace   = Grace
)

var redirectOnce sync.Once

// redirectOutput points pkg/browser's child output at the null device: our
// standard output may carry command results (`claudeflare client-key`), and
// a pipe would make pkg/browser wait for every process that inherits it, such
// as a browser started by xdg-open. An *os.File is handed to the child as it
// is, with no copying goroutine to wait for.
func redirectOutput() {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		browser.Stdout = os.Stderr
		browser.Stderr = os.Stderr
		return
	}
	browser.Stdout = null
	browser.Stderr = null
}

// Open opens rawURL, which must be an absolute http or https URL, in the
// user's browser. It returns the opener's error if it fails within Grace
// (for example no xdg-open, x-www-browser or www-browser on Linux), and nil
// once Grace has passed with the opener still running: some openers stay
// until the browser exits, and the caller must not wait for that. Callers
// should always show the URL too, so it can be copied by hand.
func Open(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("opening browser: %q is not an http(s) URL", rawURL)
	}
	redirectOnce.Do(redirectOutput)

	open, done := openURL, make(chan error, 1)
	go func() { done <- open(rawURL) }()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("opening browser: %w", err)
		}
		return nil
	case <-timer.C:
		return nil
	}
}
