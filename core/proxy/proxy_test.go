package proxy_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/proxy"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

func TestAPIKeyAccountReplacesClientCredential(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	key := h.apiKeyAccount("work")
	resp, body := h.post(msgBody, "Authorization", "Bearer client-token")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if served(resp) != "work" {
		t.Errorf("%s = %q, want work", "x-claudeflare-account", served(resp))
	}
	seen := h.fake.Requests()
	if len(seen) != 1 {
		t.Fatalf("upstream saw %d requests", len(seen))
	}
	got := seen[0]
	if got.Credential != key || got.Header.Get("Authorization") != "" {
		t.Errorf("upstream credential %q, Authorization %q: want the account key only", got.Credential, got.Header.Get("Authorization"))
	}
	if got.RawQuery != "beta=true" || got.Header.Get("Anthropic-Version") != "2023-06-01" || string(got.Body) != msgBody {
		t.Errorf("request not forwarded as sent: query %q, headers %v, body %q", got.RawQuery, got.Header, got.Body)
	}
	rows := h.rows()
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	want := fakeanthropic.UsageFor([]byte(msgBody))
	r := rows[0]
	if r.AccountName != "work" || r.Status != 200 || r.Streamed || r.Model != "claude-sonnet-4-5" ||
		r.InputTokens != int64(want.InputTokens) || r.OutputTokens != fakeanthropic.OutputTokens ||
		r.CacheReadTokens != fakeanthropic.CacheReadInputTokens || r.CacheCreationTokens != fakeanthropic.CacheCreationInputTokens {
		t.Errorf("row %+v, want usage %+v", r, want)
	}
}

func TestOAuthAccountSendsBearerAndBeta(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, clientBeta, wantBeta string
	}{
		{"no beta from client", "", "oauth-2025-04-20"},
		{"appended to client's list", "claude-code-20250219,interleaved-thinking-2025-05-14", "claude-code-20250219,interleaved-thinking-2025-05-14,oauth-2025-04-20"},
		{"never duplicated", "a,oauth-2025-04-20", "a,oauth-2025-04-20"},
		{"duplicate with spaces", "a, oauth-2025-04-20 ,b", "a, oauth-2025-04-20 ,b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, "")
			h.fake.AddOAuthToken("sk-ant-oat01-test", time.Now().Add(time.Hour))
			h.addAccount("max", account.KindOAuth, creds.Secret{AccessToken: "sk-ant-oat01-test", RefreshToken: "sk-ant-ort01-x"})
			var hdr []string
			if tt.clientBeta != "" {
				hdr = []string{"Anthropic-Beta", tt.clientBeta}
			}
			resp, body := h.post(msgBody, hdr...)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			got := h.fake.Requests()[0]
			if got.Header.Get("Authorization") != "Bearer sk-ant-oat01-test" || got.Header.Get("X-Api-Key") != "" {
				t.Errorf("credentials upstream: Authorization %q, x-api-key %q", got.Header.Get("Authorization"), got.Header.Get("X-Api-Key"))
			}
			if b := strings.Join(got.Header.Values("Anthropic-Beta"), ","); b != tt.wantBeta {
				t.Errorf("anthropic-beta %q, want %q", b, tt.wantBeta)
			}
		})
	}
}

func TestNoAccountsPassesClientCredentialsThrough(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.fake.AddAPIKey("sk-ant-api03-users-own")
	resp, body := h.post(msgBody, "X-Api-Key", "sk-ant-api03-users-own")
	if resp.StatusCode != 200 || served(resp) != "none" {
		t.Fatalf("status %d account %q: %s", resp.StatusCode, served(resp), body)
	}
	if c := h.fake.Requests()[0].Credential; c != "sk-ant-api03-users-own" {
		t.Errorf("upstream credential %q", c)
	}
}

