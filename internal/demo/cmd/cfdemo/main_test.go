package main

import (
	"slices"
	"testing"
)

// TestWithoutClaudeflare: the serve it starts reads the demo's home and
// fake only, never the caller's Claudeflare settings.
func TestWithoutClaudeflare(t *testing.T) {
	t.Parallel()
	got := withoutClaudeflare([]string{"HOME=/h", "CLAUDEFLARE_HOME=/x", "PORT=1", "CLAUDEFLARE_UPSTREAM_URL=u", "PATH=/bin", "PORTAL=y"})
	if want := []string{"HOME=/h", "PATH=/bin", "PORTAL=y"}; !slices.Equal(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}
