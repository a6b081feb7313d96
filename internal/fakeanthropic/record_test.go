package fakeanthropic

import (
	"testing"
)

func TestRequestsRecorded(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.AddAPIKey("k")
	access, _ := s.IssueTokens()
	s.SetBehavior(access, Behavior{Status: 529})
	do(t, t.Context(), "POST", s.URL+"/v1/messages?beta=true", apiKeyAuth("k"), msgBody)
	do(t, t.Context(), "POST", s.URL+"/v1/messages", oauthAuth(access), msgBody)
	do(t, t.Context(), "GET", s.URL+"/v1/models", auth{}, "")

	reqs := s.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests recorded, want 3", len(reqs))
	}
	want := []struct {
		method, path, query, cred string
		status                    int
	}{
		{"POST", "/v1/messages", "beta=true", "k", 200},
		{"POST", "/v1/messages", "", access, 529},
		{"GET", "/v1/models", "", "", 401},
	}
	for i, w := range want {
		r := reqs[i]
		if r.Method != w.method || r.Path != w.path || r.RawQuery != w.query || r.Credential != w.cred || r.Status != w.status {
			t.Errorf("request %d = %s %s?%s cred %q status %d, want %+v", i, r.Method, r.Path, r.RawQuery, r.Credential, r.Status, w)
		}
		if r.At.IsZero() || r.Header.Get("anthropic-version") != "2023-06-01" {
			t.Errorf("request %d: At %v, headers %v", i, r.At, r.Header)
		}
	}
	if string(reqs[0].Body) != msgBody || !reqs[0].At.Before(reqs[1].At) {
		t.Errorf("body %q or order wrong", reqs[0].Body)
	}
	if reqs[1].Header.Get("anthropic-beta") == "" {
		t.Error("headers not recorded")
	}

	reqs[0].Body[0] = 'X' // a copy: the server's record is untouched
	if s.Requests()[0].Body[0] != '{' {
		t.Error("Requests returned the server's own slices")
	}
	s.ResetRequests()
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d requests after ResetRequests", n)
	}
}

func TestMaxRecorded(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{MaxRecorded: 2})
	for _, q := range []string{"a=1", "a=2", "a=3"} {
		do(t, t.Context(), "GET", s.URL+"/v1/models?"+q, auth{}, "")
	}
	reqs := s.Requests()
	if len(reqs) != 2 || reqs[0].RawQuery != "a=2" || reqs[1].RawQuery != "a=3" {
		t.Errorf("kept %+v, want the latest two", reqs)
	}
}
