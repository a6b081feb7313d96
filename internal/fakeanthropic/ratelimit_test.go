package fakeanthropic

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestUnifiedHeaders(t *testing.T) {
	t.Parallel()
	const p = "anthropic-ratelimit-unified-"
	reset := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	tests := []struct {
		name string
		b    Behavior
		want map[string]string // "" means the header must be absent; "*" any non-empty value
	}{
		{"normal", Behavior{}, map[string]string{
			p + "status": "allowed", p + "reset": "*", p + "representative-claim": "five_hour",
			p + "5h-status": "allowed", p + "5h-reset": "*", p + "5h-utilization": "0",
			p + "7d-status": "allowed", p + "7d-reset": "*", p + "7d-utilization": "0",
			p + "fallback-percentage": FallbackPercentage, p + "overage-status": "*",
			"retry-after": "", "anthropic-ratelimit-requests-limit": "",
		}},
		{"warning", Behavior{Utilization: 0.85, RateLimitReset: reset}, map[string]string{
			p + "status": "allowed_warning", p + "5h-status": "allowed_warning",
			p + "5h-utilization": "0.85", p + "reset": unix(reset), p + "5h-reset": unix(reset),
		}},
		{"rejected with reset", Behavior{Status: 429, RateLimitReset: reset, RetryAfter: "120", Utilization: 1}, map[string]string{
			p + "status": "rejected", p + "5h-status": "rejected", p + "reset": unix(reset),
			p + "5h-reset": unix(reset), p + "5h-utilization": "1", "retry-after": "120",
		}},
		{"rejected without reset", Behavior{Status: 429, RetryAfter: "30"}, map[string]string{
			p + "status": "rejected", p + "reset": "", p + "5h-reset": "", p + "7d-reset": "*",
			"retry-after": "30",
		}},
		{"rejected bare", Behavior{Status: 429}, map[string]string{
			p + "status": "rejected", p + "reset": "", "retry-after": "",
		}},
		{"seven day claim", Behavior{Status: 429, Claim: "seven_day", RateLimitReset: reset}, map[string]string{
			p + "representative-claim": "seven_day", p + "7d-status": "rejected", p + "5h-status": "allowed",
			p + "reset": unix(reset), p + "7d-reset": unix(reset),
		}},
		{"overloaded carries no quota", Behavior{Status: 529}, map[string]string{p + "status": "", "x-should-retry": "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestServer(t, Options{})
			access, _ := s.IssueTokens()
			s.SetBehavior(access, tt.b)
			resp, _ := do(t, t.Context(), "POST", s.URL+"/v1/messages", oauthAuth(access), msgBody)
			checkHeaders(t, resp.Header, tt.want)
		})
	}
}

func TestUnifiedResetIsFuture(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	access, _ := s.IssueTokens()
	resp, _ := do(t, t.Context(), "GET", s.URL+"/v1/models", oauthAuth(access), "")
	now := time.Now().Unix()
	for _, h := range []string{"reset", "5h-reset", "7d-reset"} {
		v, err := strconv.ParseInt(resp.Header.Get("anthropic-ratelimit-unified-"+h), 10, 64)
		if err != nil || v <= now || v > now+7*24*3600 {
			t.Errorf("%s = %q, want unix seconds in the coming week", h, resp.Header.Get("anthropic-ratelimit-unified-"+h))
		}
	}
}

func TestAPIKeyHeaders(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.AddAPIKey("k")
	const p = "anthropic-ratelimit-"
	resp, _ := do(t, t.Context(), "POST", s.URL+"/v1/messages", apiKeyAuth("k"), msgBody)
	checkHeaders(t, resp.Header, map[string]string{
		p + "requests-limit": strconv.Itoa(APIKeyRequestsLimit), p + "requests-remaining": "*",
		p + "requests-reset": "*", p + "tokens-limit": strconv.Itoa(APIKeyTokensLimit),
		p + "tokens-remaining": "*", p + "tokens-reset": "*", p + "input-tokens-limit": "*",
		p + "output-tokens-limit": strconv.Itoa(APIKeyOutputTokensLimit),
		p + "unified-status":      "", "retry-after": "",
	})
	first, _ := strconv.Atoi(resp.Header.Get(p + "requests-remaining"))
	resp, _ = do(t, t.Context(), "POST", s.URL+"/v1/messages", apiKeyAuth("k"), msgBody)
	second, _ := strconv.Atoi(resp.Header.Get(p + "requests-remaining"))
	if second != first-1 && second != APIKeyRequestsLimit-1 { // a new minute may have begun
		t.Errorf("requests-remaining went %d → %d", first, second)
	}
	if _, err := time.Parse(time.RFC3339, resp.Header.Get(p+"requests-reset")); err != nil {
		t.Errorf("requests-reset not RFC 3339: %v", err)
	}

	reset := time.Now().Add(time.Minute).UTC().Truncate(time.Second)
	s.SetBehavior("k", Behavior{Status: 429, RetryAfter: "17", RateLimitReset: reset})
	resp, _ = do(t, t.Context(), "POST", s.URL+"/v1/messages", apiKeyAuth("k"), msgBody)
	checkHeaders(t, resp.Header, map[string]string{
		"retry-after": "17", p + "requests-remaining": "0", p + "tokens-remaining": "0",
		p + "requests-reset": reset.Format(time.RFC3339),
	})
}

// checkHeaders checks want against h: "" means absent, "*" any non-empty value.
func checkHeaders(t *testing.T, h http.Header, want map[string]string) {
	t.Helper()
	for k, v := range want {
		got := h.Get(k)
		switch {
		case v == "*" && got == "":
			t.Errorf("header %s missing", k)
		case v != "*" && got != v:
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

func TestNextReset(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		now, want time.Time
	}{
		{start, start.Add(5 * time.Hour)},
		{start.Add(time.Hour), start.Add(5 * time.Hour)},
		{start.Add(5 * time.Hour), start.Add(10 * time.Hour)},
		{start.Add(-time.Hour), start.Add(5 * time.Hour)},
	}
	for _, tt := range tests {
		if got := nextReset(start, tt.now, 5*time.Hour); !got.Equal(tt.want) {
			t.Errorf("nextReset(now=%v) = %v, want %v", tt.now, got, tt.want)
		}
	}
}
