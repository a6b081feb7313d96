package proxy

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
)

// The failover decision (docs/DESIGN.md, "What an answer means"). It
// separates answers about the account (it is spent, its credential is
// refused: the account is marked and the session moves) from answers about
// this request or about Anthropic as a whole (nothing is marked and the
// session stays: switching there would cost a cold prompt cache for
// nothing). Decide is the whole table; exchange.go only applies verdicts.

// Answer is what the proxy knows of one upstream attempt when it decides.
type Answer struct {
	// Status is the upstream's status code; 0 when no response headers
	// arrived (Err says why).
	Status int
	Header http.Header
	// ErrorType is the error body's error.type (e.g. "overloaded_error"),
	// read from error answers that are JSON; "" otherwise.
	ErrorType string
	Err       error
	Kind      account.Kind
	// Refreshed: this answer came after the account's token was refreshed
	// for this request; a second 401 is not cured by another refresh.
	Refreshed bool
	// Overloaded: the account already answered this request with an
	// overload and this is its one retry.
	Overloaded bool
}

// AccountEffect is what happens to the account.
type AccountEffect uint8

const (
	KeepAccount       AccountEffect = iota // nothing is marked
	RateLimitAccount                       // out until Verdict.Until
	NeedsLoginAccount                      // out until its credential is replaced
	RefreshAccount                         // refresh its OAuth token, then retry (RefreshOutcome decides a failure)
	CooldownAccount                        // out until Verdict.Until (a failed refresh backs off)
)

// RequestEffect is what happens to this request.
type RequestEffect uint8

const (
	Serve RequestEffect = iota // the answer goes to the client as it is
	Next                       // try the next candidate
	Retry                      // try the same account again, after Verdict.Pause
)

// Verdict is the decision on one answer.
type Verdict struct {
	Account AccountEffect
	Until   time.Time // for RateLimitAccount and CooldownAccount
	Request RequestEffect
	Pause   time.Duration // before a Retry
	// MovesSession: the account itself can no longer serve, so the candidate
	// that serves instead starts a session and becomes the active account.
	// False for a Next that is a hop: this request only moves.
	MovesSession bool
	Reason       string // for the log, events and failover records
}

// Timing of the table's rows.
const (
	// DefaultRateLimit is how long a spent account is out when its 429
	// names no reset.
	DefaultRateLimit = 60 * time.Second
	// OverloadPause is the wait before an overloaded request is retried once
	// on the same account; a retry-after under it is honoured.
	OverloadPause = 500 * time.Millisecond
	// maxOverloadPause bounds what an upstream's retry-after can make us wait.
	maxOverloadPause = time.Second
	// RefreshBackoff is how long an account whose token refresh failed (for
	// a reason other than a refusal) is cooled down.
	RefreshBackoff = 60 * time.Second
)

// Decide applies the table to one answer at now.
func Decide(a Answer, now time.Time) Verdict {
	if a.Status == 0 {
		return Verdict{Request: Next, Reason: "upstream unreachable: " + errText(a.Err)}
	}
	switch {
	case a.Status == http.StatusTooManyRequests:
		return decide429(a.Header, now)
	case a.Status == 529 || a.ErrorType == "overloaded_error":
		if a.Overloaded {
			return Verdict{Request: Serve, Reason: fmt.Sprintf("overloaded (%d) twice", a.Status)}
		}
		return Verdict{Request: Retry, Pause: overloadPause(a.Header, now), Reason: fmt.Sprintf("overloaded (%d)", a.Status)}
	case a.Status == http.StatusUnauthorized && a.Kind == account.KindOAuth:
		if a.Refreshed {
			return Verdict{Account: NeedsLoginAccount, Request: Next, MovesSession: true, Reason: "needs login (401 after a token refresh)"}
		}
		return Verdict{Account: RefreshAccount, Request: Retry, Reason: "token refused (401)"}
	case (a.Status == http.StatusUnauthorized || a.Status == http.StatusForbidden) && a.Kind != account.KindOAuth:
		return Verdict{Account: NeedsLoginAccount, Request: Next, MovesSession: true, Reason: fmt.Sprintf("API key refused (%d)", a.Status)}
	}
	return Verdict{Request: Serve}
}

// decide429 tells a spent account from a request-scoped refusal.
func decide429(h http.Header, now time.Time) Verdict {
	if status, unified := unifiedStatus(h); unified {
		if strings.EqualFold(status, "rejected") {
			return Verdict{Account: RateLimitAccount, Until: rateLimitedUntil(h, now), Request: Next, MovesSession: true,
				Reason: "rate limited (429, " + limitName(h) + ")"}
		}
		// The account's windows are fine (an entitlement the plan lacks,
		// such as long context): another account may serve this request.
		return Verdict{Request: Next, Reason: "request refused (429, unified status " + orUnknown(status) + ")"}
	}
	if h.Get("Retry-After") != "" || anyRemainingZero(h) {
		// API-key traffic reports its limits without unified headers.
		return Verdict{Account: RateLimitAccount, Until: rateLimitedUntil(h, now), Request: Next, MovesSession: true,
			Reason: "rate limited (429)"}
	}
	// Only x-should-retry: "Server is temporarily limiting requests (not
	// your usage limit)". The same account serves the next request.
	return Verdict{Request: Next, Reason: "request-scoped 429"}
}

// RefreshOutcome decides what a failed token refresh means for the account:
// a refusal (ErrNeedsLogin) needs a new login, anything else backs off.
// Both move the session, since the account cannot serve without a token.
func RefreshOutcome(err error, needsLogin bool, now time.Time) Verdict {
	if needsLogin {
		return Verdict{Account: NeedsLoginAccount, Request: Next, MovesSession: true, Reason: "needs login (token refresh refused)"}
	}
	return Verdict{Account: CooldownAccount, Until: now.Add(RefreshBackoff), Request: Next, MovesSession: true,
		Reason: "token refresh failed: " + errText(err)}
}

// overloadPause is the upstream's retry-after when it is shorter than the
// longest pause, else OverloadPause.
func overloadPause(h http.Header, now time.Time) time.Duration {
	if until, ok := retryAfter(h, now); ok {
		if d := until.Sub(now); d >= 0 && d <= maxOverloadPause {
			return d
		}
	}
	return OverloadPause
}

// limitName is the representative claim of a spent account's 429, e.g.
// "five_hour", for the log.
func limitName(h http.Header) string {
	return orUnknown(h.Get("Anthropic-Ratelimit-Unified-Representative-Claim"))
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func errText(err error) string {
	if err == nil {
		return "no answer"
	}
	return err.Error()
}
