package proxy

import (
	"net/http"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/creds"
)

func TestOutboundHeader(t *testing.T) {
	t.Parallel()
	in := http.Header{
		"Authorization":     {"Bearer client"},
		"X-Api-Key":         {"client-key"},
		"Connection":        {"keep-alive, X-Private-Hop"},
		"X-Private-Hop":     {"1"},
		"Keep-Alive":        {"timeout=5"},
		"Te":                {"trailers"},
		"Accept-Encoding":   {"gzip, br"},
		"Anthropic-Version": {"2023-06-01"},
		"User-Agent":        {"claude-cli/2.1.328 (external, sdk-cli)"},
	}
	h := outboundHeader(in, false)
	for _, gone := range []string{"Authorization", "X-Api-Key", "Connection", "X-Private-Hop", "Keep-Alive", "Te", "Accept-Encoding"} {
		if h.Get(gone) != "" {
			t.Errorf("%s forwarded: %q", gone, h.Get(gone))
		}
	}
	if h.Get("Anthropic-Version") != "2023-06-01" || h.Get("User-Agent") != "claude-cli/2.1.328 (external, sdk-cli)" {
		t.Errorf("end-to-end headers lost: %v", h)
	}
	if in.Get("Authorization") == "" {
		t.Error("the client's header map was modified")
	}
	if kept := outboundHeader(in, true); kept.Get("X-Api-Key") != "client-key" {
		t.Error("pass-through dropped the client's credential")
	}
	// Changing the upstream request's header never writes into the client's.
	in["Anthropic-Beta"] = make([]string, 1, 4)
	in["Anthropic-Beta"][0] = "a,b"
	h = outboundHeader(in, false)
	applyCredential(h, account.KindOAuth, creds.Secret{AccessToken: "tok"})
	h.Add("Anthropic-Version", "extra")
	if got := in.Values("Anthropic-Beta"); len(got) != 1 || got[0] != "a,b" || len(in.Values("Anthropic-Version")) != 1 {
		t.Errorf("the client's header changed: %v", in)
	}
	if got := in["Anthropic-Beta"][:2][1]; got != "" {
		t.Errorf("an append wrote %q into the spare room of the client's slice", got)
	}
	// A key that is not canonical in the map is still recognised.
	if h := outboundHeader(http.Header{"x-api-key": {"k"}, "connection": {"close"}}, false); len(h) != 0 {
		t.Errorf("non-canonical credential or hop headers forwarded: %v", h)
	}
}

func TestApplyCredential(t *testing.T) {
	t.Parallel()
	h := http.Header{"Anthropic-Beta": {"a,b", "c"}}
	applyCredential(h, account.KindOAuth, creds.Secret{AccessToken: "tok"})
	if h.Get("Authorization") != "Bearer tok" || h.Get("Anthropic-Beta") != "a,b,c,oauth-2025-04-20" || len(h.Values("Anthropic-Beta")) != 1 {
		t.Errorf("oauth: %v", h)
	}
	h = http.Header{}
	applyCredential(h, account.KindAPIKey, creds.Secret{APIKey: "key"})
	if h.Get("X-Api-Key") != "key" || h.Get("Anthropic-Beta") != "" {
		t.Errorf("api key: %v", h)
	}
}

func TestRateLimitedUntil(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	in := func(d time.Duration) time.Time { return now.Add(d) }
	tests := []struct {
		name string
		h    http.Header
		want time.Time
	}{
		{"unified reset", http.Header{"Anthropic-Ratelimit-Unified-Reset": {"1795651200"}, "Retry-After": {"5"}}, time.Unix(1795651200, 0)},
		{"retry-after seconds", http.Header{"Retry-After": {"30"}}, in(30 * time.Second)},
		{"retry-after fraction", http.Header{"Retry-After": {"1.5"}}, in(1500 * time.Millisecond)},
		{"retry-after date", http.Header{"Retry-After": {"Wed, 25 Nov 2026 12:10:00 GMT"}}, in(10 * time.Minute)},
		{"reset in the past falls through", http.Header{"Anthropic-Ratelimit-Unified-Reset": {"1000"}, "Retry-After": {"7"}}, in(7 * time.Second)},
		{"garbage falls back to 60 s", http.Header{"Anthropic-Ratelimit-Unified-Reset": {"soon"}, "Retry-After": {"later"}}, in(time.Minute)},
		{"absurd future capped by fallback", http.Header{"Retry-After": {"99999999"}}, in(time.Minute)},
		{"nothing", http.Header{}, in(time.Minute)},
		{"negative", http.Header{"Retry-After": {"-5"}}, in(time.Minute)},
	}
	for _, tt := range tests {
		if got := rateLimitedUntil(tt.h, now); !got.Equal(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func FuzzRateLimitedUntil(f *testing.F) {
	f.Add("1795651200", "30")
	f.Add("", "Wed, 25 Nov 2026 12:10:00 GMT")
	f.Add("-1", "NaN")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, reset, retry string) {
		h := http.Header{}
		h.Set("Anthropic-Ratelimit-Unified-Reset", reset)
		h.Set("Retry-After", retry)
		got := rateLimitedUntil(h, now)
		if !got.After(now) || got.Sub(now) > maxRateLimit {
			t.Fatalf("reset %q retry %q gave %v: must be in (now, now+%v]", reset, retry, got, maxRateLimit)
		}
	})
}

func TestCopyResponseHeader(t *testing.T) {
	t.Parallel()
	src := http.Header{
		"Content-Type":                        {"text/event-stream"},
		"Anthropic-Ratelimit-Unified-Status":  {"allowed"},
		"Set-Cookie":                          {"a=1", "b=2"},
		"Connection":                          {"keep-alive, X-Upstream-Hop"},
		"X-Upstream-Hop":                      {"1"},
		"Transfer-Encoding":                   {"chunked"},
		"Anthropic-Ratelimit-Unified-5h-Used": {"0.5"},
		"Access-Control-Allow-Origin":         {"*"},
		"Access-Control-Expose-Headers":       {"request-id"},
	}
	dst := http.Header{"X-Before": {"kept"}}
	copyResponseHeader(dst, src)
	for _, gone := range []string{"Connection", "X-Upstream-Hop", "Transfer-Encoding", "Access-Control-Allow-Origin", "Access-Control-Expose-Headers"} {
		if _, ok := dst[gone]; ok {
			t.Errorf("%s reached the client", gone)
		}
	}
	if got := dst.Values("Set-Cookie"); len(got) != 2 || dst.Get("Content-Type") != "text/event-stream" || dst.Get("X-Before") != "kept" {
		t.Errorf("end-to-end headers not copied: %v", dst)
	}
	// Changing the client's header never writes into the upstream's.
	dst.Add("Set-Cookie", "c=3")
	dst.Set("Content-Type", "application/json")
	if got := src.Values("Set-Cookie"); len(got) != 2 || src.Get("Content-Type") != "text/event-stream" || src.Get("Connection") == "" {
		t.Errorf("the upstream's header was changed: %v", src)
	}
	if got := dst.Values("Set-Cookie"); len(got) != 3 {
		t.Errorf("Add to the copy: %v", got)
	}
}
