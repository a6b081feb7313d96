package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/oauth"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
)

func TestTokenClientRefresh(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	tc := &oauth.TokenClient{URL: fake.TokenURL()}
	refresh := fake.IssueRefreshToken()

	tok, err := tc.Refresh(context.Background(), refresh)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == refresh || tok.ExpiresIn != 3600 {
		t.Errorf("refresh answer: rotated %v, expires_in %d", tok.RefreshToken != refresh, tok.ExpiresIn)
	}
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok)} {
		if strings.Contains(s, tok.AccessToken) {
			t.Errorf("Tokens printed in clear: %s", s)
		}
	}
	now := time.Now()
	if s := tok.Secret(now); !s.ExpiresAt.Equal(now.Add(time.Hour)) || s.RefreshToken != tok.RefreshToken {
		t.Error("Secret()")
	}

	// Rotation: the old refresh token is spent.
	_, err = tc.Refresh(context.Background(), refresh)
	var te *oauth.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_grant" || te.Status != 400 || !oauth.InvalidGrant(err) {
		t.Fatalf("reused refresh token: err = %v", err)
	}
	if strings.Contains(err.Error(), refresh) {
		t.Error("the error reveals the refresh token")
	}

	fake.FailRefresh(http.StatusServiceUnavailable, 1)
	_, err = tc.Refresh(context.Background(), tok.RefreshToken)
	if !errors.As(err, &te) || te.Status != 503 || oauth.InvalidGrant(err) {
		t.Errorf("5xx: err = %v", err)
	}
}

func TestTokenErrorsNeverEchoSecrets(t *testing.T) {
	t.Parallel()
	const secret = "sk-ant-ort01-SECRET"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"token %s is unknown"}`, secret)
	}))
	defer srv.Close()
	_, err := (&oauth.TokenClient{URL: srv.URL}).Refresh(context.Background(), secret)
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("err = %v", err)
	}

	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
	}))
	defer html.Close()
	_, err = (&oauth.TokenClient{URL: html.URL}).Refresh(context.Background(), secret)
	var te *oauth.TokenError
	if !errors.As(err, &te) || te.Status != 502 || te.Code != "" || strings.Contains(err.Error(), "html") {
		t.Errorf("non-JSON error: %v", err)
	}
}

func TestCreateAPIKey(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	access, _ := fake.IssueTokens()
	key, err := oauth.CreateAPIKey(context.Background(), nil, fake.URL+"/", access)
	if err != nil || !strings.HasPrefix(key, fakeanthropic.APIKeyPrefix) {
		t.Fatalf("CreateAPIKey = %v", err)
	}
	_, err = oauth.CreateAPIKey(context.Background(), nil, fake.URL, "sk-ant-oat01-unknown")
	if !errors.Is(err, oauth.ErrUpstream) || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "sk-ant-oat01-unknown") {
		t.Errorf("bad token: err = %v", err)
	}
}