// TestStreamReachesClientEventByEvent proves the proxy never buffers a
// stream: the first event reaches the client while the upstream is still
// holding back the rest.
func TestStreamReachesClientEventByEvent(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"m\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":9}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	}))
	defer upstream.Close()
	h := newHarness(t, upstream.URL)
	h.addAccount("a", account.KindAPIKey, creds.Secret{APIKey: "k"})

	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/v1/messages", strings.NewReader(streamBody))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	first, err := br.ReadString('\n')
	if err != nil || first != "event: message_start\n" {
		t.Fatalf("first line %q, %v", first, err)
	}
	close(release) // only now may the rest come
	rest, _ := io.ReadAll(br)
	if !strings.Contains(string(rest), "event: message_stop") {
		t.Fatalf("rest of stream: %q", rest)
	}
	rows := h.rows()
	if r := rows[0]; !r.Streamed || r.Model != "m" || r.InputTokens != 3 || r.OutputTokens != 9 {
		t.Errorf("row %+v: want streamed, model m, 3 in, 9 out (message_delta usage is cumulative)", r)
	}
}

func TestStreamBytesUnaltered(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.apiKeyAccount("a")
	direct := func() []byte {
		req, _ := http.NewRequest(http.MethodPost, h.fake.URL+"/v1/messages", strings.NewReader(streamBody))
		req.Header.Set("X-Api-Key", "sk-ant-api03-a-key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}()
	_, proxied := h.post(streamBody)
	norm := func(b []byte) string { // ids and send times differ per answer
		s := string(b)
		for _, field := range []string{`"id":"`, `"fake_sent_unix_nano":`} {
			for i := strings.Index(s, field); i >= 0; i = strings.Index(s, field) {
				j := i + len(field)
				k := j
				for k < len(s) && s[k] != '"' && s[k] != '}' && s[k] != ',' {
					k++
				}
				s = s[:i] + "X" + s[k:]
			}
		}
		return s
	}
	if norm(direct) != norm([]byte(proxied)) {
		t.Fatalf("proxied stream differs from direct:\n%s\n---\n%s", norm(direct), norm([]byte(proxied)))
	}
}

// TestFailoverTable applies docs/DESIGN.md, "What an answer means" table through the proxy, against the
// fake answering as Anthropic does: what reaches the client, what happens to
// the first account, and whether the session moved (a failover) or stayed
// (a hop).
func TestFailoverTable(t *testing.T) {
	t.Parallel()
	reset := time.Now().Add(42 * time.Minute).Truncate(time.Second)
	tests := []struct {
		name       string
		kind       account.Kind
		behavior   fakeanthropic.Behavior
		quota      *fakeanthropic.Quota // the OAuth login's quota
		wantServed string
		wantStatus int            // what the client sees
		wantA      account.Status // a afterwards
		wantActive string         // the account whose session runs afterwards ("" none)
		wantUntil  time.Time      // a's rate-limit reset, to the second; zero to skip
		untilNear  time.Duration
		wantOnA    int // requests the fake saw on a
	}{
		// The account is spent: marked, the session moves.
		{name: "spent five-hour window (oauth)", kind: account.KindOAuth,
			quota:      &fakeanthropic.Quota{FiveHour: 1.01, SevenDay: 0.69, FiveHourReset: reset},
			wantServed: "b", wantStatus: 200, wantA: account.StatusRateLimited, wantActive: "b", wantUntil: reset, wantOnA: 1},
		{name: "429 with retry-after seconds (API key)", behavior: fakeanthropic.Behavior{Status: 429, RetryAfter: "120"},
			wantServed: "b", wantStatus: 200, wantA: account.StatusRateLimited, wantActive: "b", untilNear: 120 * time.Second, wantOnA: 1},
		{name: "429 with retry-after date (API key)", behavior: fakeanthropic.Behavior{Status: 429, RetryAfter: reset.UTC().Format(http.TimeFormat)},
			wantServed: "b", wantStatus: 200, wantA: account.StatusRateLimited, wantActive: "b", wantUntil: reset, wantOnA: 1},
		{name: "429 with requests remaining 0 only: 60 s (API key)", behavior: fakeanthropic.Behavior{Status: 429},
			wantServed: "b", wantStatus: 200, wantA: account.StatusRateLimited, wantActive: "b", untilNear: 60 * time.Second, wantOnA: 1},
		{name: "401 on an API key: needs a new key", behavior: fakeanthropic.Behavior{Status: 401},
			wantServed: "b", wantStatus: 200, wantA: account.StatusNeedsLogin, wantActive: "b", wantOnA: 1},
		{name: "403 on an API key: needs a new key", behavior: fakeanthropic.Behavior{Status: 403},
			wantServed: "b", wantStatus: 200, wantA: account.StatusNeedsLogin, wantActive: "b", wantOnA: 1},
		{name: "401 on OAuth without refresh: needs login", kind: account.KindOAuth, behavior: fakeanthropic.Behavior{Status: 401},
			wantServed: "b", wantStatus: 200, wantA: account.StatusNeedsLogin, wantActive: "b", wantOnA: 1},

		// About this request only: a hop; nothing marked, no session starts.
		{name: "request-scoped 429 (oauth)", kind: account.KindOAuth,
			behavior:   fakeanthropic.Behavior{Status: 429, Refusal: fakeanthropic.RefusalRequest},
			wantServed: "b", wantStatus: 200, wantA: account.StatusAvailable, wantOnA: 1},
		{name: "request-scoped 429 (API key)", behavior: fakeanthropic.Behavior{Status: 429, Refusal: fakeanthropic.RefusalRequest},
			wantServed: "b", wantStatus: 200, wantA: account.StatusAvailable, wantOnA: 1},
		{name: "entitlement 429 (oauth)", kind: account.KindOAuth,
			behavior:   fakeanthropic.Behavior{Status: 429, Refusal: fakeanthropic.RefusalEntitlement},
			wantServed: "b", wantStatus: 200, wantA: account.StatusAvailable, wantOnA: 1},
		{name: "connection reset", behavior: fakeanthropic.Behavior{ResetConnection: true},
			wantServed: "b", wantStatus: 200, wantA: account.StatusAvailable, wantOnA: 1},

		// Overload: once more on a, then to the client; b is never asked.
		{name: "529 twice goes to the client", behavior: fakeanthropic.Behavior{Status: 529},
			wantServed: "a", wantStatus: 529, wantA: account.StatusActive, wantActive: "a", wantOnA: 2},
		{name: "529 once is retried on a", behavior: fakeanthropic.Behavior{Status: 529, Times: 1},
			wantServed: "a", wantStatus: 200, wantA: account.StatusActive, wantActive: "a", wantOnA: 2},

		// Anything else goes to the client.
		{name: "500 goes to the client", behavior: fakeanthropic.Behavior{Status: 500},
			wantServed: "a", wantStatus: 500, wantA: account.StatusActive, wantActive: "a", wantOnA: 1},
		{name: "400 goes to the client", behavior: fakeanthropic.Behavior{Status: 400},
			wantServed: "a", wantStatus: 400, wantA: account.StatusActive, wantActive: "a", wantOnA: 1},
		{name: "403 on OAuth goes to the client", kind: account.KindOAuth, behavior: fakeanthropic.Behavior{Status: 403},
			wantServed: "a", wantStatus: 403, wantA: account.StatusActive, wantActive: "a", wantOnA: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, "")
			credA := "sk-ant-api03-a-key"
			if tt.kind == account.KindOAuth {
				credA = "sk-ant-oat01-a"
				h.fake.AddOAuthToken(credA, time.Now().Add(time.Hour))
				h.addAccount("a", account.KindOAuth, creds.Secret{AccessToken: credA})
			} else {
				h.apiKeyAccount("a")
			}
			keyB := h.apiKeyAccount("b")
			h.fake.SetBehavior(credA, tt.behavior)
			if tt.quota != nil {
				h.fake.SetQuota(credA, *tt.quota)
			}
			before := time.Now()
			resp, body := h.post(msgBody)
			if served(resp) != tt.wantServed || resp.StatusCode != tt.wantStatus {
				t.Fatalf("served by %q with %d (%s), want %q with %d", served(resp), resp.StatusCode, body, tt.wantServed, tt.wantStatus)
			}
			if va := h.view("a"); va.Status != tt.wantA {
				t.Errorf("a is %s, want %s", va.Status, tt.wantA)
			}
			va := h.view("a")
			if !tt.wantUntil.IsZero() && !va.RateLimitedUntil.Equal(tt.wantUntil) {
				t.Errorf("rate limited until %v, want %v", va.RateLimitedUntil, tt.wantUntil)
			}
			if tt.untilNear > 0 {
				lo, hi := before.Add(tt.untilNear-time.Second), time.Now().Add(tt.untilNear+time.Second)
				if va.RateLimitedUntil.Before(lo) || va.RateLimitedUntil.After(hi) {
					t.Errorf("rate limited until %v, want about now+%v", va.RateLimitedUntil, tt.untilNear)
				}
			}
			for _, name := range []string{"a", "b"} {
				v := h.view(name)
				if running := !v.SessionExpiresAt.IsZero(); running != (name == tt.wantActive) {
					t.Errorf("%s's session running: %v, want the session on %q", name, running, tt.wantActive)
				}
			}
			var onA, onB int
			for _, s := range h.fake.Requests() {
				switch s.Credential {
				case credA:
					onA++
				case keyB:
					onB++
				}
			}
			if onA != tt.wantOnA || (tt.wantServed == "a" && onB != 0) {
				t.Errorf("the fake saw %d requests on a (want %d) and %d on b", onA, tt.wantOnA, onB)
			}
			if rows := h.rows(); tt.wantServed == "b" && (rows[0].Failovers != 1 || rows[0].AccountName != "b") {
				t.Errorf("row: failovers %d account %q", rows[0].Failovers, rows[0].AccountName)
			}
		})
	}
}

