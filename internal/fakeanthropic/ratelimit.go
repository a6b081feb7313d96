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
	now := s.now()
	if cred.oauth {
		s.unifiedHeaders(h, cred, b, limited, now)
	} else {
		s.apiKeyHeaders(h, cred.value, b, limited, now)
	}
	if limited && b.RetryAfter != "" {
		h.Set("retry-after", b.RetryAfter)
	}
}

// unifiedWindow is one window as the unified headers report it.
type unifiedWindow struct {
	key    string // 5h, 7d, 7d_oi…
	status string
	reset  time.Time
	util   float64
}

func (s *Server) unifiedHeaders(h http.Header, cred credential, b Behavior, limited bool, now time.Time) {
	const p = "anthropic-ratelimit-unified-"
	five := &unifiedWindow{key: "5h", reset: nextReset(s.started, now, fiveHours), util: b.Utilization}
	seven := &unifiedWindow{key: "7d", reset: nextReset(s.started, now, sevenDays), util: b.Utilization7d}
	var extra []*unifiedWindow
	s.mu.Lock()
	if q := s.quotaLocked(cred.value, now); q != nil {
		// The login's quota, set by the test, tells the figures.
		five.util, seven.util = q.FiveHour, q.SevenDay
		if !q.FiveHourReset.IsZero() {
			five.reset = q.FiveHourReset
		}
		if !q.SevenDayReset.IsZero() {
			seven.reset = q.SevenDayReset
		}
		for _, x := range q.Extra {
			extra = append(extra, &unifiedWindow{key: x.Name, reset: x.Reset, util: x.Utilization})
		}
	}
	s.mu.Unlock()
	claim, cw := "five_hour", five
	if b.Claim == "seven_day" {
		claim, cw = "seven_day", seven
	}
	if !b.RateLimitReset.IsZero() {
		cw.reset = b.RateLimitReset
	} else if limited && !b.entitlement() {
		cw.reset = time.Time{} // no reset header: the client must use retry-after
	}
	windows := append([]*unifiedWindow{five, seven}, extra...)
	overall := "allowed"
	for _, w := range windows {
		w.status = utilStatus(w.util)
		if w.status == "allowed_warning" {
			overall = "allowed_warning"
		}
	}
	if limited && !b.entitlement() {
		cw.status, overall = "rejected", "rejected"
		cw.util = max(cw.util, 1)
		h.Set(p+cw.key+"-surpassed-threshold", "1.0")
	}
	if b.entitlement() {
		// A feature the plan lacks: the windows are fine.
		overall = "allowed"
	}
	h.Set(p+"status", overall)
	if !cw.reset.IsZero() {
		h.Set(p+"reset", unix(cw.reset))
	}
	if !b.entitlement() {
		h.Set(p+"representative-claim", claim)
	}
	for _, w := range windows {
		h.Set(p+w.key+"-status", w.status)
		if !w.reset.IsZero() {
			h.Set(p+w.key+"-reset", unix(w.reset))
		}
		h.Set(p+w.key+"-utilization", strconv.FormatFloat(w.util, 'f', -1, 64))
	}
	if b.entitlement() {
		return // the captured entitlement answer carries no fallback or overage headers
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
	if b.entitlement() {
		limited = false // only the request is refused
	}
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
