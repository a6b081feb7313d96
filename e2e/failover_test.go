package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

// checkStatus compares an account's status in GET /api/accounts.
func checkStatus(t *testing.T, accounts map[string]accountJSON, name, want string) {
	t.Helper()
	a, ok := accounts[name]
	if !ok {
		t.Fatalf("GET /api/accounts has no account %q", name)
	}
	if a.Status != want {
		t.Errorf("account %s: status %q, want %q (%+v)", name, a.Status, want, a)
	}
}

// within checks that got lies in [lo, hi].
func within(t *testing.T, what string, got, lo, hi time.Time) {
	t.Helper()
	if got.Before(lo) || got.After(hi) {
		t.Errorf("%s = %s, want between %s and %s", what, got.Format(time.RFC3339), lo.Format(time.RFC3339), hi.Format(time.RFC3339))
	}
}

// TestStickySessionAndRateLimitFailover: all requests stay on a; a 429 moves
// the session to b without the client noticing, and b keeps it when a recovers.
func TestStickySessionAndRateLimitFailover(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	keyA, keyB := in.Keys["a"], in.Keys["b"]

	for range 3 {
		in.mustServeFrom(t, "a")
	}
	for _, s := range seenMessages(in.Fake) {
		if s.Credential != keyA {
			t.Fatalf("while a's session runs, the fake saw another credential: %q", s.Credential)
		}
	}
	accts, names := in.accounts(t)
	checkStatus(t, accts, "a", "active")
	checkStatus(t, accts, "b", "available")
	if accts["a"].SessionRequests != 3 {
		t.Errorf("a: session_requests = %d, want 3", accts["a"].SessionRequests)
	}
	if len(names) != 2 || names[0] != "a" {
		t.Errorf("GET /api/accounts order = %v, want a first (strategy order)", names)
	}

	// a is rate-limited for a short while, so that we can watch it recover.
	const limit = 3 * time.Second
	before := time.Now()
	in.Fake.SetBehavior(keyA, fakeanthropic.Behavior{Status: http.StatusTooManyRequests, RetryAfter: strconv.Itoa(int(limit / time.Second))})
	r := in.mustServeFrom(t, "b")
	after := time.Now()
	if !strings.Contains(string(r.Body), fakeanthropic.ReplyText) {
		t.Errorf("failover answer = %s, want the fake's reply", r.Body)
	}
	seen := seenMessages(in.Fake)
	if n := len(seen); n != 5 || seen[3].Credential != keyA || seen[3].Status != http.StatusTooManyRequests ||
		seen[4].Credential != keyB || seen[4].Status != http.StatusOK {
		t.Fatalf("the fake should have seen a 429 on a then a 200 on b; saw %s", describeSeen(in, seen))
	}

	accts, _ = in.accounts(t)
	checkStatus(t, accts, "a", "rate_limited")
	checkStatus(t, accts, "b", "active")
	if until := accts["a"].RateLimitedUntil; until == nil {
		t.Errorf("a: rate_limited_until is null while rate-limited")
	} else {
		// RFC 3339 in the API has whole seconds.
		within(t, "a: rate_limited_until", *until, before.Add(limit).Truncate(time.Second), after.Add(limit))
	}

	var health struct {
		Status    string `json:"status"`
		Strategy  string `json:"strategy"`
		Accounts  int    `json:"accounts"`
		Available int    `json:"available"`
	}
	in.getJSON(t, "/health", &health)
	if health.Status != "ok" || health.Strategy != "session" || health.Accounts != 2 || health.Available != 1 {
		t.Errorf("/health while a is rate-limited = %+v, want ok, session, 2 accounts, 1 available", health)
	}

	if !bytes.Equal(seen[3].Body, seen[4].Body) || !bytes.Equal(seen[4].Body, messagesBody(false)) {
		t.Errorf("the body sent to b differs from the client's (or from the one sent to a)")
	}

	row := in.waitForRow(t, "b", http.StatusOK)
	if row.Failovers != 1 {
		t.Errorf("failover row: failovers = %d, want 1", row.Failovers)
	}
	checkUsageRow(t, row, seen[4].Body, false)

	// a recovers: its limit is lifted upstream and its rate_limited_until passes.
	in.Fake.SetBehavior(keyA, fakeanthropic.Behavior{})
	testkit.Eventually(t, limit+5*time.Second, "a available again", func() error {
		accts, _ := in.accounts(t)
		if s := accts["a"].Status; s != "available" {
			return fmt.Errorf("a is %q", s)
		}
		return nil
	})
	in.Fake.ResetRequests()
	for range 3 {
		in.mustServeFrom(t, "b")
	}
	for _, s := range seenMessages(in.Fake) {
		if s.Credential != keyB {
			t.Fatalf("after a recovered, a request went to a (the session must stay on b): %s", describeSeen(in, seenMessages(in.Fake)))
		}
	}
	accts, _ = in.accounts(t)
	checkStatus(t, accts, "b", "active")
	checkStatus(t, accts, "a", "available")
	checkClientKeyNeverForwarded(t, in.Fake)
}

