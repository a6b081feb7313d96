package fakeanthropic

import (
	"net"
	"net/http"
	"time"
)

// Behavior overrides how the fake answers API requests (/v1/messages, count_tokens, models)
// made with one credential. The zero Behavior means a normal answer.
//
// Behaviours apply only to requests that pass authentication; they are tried in this order:
// Delay, ResetConnection, HangBeforeHeaders, Status, then (for a normal answer) the stream
// failures.
type Behavior struct {
	// Status, when not 0 and not 2xx, answers every request with this status and an Anthropic
	// error body whose type follows from it (see [ErrorType]): e.g. 429 rate_limit_error,
	// 529 overloaded_error, 500 api_error, 403 permission_error, 401 authentication_error.
	Status int
	// Message replaces the default message of the Status error.
	Message string
	// Refusal says what a Status 429 is about: "" (the default) a spent window or, on API-key
	// traffic, a spent limit; RefusalRequest or RefusalEntitlement one request only.
	Refusal string

	// RateLimitReset is the reset time of the limited window. On OAuth traffic it is sent as
	// anthropic-ratelimit-unified-reset and -unified-5h-reset (or -7d-reset, see Claim); on
	// API-key traffic as anthropic-ratelimit-requests-reset. It applies to normal answers too.
	// Zero on a 429 omits those reset headers, so a client must fall back to retry-after.
	RateLimitReset time.Time
	// RetryAfter is sent as the retry-after header on a 429 (seconds or an HTTP date). Empty
	// sends none.
	RetryAfter string
	// Claim is the representative claim on OAuth traffic: "five_hour" (default) or "seven_day".
	// The limited window of a 429 is this one.
	Claim string
	// Utilization is reported in anthropic-ratelimit-unified-5h-utilization (0 … 1); at
	// WarningUtilization or more the status becomes allowed_warning.
	Utilization float64
	// Utilization7d is reported in anthropic-ratelimit-unified-7d-utilization.
	Utilization7d float64

	// Delay waits this long before answering (cut short if the client leaves).
	Delay time.Duration
	// HangBeforeHeaders accepts the request and never answers until the client gives up or the
	// server closes.
	HangBeforeHeaders bool
	// ResetConnection closes the TCP connection with a reset (RST) before any response.
	ResetConnection bool
	// FailMidStream, on a streaming request, sends message_start then
	// "event: error" with an overloaded_error and ends the response cleanly (as the real API
	// does under load). Non-streaming requests answer normally.
	FailMidStream bool
	// CutMidStream, on a streaming request, sends message_start and the first
	// content_block_delta, then closes the connection without ending the chunked body, so the
	// client reads an unexpected EOF. Non-streaming requests answer normally.
	CutMidStream bool

	// Times limits the behaviour to the next Times requests with this credential, after which
	// answers are normal again. 0 keeps it until it is replaced.
	Times int
}

// What a 429 is about (Behavior.Refusal), as Anthropic's answers tell.
const (
	// RefusalRequest is a request-scoped 429: only x-should-retry: true and x-robots-tag, the
	// body's message "Error", no rate-limit header and no retry-after. The same account serves
	// the next request. Claude Code calls it "Server is temporarily limiting requests (not your
	// usage limit)".
	RefusalRequest = "request"
	// RefusalEntitlement is a 429 for a feature the plan lacks ("Extra usage is required for long
	// context requests."): the unified headers report the windows as allowed, x-should-retry is
	// false.
	RefusalEntitlement = "entitlement"
)

// MsgEntitlement is the message of a RefusalEntitlement 429.
const MsgEntitlement = "Extra usage is required for long context requests."

func (b Behavior) entitlement() bool {
	return b.Status == http.StatusTooManyRequests && b.Refusal == RefusalEntitlement
}

// SetBehavior sets how requests made with credential (an API key or an access token) are
// answered. Behavior{} restores normal answers.
func (s *Server) SetBehavior(credential string, b Behavior) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b == (Behavior{}) {
		delete(s.behaviors, credential)
		return
	}
	s.behaviors[credential] = b
}

// takeBehavior returns the behaviour for one request with credential, counting down Times.
func (s *Server) takeBehavior(credential string) Behavior {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.behaviors[credential]
	if !ok {
		return Behavior{}
	}
	if b.Times > 0 {
		next := b
		next.Times--
		if next.Times == 0 {
			delete(s.behaviors, credential)
		} else {
			s.behaviors[credential] = next
		}
	}
	return b
}

// applyBehavior acts out the answer-changing parts of b and reports whether it answered (or
// dropped) the request.
func (s *Server) applyBehavior(w http.ResponseWriter, r *http.Request, cred credential, b Behavior) bool {
	if b.Delay > 0 && !s.sleep(r.Context(), b.Delay) {
		return true
	}
	switch {
	case b.ResetConnection:
		abortConnection(w, true)
		return true
	case b.HangBeforeHeaders:
		s.wait(r.Context())
		return true
	case b.Status == http.StatusTooManyRequests && b.Refusal == RefusalRequest:
		w.Header().Set("x-robots-tag", "none")
		writeAPIError(w, newAPIError(b.Status, orDefault(b.Message, "Error")))
		return true
	case b.entitlement():
		s.setRateLimitHeaders(w.Header(), cred, b, b.Status)
		w.Header().Del("retry-after")
		w.Header().Set("x-should-retry", "false")
		writeAPIError(w, newAPIError(b.Status, orDefault(b.Message, MsgEntitlement)))
		return true
	case b.Status >= 500:
		// Overloads and server errors come from Anthropic's side, with no quota headers (the
		// captured 529 carries only x-should-retry).
		writeAPIError(w, newAPIError(b.Status, orDefault(b.Message, defaultMessage(b.Status))))
		return true
	case b.Status != 0 && (b.Status < 200 || b.Status > 299):
		s.setRateLimitHeaders(w.Header(), cred, b, b.Status)
		writeAPIError(w, newAPIError(b.Status, orDefault(b.Message, defaultMessage(b.Status))))
		return true
	}
	return false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// abortConnection takes the connection from net/http, flushing what was written, and closes
// it: with a TCP reset if rst, else with a plain close (the client then reads an unexpected
// EOF in the middle of a chunked body).
func abortConnection(w http.ResponseWriter, rst bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // net/http closes the connection
	}
	if tc, ok := conn.(*net.TCPConn); ok && rst {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