// TestHopLeavesTheSessionWhereItWas: a request-scoped 429 in the middle of
// a's session sends that one request to b; the next goes to a again, whose
// session and request count go on.
func TestHopLeavesTheSessionWhereItWas(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	keyA := h.apiKeyAccount("a")
	h.apiKeyAccount("b")
	h.mustServe(t, "a")
	start := h.view("a").SessionStart
	h.fake.SetBehavior(keyA, fakeanthropic.Behavior{Status: 429, Refusal: fakeanthropic.RefusalRequest, Times: 1})
	h.mustServe(t, "b")
	h.mustServe(t, "a")
	va, vb := h.view("a"), h.view("b")
	if !va.SessionStart.Equal(start) || va.SessionRequests != 2 || va.Status != account.StatusActive {
		t.Errorf("a: session %v (was %v), %d requests, %s; want the same session, 2 requests, active",
			va.SessionStart, start, va.SessionRequests, va.Status)
	}
	if !vb.SessionStart.IsZero() || vb.TotalRequests != 1 {
		t.Errorf("b: session start %v, %d requests; a hop starts no session but counts", vb.SessionStart, vb.TotalRequests)
	}
}

// TestEveryCandidateRequestScoped: when every account refuses the request
// itself, the last answer goes to the client as it is, and no account is
// marked.
func TestEveryCandidateRequestScoped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	for _, name := range []string{"a", "b"} {
		h.fake.SetBehavior(h.apiKeyAccount(name), fakeanthropic.Behavior{Status: 429, Refusal: fakeanthropic.RefusalRequest})
	}
	resp, body := h.post(msgBody)
	if resp.StatusCode != 429 || served(resp) != "b" || resp.Header.Get("X-Should-Retry") != "true" ||
		resp.Header.Get("Retry-After") != "" || !strings.Contains(body, `"message":"Error"`) {
		t.Fatalf("%d from %q (retry-after %q): %s; want b's own request-scoped 429", resp.StatusCode, served(resp),
			resp.Header.Get("Retry-After"), body)
	}
	for _, name := range []string{"a", "b"} {
		if v := h.view(name); v.Status != account.StatusAvailable || !v.SessionStart.IsZero() {
			t.Errorf("%s: %s, session %v; want available, no session", name, v.Status, v.SessionStart)
		}
	}
}