// TestOverloadStaysOnTheAccount: a 529 is Anthropic's capacity, not the
// account's. The request is tried once more on a; a second 529 goes to the
// client as it is (clients retry overloads themselves); b is never asked and
// a's session goes on.
func TestOverloadStaysOnTheAccount(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	keyA := in.Keys["a"]
	in.mustServeFrom(t, "a")
	accts, _ := in.accounts(t)
	start := accts["a"].SessionStart

	in.Fake.SetBehavior(keyA, fakeanthropic.Behavior{Status: fakeanthropic.StatusOverloaded})
	r := in.message(t)
	if r.Status != fakeanthropic.StatusOverloaded || r.Header.Get("x-claudeflare-account") != "a" || apiErrorType(r.Body) != "overloaded_error" {
		t.Fatalf("with a overloaded: %s from %q, want a's own 529", r, r.Header.Get("x-claudeflare-account"))
	}
	seen := seenMessages(in.Fake)
	if n := len(seen); n != 3 || seen[1].Credential != keyA || seen[2].Credential != keyA {
		t.Fatalf("the fake should have seen a 200 on a, then a's 529 twice; saw %s", describeSeen(in, seen))
	}

	// Overloaded once: the retry on a serves it.
	in.Fake.SetBehavior(keyA, fakeanthropic.Behavior{Status: fakeanthropic.StatusOverloaded, Times: 1})
	in.mustServeFrom(t, "a")
	for _, s := range seenMessages(in.Fake) {
		if s.Credential != keyA {
			t.Fatalf("a request went to b during a's overload: %s", describeSeen(in, seenMessages(in.Fake)))
		}
	}
	accts, _ = in.accounts(t)
	checkStatus(t, accts, "a", "active")
	checkStatus(t, accts, "b", "available")
	if a := accts["a"]; a.SessionStart == nil || start == nil || !a.SessionStart.Equal(*start) || a.SessionRequests != 3 {
		t.Errorf("a's session: start %v (was %v), %d requests; want the same session, 3 requests", a.SessionStart, start, a.SessionRequests)
	}
}

