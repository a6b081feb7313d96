package fakeanthropic

import (
	"net/http"
	"strconv"
	"time"
)

// Quota is how much of a subscription a login has used, as Anthropic meters it: a 5-hour and a
// 7-day window (and, on some models' answers, windows of their own). The fake reports it in
// the anthropic-ratelimit-unified-* headers of every answer on that login's tokens and, once a
// window is used up (utilization 1 or more), answers every request 429 with the full header
// set of a spent window (status rejected, the window's reset, retry-after) until the window
// resets, when its utilization starts again from 0. Behaviours (SetBehavior) still win.
type Quota struct {
	// FiveHour and SevenDay are the windows' utilization (0 … 1, or more once spent).
	FiveHour, SevenDay float64
	// FiveHourReset and SevenDayReset are the windows' ends; zero rolls the window from the
	// server's start (every 5 hours, every 7 days).
	FiveHourReset, SevenDayReset time.Time
	// PerRequest is the utilization each answered request adds to both windows.
	PerRequest float64
	// Extra are other windows reported on every answer, such as 7d_oi.
	Extra []QuotaWindow
}

// QuotaWindow is a window of its own, reported as anthropic-ratelimit-unified-<Name>-*.
type QuotaWindow struct {
	Name        string // e.g. "7d_oi"
	Utilization float64
	Reset       time.Time
}

// SetQuota sets the quota of the login that credential (an access token) belongs to: it holds
// for every token of that login, also after a refresh. It reports whether the token was known.
func (s *Server) SetQuota(credential string, q Quota) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.access[credential]
	if !ok {
		return false
	}
	qq := q
	s.quotas[at.grant] = &qq
	return true
}

// QuotaOf returns the quota of credential's login as it stands now (resets applied).
func (s *Server) QuotaOf(credential string) (Quota, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.quotaLocked(credential, s.now())
	if q == nil {
		return Quota{}, false
	}
	return *q, true
}

// quotaLocked returns the quota of credential's login with passed windows started over, or nil.
func (s *Server) quotaLocked(credential string, now time.Time) *Quota {
	at, ok := s.access[credential]
	if !ok {
		return nil
	}
	q := s.quotas[at.grant]
	if q == nil && s.opts.LoginQuota != nil {
		qq := *s.opts.LoginQuota
		q, s.quotas[at.grant] = &qq, &qq
	}
	if q == nil {
		return nil
	}
	roll := func(util *float64, reset *time.Time, window time.Duration) {
		if reset.IsZero() {
			return // rolling from the server's start: nextReset tells the end
		}
		for !now.Before(*reset) {
			*util, *reset = 0, reset.Add(window)
		}
	}
	roll(&q.FiveHour, &q.FiveHourReset, fiveHours)
	roll(&q.SevenDay, &q.SevenDayReset, sevenDays)
	return q
}

// spentWindow reports which window of q is used up ("five_hour" or "seven_day"; the weekly one
// when both are, since it binds longer), or "".
func spentWindow(q *Quota) string {
	switch {
	case q.SevenDay >= 1:
		return "seven_day"
	case q.FiveHour >= 1:
		return "five_hour"
	}
	return ""
}

// chargeQuota adds one request's use to credential's login.
func (s *Server) chargeQuota(credential string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.quotaLocked(credential, s.now()); q != nil && q.PerRequest > 0 {
		q.FiveHour += q.PerRequest
		q.SevenDay += q.PerRequest
	}
}

// refuseSpent answers 429 when credential's login has used up a window, as Anthropic does:
// the unified headers with status rejected and the spent window as representative claim, its
// reset, retry-after in seconds to it, and x-should-retry. It reports whether it answered.
func (s *Server) refuseSpent(w http.ResponseWriter, cred credential) bool {
	if !cred.oauth {
		return false
	}
	now := s.now()
	s.mu.Lock()
	q := s.quotaLocked(cred.value, now)
	claim := ""
	var reset time.Time
	if q != nil {
		switch claim = spentWindow(q); claim {
		case "five_hour":
			reset = q.FiveHourReset
			if reset.IsZero() {
				reset = nextReset(s.started, now, fiveHours)
			}
		case "seven_day":
			reset = q.SevenDayReset
			if reset.IsZero() {
				reset = nextReset(s.started, now, sevenDays)
			}
		}
	}
	s.mu.Unlock()
	if claim == "" {
		return false
	}
	b := Behavior{Claim: claim, RateLimitReset: reset}
	s.setRateLimitHeaders(w.Header(), cred, b, http.StatusTooManyRequests)
	if reset, err := strconv.ParseInt(w.Header().Get("anthropic-ratelimit-unified-reset"), 10, 64); err == nil {
		w.Header().Set("retry-after", strconv.FormatInt(max(1, reset-now.Unix()), 10))
	}
	writeAPIError(w, newAPIError(http.StatusTooManyRequests, defaultMessage(http.StatusTooManyRequests)))
	return true
}
