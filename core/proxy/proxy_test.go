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

func TestFailoverTable(t *testing.T) {
	t.Parallel()
	reset := time.Now().Add(42 * time.Minute).Truncate(time.Second)
	tests := []struct {
		name       string
		kind       account.Kind
		behavior   fakeanthropic.Behavior
		wantServed string
		wantStatus account.Status
		wantUntil  time.Time // rate-limit reset, to the second; zero to skip
		untilNear  time.Duration
	}{
		{name: "429 with unified reset (oauth)", kind: account.KindOAuth,
			behavior: fakeanthropic.Behavior{Status: 429, RateLimitReset: reset}, wantServed: "b",
			wantStatus: account.StatusRateLimited, wantUntil: reset},
		{name: "429 with retry-after seconds", behavior: fakeanthropic.Behavior{Status: 429, RetryAfter: "120"},
			wantServed: "b", wantStatus: account.StatusRateLimited, untilNear: 120 * time.Second},
		{name: "429 with retry-after date", behavior: fakeanthropic.Behavior{Status: 429, RetryAfter: reset.UTC().Format(http.TimeFormat)},
			wantServed: "b", wantStatus: account.StatusRateLimited, wantUntil: reset},
		{name: "429 without headers: 60 s", behavior: fakeanthropic.Behavior{Status: 429},
			wantServed: "b", wantStatus: account.StatusRateLimited, untilNear: 60 * time.Second},
		{name: "529 overloaded: cooldown", behavior: fakeanthropic.Behavior{Status: 529},
			wantServed: "b", wantStatus: account.StatusCooldown},
		{name: "401 on an API key: needs a new key", behavior: fakeanthropic.Behavior{Status: 401},
			wantServed: "b", wantStatus: account.StatusNeedsLogin},
		{name: "403 on an API key: needs a new key", behavior: fakeanthropic.Behavior{Status: 403},
			wantServed: "b", wantStatus: account.StatusNeedsLogin},
		{name: "401 on OAuth without refresh: needs login", kind: account.KindOAuth, behavior: fakeanthropic.Behavior{Status: 401},
			wantServed: "b", wantStatus: account.StatusNeedsLogin},
		{name: "connection reset: next, no state change", behavior: fakeanthropic.Behavior{ResetConnection: true},
			wantServed: "b", wantStatus: account.StatusAvailable},
		{name: "500 goes to the client", behavior: fakeanthropic.Behavior{Status: 500},
			wantServed: "a", wantStatus: account.StatusActive},
		{name: "400 goes to the client", behavior: fakeanthropic.Behavior{Status: 400},
			wantServed: "a", wantStatus: account.StatusActive},
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
			h.apiKeyAccount("b")
			h.fake.SetBehavior(credA, tt.behavior)
			before := time.Now()
			resp, body := h.post(msgBody)
			if served(resp) != tt.wantServed {
				t.Fatalf("served by %q (status %d: %s), want %q", served(resp), resp.StatusCode, body, tt.wantServed)
			}
			if tt.wantServed == "b" && resp.StatusCode != 200 {
				t.Errorf("client saw %d after failover: %s", resp.StatusCode, body)
			}
			if tt.wantServed == "a" && resp.StatusCode != tt.behavior.Status {
				t.Errorf("client saw %d, want the upstream's %d", resp.StatusCode, tt.behavior.Status)
			}
			va := h.view("a")
			if va.Status != tt.wantStatus {
				t.Errorf("a is %s, want %s", va.Status, tt.wantStatus)
			}
			if !tt.wantUntil.IsZero() && !va.RateLimitedUntil.Equal(tt.wantUntil) {
				t.Errorf("rate limited until %v, want %v", va.RateLimitedUntil, tt.wantUntil)
			}
			if tt.untilNear > 0 {
				lo, hi := before.Add(tt.untilNear-time.Second), time.Now().Add(tt.untilNear+time.Second)
				if va.RateLimitedUntil.Before(lo) || va.RateLimitedUntil.After(hi) {
					t.Errorf("rate limited until %v, want about now+%v", va.RateLimitedUntil, tt.untilNear)
				}
			}
			if tt.wantServed == "b" {
				if vb := h.view("b"); vb.Status != account.StatusActive {
					t.Errorf("b is %s after failover, want active", vb.Status)
				}
				if rows := h.rows(); rows[0].Failovers != 1 || rows[0].AccountName != "b" {
					t.Errorf("row: failovers %d account %q", rows[0].Failovers, rows[0].AccountName)
				}
			}
		})
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
// a 529, the 503 carries retry-after: the seconds to the first cooldown's end.
func TestAllCoolingDownSaysWhenToRetry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.fake.SetBehavior(h.apiKeyAccount("a"), fakeanthropic.Behavior{Status: 529})
	h.fake.SetBehavior(h.apiKeyAccount("b"), fakeanthropic.Behavior{Status: 529})
	if resp, _ := h.post(msgBody); resp.StatusCode != 529 {
		t.Fatalf("first request: %d, want the upstream's 529", resp.StatusCode)
	}
	resp, body := h.post(msgBody)
	if resp.StatusCode != 503 || !strings.Contains(body, `"api_error"`) || !strings.Contains(body, "cool down") {
		t.Fatalf("status %d: %s; want 503 saying the accounts cool down", resp.StatusCode, body)
	}
	ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 30 {
		t.Errorf("Retry-After %q, want 1…30 (seconds to the end of a 30 s cooldown)", resp.Header.Get("Retry-After"))
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
	for i := range 3 {
		if resp, _ := h.post(msgBody); served(resp) != "a" {
			t.Fatalf("request %d served by %q, want a", i, served(resp))
		}
	}
	h.fake.SetBehavior(keyA, fakeanthropic.Behavior{Status: 529})
	if resp, _ := h.post(msgBody); served(resp) != "b" {
		t.Fatalf("after a's 529 served by %q, want b", served(resp))
	}
	h.fake.SetBehavior(keyA, fakeanthropic.Behavior{})
	h.pool.Cooldown("id-a", time.Now(), time.Now()) // a recovers now
	for i := range 3 {
		if resp, _ := h.post(msgBody); served(resp) != "b" {
			t.Fatalf("request %d after recovery served by %q: a recovered account must not take traffic back mid-session", i, served(resp))
		}
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