func TestAllRateLimitedAnswers429WithEarliestReset(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	early := time.Now().Add(10 * time.Minute).Truncate(time.Second)
	h.fake.SetBehavior(h.apiKeyAccount("a"), fakeanthropic.Behavior{Status: 429, RetryAfter: "1800"})
	h.fake.SetBehavior(h.apiKeyAccount("b"), fakeanthropic.Behavior{Status: 429, RetryAfter: early.UTC().Format(http.TimeFormat)})
	for round := range 2 { // first: both tried; second: none available
		resp, body := h.post(msgBody)
		if resp.StatusCode != 429 {
			t.Fatalf("round %d: status %d: %s", round, resp.StatusCode, body)
		}
		ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if wait := time.Until(early).Seconds(); float64(ra) < wait-2 || float64(ra) > wait+2 {
			t.Errorf("round %d: retry-after %d, want about %.0f", round, ra, wait)
		}
		var e struct {
			Type  string
			Error struct{ Type, Message string }
		}
		if json.Unmarshal([]byte(body), &e) != nil || e.Type != "error" || e.Error.Type != "rate_limit_error" ||
			!strings.Contains(e.Error.Message, early.UTC().Format(time.RFC3339)) {
			t.Errorf("round %d: body %s: want a rate_limit_error naming %s", round, body, early.UTC().Format(time.RFC3339))
		}
	}
	if n := len(h.fake.Requests()); n != 2 {
		t.Errorf("upstream saw %d requests, want 2 (none once all are limited)", n)
	}
}