// TestAllRateLimited: when every account answers 429 the client gets 429 with
// retry-after (seconds to the earliest reset) and an Anthropic-style body.
func TestAllRateLimited(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	in.Fake.SetBehavior(in.Keys["a"], fakeanthropic.Behavior{Status: http.StatusTooManyRequests, RetryAfter: "120"})
	in.Fake.SetBehavior(in.Keys["b"], fakeanthropic.Behavior{Status: http.StatusTooManyRequests, RetryAfter: "60"})

	r := in.message(t)
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("POST /v1/messages with every account limited: %s, want 429", r)
	}
	ra, err := strconv.Atoi(r.Header.Get("retry-after"))
	if err != nil || ra < 55 || ra > 61 {
		t.Errorf("retry-after = %q, want about 60 (seconds to b's reset, the earliest)", r.Header.Get("retry-after"))
	}
	var body struct {
		Type  string `json:"type"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("429 body %s: %v", r.Body, err)
	}
	if body.Type != "error" || body.Error.Type != "rate_limit_error" || body.Error.Message == "" {
		t.Errorf("429 body = %s, want {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":…}}", r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("429 Content-Type = %q, want application/json", ct)
	}

	accts, _ := in.accounts(t)
	checkStatus(t, accts, "a", "rate_limited")
	checkStatus(t, accts, "b", "rate_limited")
	if until := accts["b"].RateLimitedUntil; until == nil {
		t.Errorf("b: rate_limited_until is null")
	} else if reset := until.UTC().Format(time.RFC3339); !strings.Contains(body.Error.Message, reset) {
		t.Errorf("429 message %q does not name the earliest reset (b's, %s)", body.Error.Message, reset)
	}
	if got := len(seenMessages(in.Fake)); got != 2 {
		t.Errorf("the fake saw %d requests, want 2 (one per account)", got)
	}

	// Nothing is available now: the next request is answered without asking upstream.
	in.Fake.ResetRequests()
	r = in.message(t)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("retry-after") == "" {
		t.Errorf("second request with every account limited: %s (retry-after %q), want 429 with retry-after", r, r.Header.Get("retry-after"))
	}
	if got := len(seenMessages(in.Fake)); got != 0 {
		t.Errorf("the fake saw %d requests while every account was known to be limited, want 0", got)
	}
}

// TestConnectionResetHops: a connection reset on a before any answer sends
// this request to b, a hop: a is not marked, its session stays, and the next
// request goes to a again.
func TestConnectionResetHops(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	in.mustServeFrom(t, "a")
	in.Fake.SetBehavior(in.Keys["a"], fakeanthropic.Behavior{ResetConnection: true, Times: 1})

	r := in.mustServeFrom(t, "b")
	if !strings.Contains(string(r.Body), fakeanthropic.ReplyText) {
		t.Errorf("answer after the reset = %s, want the fake's reply", r.Body)
	}
	seen := seenMessages(in.Fake)
	if n := len(seen); n < 3 || seen[n-1].Credential != in.Keys["b"] || seen[n-2].Credential != in.Keys["a"] {
		t.Fatalf("the fake should have seen a (reset) then b; saw %s", describeSeen(in, seen))
	}
	accts, _ := in.accounts(t)
	checkStatus(t, accts, "a", "active")
	checkStatus(t, accts, "b", "available")
	in.mustServeFrom(t, "a")
}

// describeSeen lists the requests the fake saw by account name and status.
func describeSeen(in *instance, seen []fakeanthropic.Seen) string {
	byKey := map[string]string{}
	for name, key := range in.Keys {
		byKey[key] = name
	}
	var parts []string
	for _, s := range seen {
		who := byKey[s.Credential]
		if who == "" {
			who = fmt.Sprintf("unknown credential %q", s.Credential)
		}
		parts = append(parts, fmt.Sprintf("%s→%d", who, s.Status))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestFailoverTable walks the rest of the failover table (docs/DESIGN.md, "What an answer means"): which
// upstream answers move the request to b, and which go to the client as they are.
func TestFailoverTable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		a, b     fakeanthropic.Behavior
		status   int    // what the client gets
		account  string // x-claudeflare-account
		statusA  string // a's status afterwards
		upstream int    // requests the fake sees
	}{
		{"401 on an API key", fakeanthropic.Behavior{Status: 401}, fakeanthropic.Behavior{}, 200, "b", "needs_login", 2},
		{"403 on an API key", fakeanthropic.Behavior{Status: 403}, fakeanthropic.Behavior{}, 200, "b", "needs_login", 2},
		{"429 without reset headers", fakeanthropic.Behavior{Status: 429}, fakeanthropic.Behavior{}, 200, "b", "rate_limited", 2},
		{"500 goes to the client", fakeanthropic.Behavior{Status: 500}, fakeanthropic.Behavior{}, 500, "a", "active", 1},
		{"400 goes to the client", fakeanthropic.Behavior{Status: 400, Message: "bad request"}, fakeanthropic.Behavior{}, 400, "a", "active", 1},
		{"404 goes to the client", fakeanthropic.Behavior{Status: 404}, fakeanthropic.Behavior{}, 404, "a", "active", 1},
		// An overload is retried once on a and then goes to the client: b is never asked.
		{"529 stays a 529 on a", fakeanthropic.Behavior{Status: 529}, fakeanthropic.Behavior{}, 529, "a", "active", 2},
		// Not every account is rate-limited: the last answer goes through as it is.
		{"429 then 529", fakeanthropic.Behavior{Status: 429, RetryAfter: "30"}, fakeanthropic.Behavior{Status: 529}, 529, "b", "rate_limited", 3},
		// About this request only: a hop to b, no session moves, nothing marked.
		{"request-scoped 429", fakeanthropic.Behavior{Status: 429, Refusal: fakeanthropic.RefusalRequest}, fakeanthropic.Behavior{}, 200, "b", "available", 2},
		{"request-scoped 429 on both", fakeanthropic.Behavior{Status: 429, Refusal: fakeanthropic.RefusalRequest},
			fakeanthropic.Behavior{Status: 429, Refusal: fakeanthropic.RefusalRequest}, 429, "b", "available", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := twoAccounts(t)
			in.Fake.SetBehavior(in.Keys["a"], tc.a)
			in.Fake.SetBehavior(in.Keys["b"], tc.b)
			before := time.Now()
			r := in.message(t)
			if r.Status != tc.status {
				t.Fatalf("client got %s, want %d", r, tc.status)
			}
			if got := r.Header.Get("x-claudeflare-account"); got != tc.account {
				t.Errorf("x-claudeflare-account = %q, want %q", got, tc.account)
			}
			if tc.status != 200 {
				// The upstream's own error document, unchanged.
				var e struct {
					Type  string `json:"type"`
					Error struct{ Type string }
				}
				if json.Unmarshal(r.Body, &e) != nil || e.Type != "error" || e.Error.Type != fakeanthropic.ErrorType(tc.status) {
					t.Errorf("client got body %s, want the upstream's %s error", r.Body, fakeanthropic.ErrorType(tc.status))
				}
				if !strings.Contains(string(r.Body), `"request_id":"req_`) {
					t.Errorf("client got body %s, want the upstream's own document (with its request_id)", r.Body)
				}
			}
			if n := len(seenMessages(in.Fake)); n != tc.upstream {
				t.Errorf("the fake saw %d requests, want %d: %s", n, tc.upstream, describeSeen(in, seenMessages(in.Fake)))
			}
			accts, _ := in.accounts(t)
			checkStatus(t, accts, "a", tc.statusA)
			if tc.name == "429 without reset headers" {
				if u := accts["a"].RateLimitedUntil; u == nil {
					t.Errorf("a: rate_limited_until is null")
				} else {
					within(t, "a: rate_limited_until (default 60 s)", *u, before.Add(60*time.Second).Truncate(time.Second), time.Now().Add(60*time.Second))
				}
			}
		})
	}
}

