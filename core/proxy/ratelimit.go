package proxy

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Defaults of SPEC §4's failover table.
const (
	defaultRateLimit = 60 * time.Second
	overloadCooldown = 30 * time.Second
	// maxRateLimit caps what a header can claim, so a garbled value cannot
	// park an account for years.
	maxRateLimit = 8 * 24 * time.Hour
)

// rateLimitedUntil reads when a 429'd account may be used again:
// anthropic-ratelimit-unified-reset (unix seconds), else retry-after (seconds
// or an HTTP date), else now + 60 s. Values in the past or absurdly far away
// fall through to the next source.
func rateLimitedUntil(h http.Header, now time.Time) time.Time {
	if v := strings.TrimSpace(h.Get("Anthropic-Ratelimit-Unified-Reset")); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
			if t := time.Unix(secs, 0); plausible(t, now) {
				return t
			}
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
			if t := now.Add(time.Duration(secs * float64(time.Second))); plausible(t, now) {
				return t
			}
		} else if t, err := http.ParseTime(v); err == nil && plausible(t, now) {
			return t
		}
	}
	return now.Add(defaultRateLimit)
}

func plausible(t, now time.Time) bool {
	return t.After(now) && t.Sub(now) <= maxRateLimit
}

// utilization reads the 5-hour unified utilization (0…1), or -1 if absent.
func utilization(h http.Header) float64 {
	v := h.Get("Anthropic-Ratelimit-Unified-5h-Utilization")
	if v == "" {
		return -1
	}
	u, err := strconv.ParseFloat(v, 64)
	if err != nil || u < 0 {
		return -1
	}
	return u
}