func TestLastUpstreamAnswerGoesThroughWhenNotAllLimited(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.fake.SetBehavior(h.apiKeyAccount("a"), fakeanthropic.Behavior{Status: 429})
	h.fake.SetBehavior(h.apiKeyAccount("b"), fakeanthropic.Behavior{Status: 529})
	resp, body := h.post(msgBody)
	if resp.StatusCode != 529 || !strings.Contains(body, "overloaded_error") || served(resp) != "b" {
		t.Fatalf("status %d from %q: %s; want b's 529 unchanged", resp.StatusCode, served(resp), body)
	}
}

func TestNoAvailableAccountSaysWhatToDo(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.apiKeyAccount("a", func(a *account.Account) { a.Paused = true })
	h.apiKeyAccount("b", func(a *account.Account) { a.NeedsLogin = true })
	resp, body := h.post(msgBody)
	if resp.StatusCode != 503 || !strings.Contains(body, `"api_error"`) ||
		!strings.Contains(body, "accounts resume") || !strings.Contains(body, "accounts login") {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Errorf("upstream saw %d requests", n)
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		t.Errorf("Retry-After %q when only the user can bring an account back", ra)
	}
}

// TestAllCoolingDownSaysWhenToRetry: with every account cooling down after
// a failed token refresh, the 503 carries retry-after: the seconds to the
// first cooldown's end.
func TestAllCoolingDownSaysWhenToRetry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.apiKeyAccount("a")
	h.apiKeyAccount("b")
	now := time.Now()
	h.pool.Cooldown("id-a", now, now.Add(proxy.RefreshBackoff))
	h.pool.Cooldown("id-b", now, now.Add(20*time.Second))
	resp, body := h.post(msgBody)
	if resp.StatusCode != 503 || !strings.Contains(body, `"api_error"`) || !strings.Contains(body, "token refresh") {
		t.Fatalf("status %d: %s; want 503 saying the refreshes are tried again", resp.StatusCode, body)
	}
	ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || ra < 19 || ra > 20 {
		t.Errorf("Retry-After %q, want 20 (seconds to the end of b's cooldown)", resp.Header.Get("Retry-After"))
	}
}

func TestAllUnreachableIsBadGateway(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "http://127.0.0.1:1") // nothing listens on port 1
	h.addAccount("a", account.KindAPIKey, creds.Secret{APIKey: "k"})
	resp, body := h.post(msgBody)
	if resp.StatusCode != 502 || !strings.Contains(body, "api_error") {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if v := h.view("a"); v.Status != account.StatusAvailable {
		t.Errorf("a is %s: a refused connection must not change the account", v.Status)
	}
}

func TestSessionStickinessAndNoHopBack(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	keyA := h.apiKeyAccount("a")
	h.apiKeyAccount("b")
	for range 3 {
		h.mustServe(t, "a")
	}
	h.fake.SetBehavior(keyA, fakeanthropic.Behavior{Status: 429, RetryAfter: "60", Times: 1})
	h.mustServe(t, "b")
	h.clock.Advance(61 * time.Second) // a's limit has passed…
	if v := h.view("a"); v.Status != account.StatusAvailable {
		t.Fatalf("a is %s after its reset, want available", v.Status)
	}
	for range 3 {
		h.mustServe(t, "b") // …but a recovered account does not take traffic back mid-session
	}
	if v := h.view("b"); v.SessionRequests != 4 {
		t.Errorf("b's session requests %d, want 4", v.SessionRequests)
	}
}

func TestSessionDurationChangeAppliesToNextRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.apiKeyAccount("a", func(a *account.Account) { a.SessionStart = time.Now().Add(-2 * time.Hour) })
	h.apiKeyAccount("b")
	if resp, _ := h.post(msgBody); served(resp) != "a" {
		t.Fatalf("served by %q: a's 2-hour-old session is unexpired under 5 h", served(resp))
	}
	h.setConfig(func(c *config.Config) { c.SessionDurationMS = int64(time.Hour / time.Millisecond) })
	if resp, _ := h.post(msgBody); served(resp) != "b" {
		t.Fatalf("served by %q: with 1-hour sessions a's has expired and b takes its turn", served(resp))
	}
}

func TestClientDisconnectCancelsUpstreamAndLogs499(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.fake.SetBehavior(h.apiKeyAccount("a"), fakeanthropic.Behavior{HangBeforeHeaders: true})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.srv.URL+"/v1/messages", strings.NewReader(msgBody))
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	testkit.WaitFor(t, "the upstream to receive the request", func() bool { return len(h.fake.Requests()) == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("client error %v", err)
	}
	testkit.WaitFor(t, "a 499 row", func() bool {
		rows := h.rows()
		return len(rows) == 1 && rows[0].Status == 499 && rows[0].AccountName == "a"
	})
	if v := h.view("a"); v.Status == account.StatusNeedsLogin || v.Status == account.StatusRateLimited {
		t.Errorf("a client hanging up must not change the account: %s", v.Status)
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.apiKeyAccount("a")
	big := bytes.Repeat([]byte("x"), 32<<20+1)
	resp, err := http.Post(h.srv.URL+"/v1/messages", "application/json", bytes.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 || !strings.Contains(string(b), "request_too_large") {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	// Chunked (no Content-Length): the limit still holds while reading.
	pr, pw := io.Pipe()
	go func() { pw.Write(big); pw.Close() }()
	resp, err = http.Post(h.srv.URL+"/v1/messages", "application/json", pr)
	if err == nil {
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Fatalf("chunked: status %d: %s", resp.StatusCode, b)
		}
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Errorf("upstream saw %d oversize requests", n)
	}
	// Exactly 32 MiB is accepted and forwarded (the fake then judges it).
	resp, _ = h.post(string(bytes.Repeat([]byte(" "), 32<<20-len(msgBody))) + msgBody)
	if resp.StatusCode == 413 && served(resp) == "none" {
		t.Errorf("a 32 MiB body was refused by the proxy")
	}
}

// TestUpstreamCutMidStreamCutsTheClient: a broken upstream stream must not
// look complete to the client.
func TestUpstreamCutMidStreamCutsTheClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.fake.SetBehavior(h.apiKeyAccount("a"), fakeanthropic.Behavior{CutMidStream: true})
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/v1/messages", strings.NewReader(streamBody))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Fatalf("client read a clean end after the upstream broke: %q", b)
	}
	if !strings.Contains(string(b), "message_start") {
		t.Errorf("events before the break were lost: %q", b)
	}
	rows := h.rows()
	if len(rows) != 1 || !strings.Contains(rows[0].Error, "upstream stream broke") {
		t.Fatalf("rows %+v", rows)
	}
}

