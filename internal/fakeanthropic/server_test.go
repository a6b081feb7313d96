package fakeanthropic

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestStartOnBusyAddress(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	addr := strings.TrimPrefix(s.URL, "http://")
	if _, err := Start(Options{Addr: addr}); err == nil {
		t.Fatal("Start on a busy address succeeded")
	}
}

func TestURLs(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") || strings.HasSuffix(s.URL, "/") {
		t.Errorf("URL = %q", s.URL)
	}
	if s.AuthorizeURL() != s.URL+"/oauth/authorize" || s.TokenURL() != s.URL+"/v1/oauth/token" {
		t.Errorf("AuthorizeURL %q TokenURL %q", s.AuthorizeURL(), s.TokenURL())
	}
}

// TestConcurrentLoad hammers every part of the server at once; run it with -race.
func TestConcurrentLoad(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{StreamChunks: 20, EventDelay: time.Millisecond})
	keys := []string{s.IssueAPIKey(), s.IssueAPIKey()}
	access, _ := s.IssueTokens()
	s.SetBehavior(keys[1], Behavior{Status: 429, Times: 10})
	const workers = 64
	var wg sync.WaitGroup
	var failures atomic.Int32
	for i := range workers {
		wg.Go(func() {
			var a auth
			switch i % 3 {
			case 0:
				a = apiKeyAuth(keys[0])
			case 1:
				a = apiKeyAuth(keys[1])
			default:
				a = oauthAuth(access)
			}
			body := msgBody
			if i%2 == 0 {
				body = streamBody
			}
			resp, data, err := fetch(t.Context(), "POST", s.URL+"/v1/messages?beta=true", a, body)
			switch {
			case err != nil:
				t.Error(err)
			case resp.StatusCode == http.StatusTooManyRequests && i%3 == 1:
			case resp.StatusCode != 200:
				failures.Add(1)
			case i%2 == 0:
				if events, err := readSSE(strings.NewReader(string(data))); err != nil || len(events) != len(streamEventNames(20)) {
					failures.Add(1)
				}
			}
			if i%8 == 0 {
				if status, _, _, err := tokenPost(s, refreshFields(s.IssueRefreshToken())); err != nil || status != 200 {
					t.Errorf("refresh under load: %d %v", status, err)
				}
				s.Requests()
			}
		})
	}
	wg.Wait()
	if n := failures.Load(); n != 0 {
		t.Errorf("%d of %d requests failed", n, workers)
	}
	if got := len(s.Requests()); got != workers+workers/8 {
		t.Errorf("%d requests recorded, want %d", got, workers+workers/8)
	}
	limited := 0
	for _, r := range s.Requests() {
		if r.Status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 10 {
		t.Errorf("%d rate-limited answers, want exactly Times = 10", limited)
	}
}
