package oauth_test

import (
	"net/url"
	"testing"

	"github.com/claudeflare/claudeflare/core/oauth"
)

func TestAuthorizeURL(t *testing.T) {
	t.Parallel()
	got, err := oauth.AuthorizeURL("https://claude.ai/oauth/authorize?keep=1", "http://localhost:54545/callback", "CH", "ST")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "https" || u.Host != "claude.ai" || u.Path != "/oauth/authorize" {
		t.Errorf("URL = %s", got)
	}
	want := map[string]string{
		"code": "true", "client_id": oauth.ClientID, "response_type": "code",
		"redirect_uri": "http://localhost:54545/callback", "scope": "org:create_api_key user:profile user:inference",
		"code_challenge": "CH", "code_challenge_method": "S256", "state": "ST", "keep": "1",
	}
	q := u.Query()
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(q) != len(want) {
		t.Errorf("query has %d keys, want %d: %v", len(q), len(want), q)
	}
}