// TestClientDisconnect: a client that hangs up cancels the upstream request;
// its row is written with status 499 and no account is blamed.
func TestClientDisconnect(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	in.Fake.SetBehavior(in.Keys["a"], fakeanthropic.Behavior{HangBeforeHeaders: true})

	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, "POST", in.URL()+"/v1/messages", strings.NewReader(string(messagesBody(true))))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", clientKey)
	errc := make(chan error, 1)
	go func() {
		resp, err := in.client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	testkit.Eventually(t, 5*time.Second, "the request reaches the fake", func() error {
		if len(seenMessages(in.Fake)) == 0 {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("the request succeeded though the upstream hangs")
	}
	row := in.waitForRow(t, "a", 499)
	if row.Failovers != 0 {
		t.Errorf("499 row: failovers = %d, want 0", row.Failovers)
	}
	if n := len(seenMessages(in.Fake)); n != 1 {
		t.Errorf("the fake saw %d requests, want 1 (no failover for a client that left)", n)
	}
	accts, _ := in.accounts(t)
	if s := accts["a"].Status; s != "available" && s != "active" {
		t.Errorf("a: status %q after the client left, want available or active", s)
	}
	checkStatus(t, accts, "b", "available")
	in.Fake.SetBehavior(in.Keys["a"], fakeanthropic.Behavior{})
	in.mustServeFrom(t, "a")
}

// TestConcurrentFailover: a burst of concurrent requests while a is
// rate-limited all succeed on b, and b's session starts once.
func TestConcurrentFailover(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	in.mustServeFrom(t, "a")
	events := in.subscribe(t)
	in.Fake.SetBehavior(in.Keys["a"], fakeanthropic.Behavior{Status: http.StatusTooManyRequests, RetryAfter: "600"})

	const n = 20
	var wg sync.WaitGroup
	results := make(chan response, n)
	for range n {
		wg.Go(func() {
			body := messagesBody(false)
			req, _ := http.NewRequestWithContext(t.Context(), "POST", in.URL()+"/v1/messages", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("x-api-key", clientKey)
			resp, err := in.client.Do(req)
			if err != nil {
				results <- response{Status: -1, Body: []byte(err.Error())}
				return
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			results <- response{Status: resp.StatusCode, Header: resp.Header, Body: data}
		})
	}
	wg.Wait()
	close(results)
	for r := range results {
		if r.Status != 200 || r.Header.Get("x-claudeflare-account") != "b" {
			t.Errorf("concurrent request: %s (account %q), want 200 from b", r, r.Header.Get("x-claudeflare-account"))
		}
	}
	accts, _ := in.accounts(t)
	checkStatus(t, accts, "a", "rate_limited")
	checkStatus(t, accts, "b", "active")
	if got := accts["b"].SessionRequests; got != n {
		t.Errorf("b: session_requests = %d, want %d", got, n)
	}

	// Exactly one session_started (b's) among the events of the burst: read
	// events until the n requests served by b have been announced.
	starts, served := 0, 0
	deadline := time.After(5 * time.Second)
	for served < n {
		select {
		case ev := <-events:
			d, _ := ev.Data["data"].(map[string]any)
			switch ev.Name {
			case "session_started":
				starts++
				if d["account"] != "b" {
					t.Errorf("session_started for %v, want b", d["account"])
				}
			case "request":
				if d["account"] == "b" {
					served++
				}
			}
		case <-deadline:
			t.Fatalf("/api/events announced %d of the %d requests served by b", served, n)
		}
	}
	if starts != 1 {
		t.Errorf("b's session started %d times during the burst, want once", starts)
	}
}
