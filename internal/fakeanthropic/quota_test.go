package fakeanthropic

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/testkit"
)

// near reports whether v is a whole number of seconds within 2 of want.
func near(v string, want int64) bool {
	n, err := strconv.ParseInt(v, 10, 64)
	return err == nil && n >= want-2 && n <= want+2
}

// capture is an entry of testdata/anthropic-answers.json: an answer as
// Anthropic sends it, from peers' published captures.
type capture struct {
	Name    string                     `json:"name"`
	Status  int                        `json:"status"`
	Headers map[string]json.RawMessage `json:"headers"`
	Body    struct {
		Error struct{ Type, Message string } `json:"error"`
	} `json:"body"`
}

func loadCaptures(t *testing.T) map[string]capture {
	t.Helper()
	data, err := os.ReadFile("testdata/anthropic-answers.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Answers []capture }
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	out := map[string]capture{}
	for _, c := range f.Answers {
		out[c.Name] = c
	}
	return out
}

// ratelimitNames are the lower-case names of h's rate-limit headers, sorted.
func ratelimitNames(h http.Header) []string {
	var out []string
	for k := range h {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "anthropic-ratelimit-") || lk == "retry-after" ||
			lk == "x-should-retry" || lk == "x-robots-tag" {
			out = append(out, lk)
		}
	}
	slices.Sort(out)
	return out
}

// TestAnswersHaveTheCapturedShape: for each captured answer, the fake's
// answer in the same situation carries the same rate-limit header names,
// status and error type. A fake that only said what Claudeflare expects
// would prove nothing.
func TestAnswersHaveTheCapturedShape(t *testing.T) {
	t.Parallel()
	caps := loadCaptures(t)
	reset := time.Now().Add(2 * time.Hour)
	tests := []struct {
		capture string
		setup   func(s *Server, access string)
	}{
		{"spent five-hour window", func(s *Server, access string) {
			s.SetQuota(access, Quota{FiveHour: 1.01, SevenDay: 0.69, FiveHourReset: reset})
		}},
		{"spent weekly window", func(s *Server, access string) {
			s.SetQuota(access, Quota{FiveHour: 0.4, SevenDay: 1.0, SevenDayReset: reset.Add(48 * time.Hour)})
		}},
		{"request-scoped 429", func(s *Server, access string) {
			s.SetBehavior(access, Behavior{Status: 429, Refusal: RefusalRequest})
		}},
		{"entitlement 429", func(s *Server, access string) {
			s.SetBehavior(access, Behavior{Status: 429, Refusal: RefusalEntitlement})
			s.SetQuota(access, Quota{FiveHour: 0.22, SevenDay: 0.31})
		}},
		{"success near a limit", func(s *Server, access string) {
			s.SetQuota(access, Quota{FiveHour: 0.86, SevenDay: 0.41})
		}},
		{"overloaded", func(s *Server, access string) { s.SetBehavior(access, Behavior{Status: 529}) }},
	}
	for _, tt := range tests {
		t.Run(tt.capture, func(t *testing.T) {
			t.Parallel()
			c, ok := caps[tt.capture]
			if !ok {
				t.Fatalf("no capture %q", tt.capture)
			}
			s := newTestServer(t, Options{})
			access, _ := s.IssueTokens()
			tt.setup(s, access)
			resp, body := do(t, t.Context(), "POST", s.URL+"/v1/messages", oauthAuth(access), msgBody)
			if resp.StatusCode != c.Status {
				t.Fatalf("status %d, captured %d: %s", resp.StatusCode, c.Status, body)
			}
			want := http.Header{}
			for k := range c.Headers {
				want.Set(k, "x")
			}
			got, wantNames := ratelimitNames(resp.Header), ratelimitNames(want)
			// The fake always names the windows' resets, which the entitlement
			// capture leaves out, and the spent window's surpassed threshold,
			// which the weekly one (modelled on the five-hour capture) does.
			got = slices.DeleteFunc(got, func(n string) bool {
				return !slices.Contains(wantNames, n) && (strings.HasSuffix(n, "-reset") && tt.capture == "entitlement 429" ||
					strings.HasSuffix(n, "-surpassed-threshold") && tt.capture == "spent weekly window")
			})
			if !slices.Equal(got, wantNames) {
				t.Errorf("rate-limit headers\n got %v\nwant %v", got, wantNames)
			}
			if c.Status != 200 {
				var e struct {
					Error struct{ Type, Message string }
				}
				if err := json.Unmarshal(body, &e); err != nil || e.Error.Type != c.Body.Error.Type {
					t.Errorf("error body %s, want type %s", body, c.Body.Error.Type)
				}
				if tt.capture != "overloaded" && e.Error.Message != c.Body.Error.Message {
					t.Errorf("message %q, captured %q", e.Error.Message, c.Body.Error.Message)
				}
			}
			for k, raw := range c.Headers {
				var v string
				if json.Unmarshal(raw, &v) == nil && (strings.HasSuffix(k, "-status") || k == "x-should-retry" ||
					strings.HasSuffix(k, "representative-claim")) && resp.Header.Get(k) != v {
					t.Errorf("%s = %q, captured %q", k, resp.Header.Get(k), v)
				}
			}
		})
	}
}

