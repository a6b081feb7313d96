package proxy

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
)

// maxRateLimit caps what a header can claim, so a garbled value cannot park
// an account for years (a weekly window is the longest there is).
const maxRateLimit = 8 * 24 * time.Hour

// unifiedPrefix starts every header of Anthropic's subscription quota, in
// canonical form (Go canonicalizes response header names).
const unifiedPrefix = "Anthropic-Ratelimit-Unified-"

// rateLimitedUntil reads when a 429'd account may be used again:
// anthropic-ratelimit-unified-reset (unix seconds), else retry-after (seconds
// or an HTTP date), else now + DefaultRateLimit. Values in the past or
// absurdly far away fall through to the next source.
func rateLimitedUntil(h http.Header, now time.Time) time.Time {
	if v := strings.TrimSpace(h.Get(unifiedPrefix + "Reset")); v != "" {
		if t, ok := unixSeconds(v); ok && plausible(t, now) {
			return t
		}
	}
	if t, ok := retryAfter(h, now); ok && plausible(t, now) {
		return t
	}
	return now.Add(DefaultRateLimit)
}

// retryAfter reads retry-after as seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Time, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return time.Time{}, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || secs > maxRateLimit.Seconds() {
			return time.Time{}, false
		}
		return now.Add(time.Duration(secs * float64(time.Second))), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func unixSeconds(v string) (time.Time, bool) {
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil || secs <= 0 || secs > 1<<40 {
		return time.Time{}, false
	}
	return time.Unix(secs, 0), true
}

func plausible(t, now time.Time) bool {
	return t.After(now) && t.Sub(now) <= maxRateLimit
}

// unifiedStatus is anthropic-ratelimit-unified-status, and whether the
// answer carries unified headers at all (subscription traffic).
func unifiedStatus(h http.Header) (status string, unified bool) {
	if vv, ok := h[unifiedPrefix+"Status"]; ok && len(vv) > 0 {
		return strings.TrimSpace(vv[0]), true
	}
	for k := range h {
		if strings.HasPrefix(k, unifiedPrefix) {
			return "", true
		}
	}
	return "", false
}

// anyRemainingZero reports an API-key limit header saying nothing is left,
// such as anthropic-ratelimit-requests-remaining: 0.
func anyRemainingZero(h http.Header) bool {
	for k, vv := range h {
		if len(vv) > 0 && strings.HasPrefix(k, "Anthropic-Ratelimit-") && strings.HasSuffix(k, "-Remaining") &&
			strings.TrimSpace(vv[0]) == "0" {
			return true
		}
	}
	return false
}

// unifiedHeaders returns the answer's anthropic-ratelimit-unified-* headers
// (a new header; nil when there are none), kept to replay them.
func unifiedHeaders(h http.Header) http.Header {
	var out http.Header
	for k, vv := range h {
		if strings.HasPrefix(k, unifiedPrefix) {
			if out == nil {
				out = make(http.Header, 16)
			}
			out[k] = append([]string(nil), vv...)
		}
	}
	return out
}

// parseQuota reads every quota window an answer reports: for each
// anthropic-ratelimit-unified-<window>-utilization, that window's
// utilization, -reset and -status. The header's 5h and 7d become five_hour
// and seven_day; other windows (7d_oi, …) keep their header name. nil when
// the answer reports none (API-key traffic).
func parseQuota(h http.Header) account.Quota {
	var q account.Quota
	for k, vv := range h {
		if len(vv) == 0 || !strings.HasPrefix(k, unifiedPrefix) || !strings.HasSuffix(k, "-Utilization") {
			continue
		}
		key := k[len(unifiedPrefix) : len(k)-len("-Utilization")]
		if key == "" {
			continue
		}
		u, err := strconv.ParseFloat(strings.TrimSpace(vv[0]), 64)
		if err != nil || !(u >= 0 && u <= 1000) { // also refuses NaN
			continue
		}
		w := account.Window{Utilization: u, Status: strings.TrimSpace(h.Get(unifiedPrefix + key + "-Status"))}
		if t, ok := unixSeconds(strings.TrimSpace(h.Get(unifiedPrefix + key + "-Reset"))); ok {
			w.ResetsAt = t.UTC()
		}
		if q == nil {
			q = make(account.Quota, 3)
		}
		q[windowName(key)] = w
	}
	return q
}

// windowName maps a header's window key (canonical case) to its name.
func windowName(key string) string {
	switch key = strings.ToLower(key); key {
	case "5h":
		return account.WindowFiveHour
	case "7d":
		return account.WindowSevenDay
	}
	return key
}
