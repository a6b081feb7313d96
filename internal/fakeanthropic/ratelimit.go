package fakeanthropic

import (
	"net/http"
	"strconv"
	"time"
)

// Rate-limit figures the fake reports.
const (
	// WarningUtilization is the utilization from which a window's status is allowed_warning.
	WarningUtilization = 0.8
	// FallbackPercentage is sent as anthropic-ratelimit-unified-fallback-percentage.
	FallbackPercentage = "0.5"
	// APIKeyRequestsLimit is sent as anthropic-ratelimit-requests-limit; remaining counts
	// down per key and per minute.
	APIKeyRequestsLimit = 4000
	// APIKeyTokensLimit is sent as anthropic-ratelimit-tokens-limit (and input-tokens-limit).
	APIKeyTokensLimit = 400000
	// APIKeyOutputTokensLimit is sent as anthropic-ratelimit-output-tokens-limit.
	APIKeyOutputTokensLimit = 80000
)

// Windows of the unified (subscription) rate limit. Their resets roll from the server's start.
const (
	fiveHours = 5 * time.Hour
	sevenDays = 7 * 24 * time.Hour
)

// keyWindow counts the requests of an API key in the current minute.
type keyWindow struct {
	reset time.Time
	n     int
}

// setRateLimitHeaders adds the rate-limit headers of an answer with status: unified headers on
// OAuth traffic, request and token headers on API-key traffic, and retry-after on a 429.
func (s *Server) setRateLimitHeaders(h http.Header, cred credential, b Behavior, status int) {
	limited := status == http.StatusTooManyRequests
	now := time.Now()
	if cred.oauth {
		s.unifiedHeaders(h, b, limited, now)
	} else {
		s.apiKeyHeaders(h, cred.value, b, limited, now)
	}
	if limited && b.RetryAfter != "" {
		h.Set("retry-after", b.RetryAfter)
	}
}

func (s *Server) unifiedHeaders(h http.Header, b Behavior, limited bool, now time.Time) {
	const p = "anthropic-ratelimit-unified-"
	claim, claimKey := "five_hour", "5h"
	if b.Claim == "seven_day" {
		claim, claimKey = "seven_day", "7d"
	}
	type window struct {
		status string
		reset  time.Time
		util   float64
	}
	windows := map[string]*window{
		"5h": {utilStatus(b.Utilization), nextReset(s.started, now, fiveHours), b.Utilization},
		"7d": {utilStatus(b.Utilization7d), nextReset(s.started, now, sevenDays), b.Utilization7d},
	}
	cw := windows[claimKey]
	if !b.RateLimitReset.IsZero() {
		cw.reset = b.RateLimitReset
	} else if limited {
		cw.reset = time.Time{} // no reset header: the client must use retry-after
	}
	overall := "allowed"
	if windows["5h"].status == "allowed_warning" || windows["7d"].status == "allowed_warning" {
		overall = "allowed_warning"
	}
	if limited {
		cw.status, overall = "rejected", "rejected"
	}
	h.Set(p+"status", overall)
	if !cw.reset.IsZero() {
		h.Set(p+"reset", unix(cw.reset))
	}
	h.Set(p+"representative-claim", claim)
	for _, k := range []string{"5h", "7d"} {
		w := windows[k]
		h.Set(p+k+"-status", w.status)
		if !w.reset.IsZero() {
			h.Set(p+k+"-reset", unix(w.reset))
		}
		h.Set(p+k+"-utilization", strconv.FormatFloat(w.util, 'f', -1, 64))
	}
	h.Set(p+"fallback-percentage", FallbackPercentage)
	h.Set(p+"overage-status", "rejected")
	h.Set(p+"overage-disabled-reason", "org_level_disabled")
}

func (s *Server) apiKeyHeaders(h http.Header, key string, b Behavior, limited bool, now time.Time) {
	s.mu.Lock()
	kw := s.keyWindows[key]
	if kw == nil || !now.Before(kw.reset) {
		kw = &keyWindow{reset: now.Truncate(time.Minute).Add(time.Minute)}
		s.keyWindows[key] = kw
	}
	kw.n++
	remaining, reset := max(0, APIKeyRequestsLimit-kw.n), kw.reset
	s.mu.Unlock()

	tokens, inTokens, outTokens := APIKeyTokensLimit, APIKeyTokensLimit, APIKeyOutputTokensLimit
	if !b.RateLimitReset.IsZero() {
		reset = b.RateLimitReset
	}
	if limited {
		remaining, tokens, inTokens, outTokens = 0, 0, 0, 0
	}
	const p = "anthropic-ratelimit-"
	r := reset.UTC().Format(time.RFC3339)
	h.Set(p+"requests-limit", strconv.Itoa(APIKeyRequestsLimit))
	h.Set(p+"requests-remaining", strconv.Itoa(remaining))
	h.Set(p+"requests-reset", r)
	for _, t := range []struct {
		name         string
		limit, avail int
	}{
		{"tokens", APIKeyTokensLimit, tokens},
		{"input-tokens", APIKeyTokensLimit, inTokens},
		{"output-tokens", APIKeyOutputTokensLimit, outTokens},
	} {
		h.Set(p+t.name+"-limit", strconv.Itoa(t.limit))
		h.Set(p+t.name+"-remaining", strconv.Itoa(t.avail))
		h.Set(p+t.name+"-reset", r)
	}
}

// utilStatus is the status of a window at utilization u, when not rejected.
func utilStatus(u float64) string {
	if u >= WarningUtilization {
		return "allowed_warning"
	}
	return "allowed"
}

// nextReset returns the first end of a window after now, windows rolling from start.
func nextReset(start, now time.Time, window time.Duration) time.Time {
	if now.Before(start) {
		return start.Add(window)
	}
	return start.Add((now.Sub(start)/window + 1) * window)
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