// TestQuotaSpentUntilReset: a login whose window is used up is answered 429
// until the window resets, with retry-after telling the seconds left; then
// it is served again from 0 %. The quota follows the login across a refresh.
func TestQuotaSpentUntilReset(t *testing.T) {
	t.Parallel()
	var clk testkit.Clock
	s := newTestServer(t, Options{Now: clk.Now, AccessTokenTTL: 24 * time.Hour})
	access, refresh := s.IssueTokens()
	reset := clk.Now().Add(90 * time.Minute).Truncate(time.Second)
	s.SetQuota(access, Quota{FiveHour: 0.9, SevenDay: 0.5, FiveHourReset: reset, PerRequest: 0.06})

	resp, _ := do(t, t.Context(), "POST", s.URL+"/v1/messages", oauthAuth(access), msgBody)
	if resp.StatusCode != 200 || resp.Header.Get("anthropic-ratelimit-unified-5h-utilization") != "0.96" ||
		resp.Header.Get("anthropic-ratelimit-unified-5h-status") != "allowed_warning" {
		t.Fatalf("first: %d, 5h %s %s", resp.StatusCode, resp.Header.Get("anthropic-ratelimit-unified-5h-utilization"),
			resp.Header.Get("anthropic-ratelimit-unified-5h-status"))
	}
	do(t, t.Context(), "POST", s.URL+"/v1/messages", oauthAuth(access), msgBody) // 1.02: spent
	// A refreshed token belongs to the same login: still spent.
	tr, trBody := do(t, t.Context(), "POST", s.TokenURL(), auth{},
		`{"grant_type":"refresh_token","client_id":"`+ClientID+`","refresh_token":"`+refresh+`"}`)
	var tokens TokenResponse
	if tr.StatusCode != 200 || json.Unmarshal(trBody, &tokens) != nil || tokens.AccessToken == access {
		t.Fatalf("refresh: %d %s", tr.StatusCode, trBody)
	}
	access = tokens.AccessToken
	clk.Advance(30 * time.Minute)
	resp, body := do(t, t.Context(), "POST", s.URL+"/v1/messages", oauthAuth(access), msgBody)
	if resp.StatusCode != 429 || resp.Header.Get("anthropic-ratelimit-unified-status") != "rejected" ||
		resp.Header.Get("anthropic-ratelimit-unified-reset") != strconv.FormatInt(reset.Unix(), 10) ||
		!near(resp.Header.Get("retry-after"), 3600) || resp.Header.Get("anthropic-ratelimit-unified-representative-claim") != "five_hour" {
		t.Fatalf("spent: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	clk.Advance(time.Hour)
	resp, _ = do(t, t.Context(), "POST", s.URL+"/v1/messages", oauthAuth(access), msgBody)
	if resp.StatusCode != 200 || resp.Header.Get("anthropic-ratelimit-unified-5h-utilization") != "0.06" ||
		resp.Header.Get("anthropic-ratelimit-unified-5h-reset") != strconv.FormatInt(reset.Add(5*time.Hour).Unix(), 10) {
		t.Errorf("after the reset: %d, 5h %s reset %s", resp.StatusCode,
			resp.Header.Get("anthropic-ratelimit-unified-5h-utilization"), resp.Header.Get("anthropic-ratelimit-unified-5h-reset"))
	}
	if q, ok := s.QuotaOf(access); !ok || q.FiveHour != 0.06 || q.SevenDay < 0.61 {
		t.Errorf("QuotaOf = %+v, %v", q, ok)
	}
}

// TestQuotaExtraWindow: a window of its own is reported under its name.
func TestQuotaExtraWindow(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	access, _ := s.IssueTokens()
	reset := time.Now().Add(70 * time.Hour).Truncate(time.Second)
	s.SetQuota(access, Quota{FiveHour: 0.1, Extra: []QuotaWindow{{Name: "7d_oi", Utilization: 0.63, Reset: reset}}})
	resp, _ := do(t, t.Context(), "GET", s.URL+"/v1/models", oauthAuth(access), "")
	checkHeaders(t, resp.Header, map[string]string{
		"anthropic-ratelimit-unified-7d_oi-utilization": "0.63",
		"anthropic-ratelimit-unified-7d_oi-reset":       unix(reset),
		"anthropic-ratelimit-unified-7d_oi-status":      "allowed",
	})
	if s.SetQuota("not-a-token", Quota{}) {
		t.Error("SetQuota accepted an unknown token")
	}
}

// TestGzipWhenAccepted: JSON answers are compressed when the client accepts
// gzip, as Anthropic's are; streams never are.
func TestGzipWhenAccepted(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.AddAPIKey("k")
	for _, tt := range []struct {
		accept, body string
		gzipped      bool
	}{
		{"gzip, deflate, br", msgBody, true},
		{"", msgBody, false},
		{"br", msgBody, false},
		{"gzip;q=0", msgBody, false},
		{"gzip", streamBody, false},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL+"/v1/messages", strings.NewReader(tt.body))
		req.Header.Set("x-api-key", "k")
		req.Header.Set("content-type", "application/json")
		if tt.accept != "" {
			req.Header.Set("Accept-Encoding", tt.accept)
		}
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = resp.Body
		if got := resp.Header.Get("Content-Encoding") == "gzip"; got != tt.gzipped {
			t.Errorf("accept %q: gzipped %v, want %v", tt.accept, got, tt.gzipped)
		} else if got {
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			r = zr
		}
		data, err := io.ReadAll(r)
		resp.Body.Close()
		if err != nil || !strings.Contains(string(data), "output_tokens") {
			t.Errorf("accept %q: body %q, %v", tt.accept, data, err)
		}
	}
}

func TestNoCompressionOption(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{NoCompression: true})
	s.AddAPIKey("k")
	req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL+"/v1/messages", strings.NewReader(msgBody))
	req.Header.Set("x-api-key", "k")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("compressed with NoCompression: %v", resp.Header)
	}
}

// TestLoginQuota: with Options.LoginQuota every login starts with that
// quota and is charged on its own; SetQuota still sets one login's.
func TestLoginQuota(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{LoginQuota: &Quota{FiveHour: 0.5, SevenDay: 0.2, PerRequest: 0.1}})
	first, _ := s.IssueTokens()
	second, _ := s.IssueTokens()
	util := func(tok string) string {
		resp, _ := do(t, t.Context(), "POST", s.URL+"/v1/messages", oauthAuth(tok), msgBody)
		return resp.Header.Get("anthropic-ratelimit-unified-5h-utilization")
	}
	if got := util(first); got != "0.6" {
		t.Errorf("first login's first answer: 5h %q, want 0.6", got)
	}
	if got := util(first); got != "0.7" {
		t.Errorf("first login's second answer: 5h %q, want 0.7", got)
	}
	if got := util(second); got != "0.6" {
		t.Errorf("second login: 5h %q, want 0.6 (its own quota)", got)
	}
	s.SetQuota(second, Quota{FiveHour: 0.05})
	if got := util(second); got != "0.05" {
		t.Errorf("after SetQuota: 5h %q, want 0.05", got)
	}
}
