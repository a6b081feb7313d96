package oauth_test

import (
	"strings"
	"testing"

	"github.com/claudeflare/claudeflare/core/oauth"
)

func lookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestEndpointsDefaults(t *testing.T) {
	t.Parallel()
	e, err := oauth.EndpointsFromEnv(lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	if e.Authorize(oauth.ModeClaude) != "https://claude.ai/oauth/authorize" ||
		e.Authorize(oauth.ModeConsole) != "https://console.anthropic.com/oauth/authorize" ||
		e.Token() != "https://platform.claude.com/v1/oauth/token" || e.Port() != 54545 {
		t.Errorf("defaults: %+v", e)
	}
	if e, _ := oauth.EndpointsFromEnv(nil); e.Port() != 54545 {
		t.Error("nil lookup")
	}
}

func TestEndpointsFromEnv(t *testing.T) {
	t.Parallel()
	e, err := oauth.EndpointsFromEnv(lookup(map[string]string{
		"CLAUDEFLARE_AUTHORIZE_URL":       "http://127.0.0.1:9/oauth/authorize",
		"CLAUDEFLARE_TOKEN_URL":           "http://127.0.0.1:9/v1/oauth/token",
		"CLAUDEFLARE_OAUTH_CALLBACK_PORT": "0",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if e.Authorize(oauth.ModeConsole) != "http://127.0.0.1:9/oauth/authorize" || e.Token() != "http://127.0.0.1:9/v1/oauth/token" || e.Port() != 0 {
		t.Errorf("overrides: %+v", e)
	}
	for name, env := range map[string]map[string]string{
		"CLAUDEFLARE_AUTHORIZE_URL":       {"CLAUDEFLARE_AUTHORIZE_URL": "claude.ai/oauth"},
		"CLAUDEFLARE_TOKEN_URL":           {"CLAUDEFLARE_TOKEN_URL": "ftp://x/y"},
		"CLAUDEFLARE_OAUTH_CALLBACK_PORT": {"CLAUDEFLARE_OAUTH_CALLBACK_PORT": "70000"},
	} {
		if _, err := oauth.EndpointsFromEnv(lookup(env)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v, want one naming the variable", name, err)
		}
	}
}

func TestParseMode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]oauth.Mode{"": oauth.ModeClaude, "claude": oauth.ModeClaude, "console": oauth.ModeConsole} {
		if got, err := oauth.ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := oauth.ParseMode("Claude"); err == nil {
		t.Error("ParseMode accepted Claude")
	}
}