// TestExhaustionAnswerCarriesTheLimitHeaders: with every account spent, the
// proxy's 429 carries the anthropic-ratelimit-unified-* headers of the
// account that resets first, as its own 429 carried them, with an honest
// retry-after, so that Claude Code names the limit and its reset. Once every
// account is known to be limited, nothing goes upstream.
func TestExhaustionAnswerCarriesTheLimitHeaders(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	now := h.clock.Now()
	weekly, fiveHour := now.Add(50*time.Hour).Truncate(time.Second), now.Add(2*time.Hour).Truncate(time.Second)
	for _, a := range []struct {
		name  string
		quota fakeanthropic.Quota
	}{
		{"a", fakeanthropic.Quota{FiveHour: 0.4, SevenDay: 1.0, SevenDayReset: weekly}},
		{"b", fakeanthropic.Quota{FiveHour: 1.01, SevenDay: 0.69, FiveHourReset: fiveHour}},
	} {
		tok := "sk-ant-oat01-" + a.name
		h.fake.AddOAuthToken(tok, now.Add(100*time.Hour))
		h.fake.SetQuota(tok, a.quota)
		h.addAccount(a.name, account.KindOAuth, creds.Secret{AccessToken: tok})
	}
	var upstreamB http.Header
	for round := range 2 { // first: both tried; second: none is asked
		resp, body := h.post(msgBody)
		if resp.StatusCode != 429 || !strings.Contains(body, `"rate_limit_error"`) || served(resp) != "none" {
			t.Fatalf("round %d: %d from %q: %s", round, resp.StatusCode, served(resp), body)
		}
		if round == 0 {
			seen := h.fake.Requests()
			if len(seen) != 2 {
				t.Fatalf("upstream saw %d requests, want 2", len(seen))
			}
		}
		checks := map[string]string{
			"Anthropic-Ratelimit-Unified-Status":               "rejected",
			"Anthropic-Ratelimit-Unified-Reset":                strconv.FormatInt(fiveHour.Unix(), 10),
			"Anthropic-Ratelimit-Unified-Representative-Claim": "five_hour",
			"Anthropic-Ratelimit-Unified-5h-Status":            "rejected",
			"Anthropic-Ratelimit-Unified-5h-Utilization":       "1.01",
			"Anthropic-Ratelimit-Unified-7d-Utilization":       "0.69",
			"Anthropic-Ratelimit-Unified-Overage-Status":       "rejected",
		}
		for k, want := range checks {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("round %d: %s = %q, want b's own %q", round, k, got, want)
			}
		}
		ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if wait := fiveHour.Sub(h.clock.Now()).Seconds(); float64(ra) < wait-2 || float64(ra) > wait+2 {
			t.Errorf("round %d: retry-after %d, want about %.0f (b's reset)", round, ra, wait)
		}
		if !strings.Contains(body, fiveHour.UTC().Format(time.RFC3339)) {
			t.Errorf("round %d: body %s does not name the earliest reset", round, body)
		}
		upstreamB = resp.Header
	}
	if n := len(h.fake.Requests()); n != 2 {
		t.Errorf("upstream saw %d requests, want 2 (none once all are limited)", n)
	}
	// The headers survive a restart: a new pool loaded from the database.
	h.writer.Flush(context.Background())
	list, err := h.db.Accounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		if a.Name == "b" && (a.LimitHeaders.Get("Anthropic-Ratelimit-Unified-Reset") != upstreamB.Get("Anthropic-Ratelimit-Unified-Reset") ||
			!a.RateLimitedUntil.Equal(fiveHour)) {
			t.Errorf("b as stored: limited until %v, headers %v", a.RateLimitedUntil, a.LimitHeaders)
		}
		if a.Name == "a" && a.Quota[account.WindowSevenDay].Utilization != 1.0 {
			t.Errorf("a's quota as stored: %v", a.Quota)
		}
	}
}

// TestCompressedUpstreamAnswer: Anthropic compresses answers for clients
// that accept gzip. Whatever the client asks, the proxy reads the usage of a
// compressed answer and the client gets a body it can read.
func TestCompressedUpstreamAnswer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.apiKeyAccount("a")
	for _, accept := range []string{"", "gzip, deflate, br"} {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/v1/messages", strings.NewReader(msgBody))
		req.Header.Set("Content-Type", "application/json")
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), fakeanthropic.ReplyText) {
			t.Fatalf("accept %q: %d, encoding %q, body %q", accept, resp.StatusCode, resp.Header.Get("Content-Encoding"), body)
		}
	}
	seen := h.fake.Requests()
	if len(seen) != 2 || !strings.Contains(seen[0].Header.Get("Accept-Encoding"), "gzip") {
		t.Fatalf("upstream requests %d, accept-encoding %q: the fake must have been asked for gzip", len(seen), seen[0].Header.Get("Accept-Encoding"))
	}
	for _, row := range h.rows() {
		if row.OutputTokens != fakeanthropic.OutputTokens || row.CacheReadTokens != fakeanthropic.CacheReadInputTokens {
			t.Errorf("row usage %+v: the usage of a compressed answer was not read", row)
		}
	}
}
