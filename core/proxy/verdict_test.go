package proxy

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
)

// capturedAnswer is one entry of testdata/anthropic-answers.json: answers
// as Anthropic sends them (from peers' published captures; each entry says
// how sure it is). Times are relative: {"reset_in_s": N} is N seconds after
// the answer.
type capturedAnswer struct {
	Name    string                     `json:"name"`
	Status  int                        `json:"status"`
	Headers map[string]json.RawMessage `json:"headers"`
	Body    json.RawMessage            `json:"body"`
	Source  string                     `json:"source"`
}

// capturedAnswersPath is the repository's one copy of the captures; the fake
// is tested against the same file.
const capturedAnswersPath = "../../internal/fakeanthropic/testdata/anthropic-answers.json"

// loadCaptured reads the captured answers by name, with their headers as
// Go's client would hand them over (canonical names, relative times
// resolved against now).
func loadCaptured(t testing.TB, now time.Time) map[string]Answer {
	t.Helper()
	data, err := os.ReadFile(capturedAnswersPath)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Answers []capturedAnswer `json:"answers"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	out := make(map[string]Answer, len(file.Answers))
	for _, c := range file.Answers {
		h := http.Header{}
		for k, raw := range c.Headers {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				h.Set(k, s)
				continue
			}
			var rel struct {
				ResetIn int64 `json:"reset_in_s"`
			}
			if err := json.Unmarshal(raw, &rel); err != nil {
				t.Fatalf("%s: header %s: %s", c.Name, k, raw)
			}
			h.Set(k, strconv.FormatInt(now.Unix()+rel.ResetIn, 10))
		}
		a := Answer{Status: c.Status, Header: h}
		var body struct {
			Error struct{ Type string } `json:"error"`
		}
		if len(c.Body) > 0 && json.Unmarshal(c.Body, &body) == nil {
			a.ErrorType = body.Error.Type
		}
		out[c.Name] = a
	}
	if len(out) < 7 {
		t.Fatalf("only %d captured answers", len(out))
	}
	return out
}

// TestDecide is docs/DESIGN.md, "What an answer means" failover table, row by row, with answers shaped
// exactly as Anthropic sends them.
func TestDecide(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	captured := loadCaptured(t, now)
	with := func(name string, kind account.Kind, f func(*Answer)) Answer {
		a, ok := captured[name]
		if !ok {
			t.Fatalf("no captured answer %q", name)
		}
		a.Kind, a.Header = kind, a.Header.Clone()
		if f != nil {
			f(&a)
		}
		return a
	}
	plain := func(status int, kind account.Kind, kv ...string) Answer {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return Answer{Status: status, Header: h, Kind: kind}
	}
	oauth, key := account.KindOAuth, account.KindAPIKey
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	overloaded503 := plain(503, key)
	overloaded503.ErrorType = "overloaded_error"

	tests := []struct {
		name    string
		answer  Answer
		account AccountEffect
		until   time.Time // for the marking effects
		request RequestEffect
		moves   bool
	}{
		// 429s that carry the account's limit: mark it, move the session.
		{"spent five-hour window: until the unified reset, not retry-after", with("spent five-hour window", oauth, nil),
			RateLimitAccount, now.Add(7835 * time.Second), Next, true},
		{"spent weekly window", with("spent weekly window", oauth, nil),
			RateLimitAccount, now.Add(200000 * time.Second), Next, true},
		{"spent window without a reset header: retry-after", with("spent five-hour window", oauth, func(a *Answer) {
			a.Header.Del("Anthropic-Ratelimit-Unified-Reset")
		}), RateLimitAccount, now.Add(7835 * time.Second), Next, true},
		{"spent window with neither: 60 s", with("spent five-hour window", oauth, func(a *Answer) {
			a.Header.Del("Anthropic-Ratelimit-Unified-Reset")
			a.Header.Del("Retry-After")
		}), RateLimitAccount, now.Add(DefaultRateLimit), Next, true},
		{"unified status in another case", with("spent five-hour window", oauth, func(a *Answer) {
			a.Header.Set("Anthropic-Ratelimit-Unified-Status", " Rejected ")
		}), RateLimitAccount, now.Add(7835 * time.Second), Next, true},
		{"API key 429 with retry-after seconds", plain(429, key, "Retry-After", "120", "Anthropic-Ratelimit-Requests-Remaining", "0"),
			RateLimitAccount, now.Add(120 * time.Second), Next, true},
		{"API key 429 with retry-after date", plain(429, key, "Retry-After", now.Add(42*time.Minute).Format(http.TimeFormat)),
			RateLimitAccount, now.Add(42 * time.Minute), Next, true},
		{"API key 429 with tokens remaining 0 and no retry-after", plain(429, key, "Anthropic-Ratelimit-Tokens-Remaining", "0",
			"Anthropic-Ratelimit-Requests-Remaining", "17"), RateLimitAccount, now.Add(DefaultRateLimit), Next, true},

		// 429s about this request only: a hop, nothing marked, the session stays.
		{"request-scoped 429 (only x-should-retry)", with("request-scoped 429", oauth, nil), KeepAccount, time.Time{}, Next, false},
		{"request-scoped 429 on an API key", with("request-scoped 429", key, nil), KeepAccount, time.Time{}, Next, false},
		{"entitlement 429 (unified status allowed)", with("entitlement 429", oauth, nil), KeepAccount, time.Time{}, Next, false},
		{"429 with unified headers but no status", plain(429, oauth, "Anthropic-Ratelimit-Unified-5h-Utilization", "0.3"),
			KeepAccount, time.Time{}, Next, false},
		{"API key 429 with requests remaining", plain(429, key, "Anthropic-Ratelimit-Requests-Remaining", "12"),
			KeepAccount, time.Time{}, Next, false},

		// Overload: Anthropic's capacity. Once more on the same account, then to the client.
		{"529 overloaded", with("overloaded", oauth, nil), KeepAccount, time.Time{}, Retry, false},
		{"529 overloaded, already retried", with("overloaded", oauth, func(a *Answer) { a.Overloaded = true }),
			KeepAccount, time.Time{}, Serve, false},
		{"529 on an API key", with("overloaded", key, nil), KeepAccount, time.Time{}, Retry, false},
		{"overloaded_error with another status", overloaded503, KeepAccount, time.Time{}, Retry, false},

		// Refused credentials.
		{"401 on OAuth: refresh and retry", plain(401, oauth), RefreshAccount, time.Time{}, Retry, false},
		{"401 on OAuth after a refresh: needs login", func() Answer { a := plain(401, oauth); a.Refreshed = true; return a }(),
			NeedsLoginAccount, time.Time{}, Next, true},
		{"401 on an API key", plain(401, key), NeedsLoginAccount, time.Time{}, Next, true},
		{"403 on an API key", plain(403, key), NeedsLoginAccount, time.Time{}, Next, true},
		{"403 on OAuth goes to the client", plain(403, oauth), KeepAccount, time.Time{}, Serve, false},

		// No answer: a hop.
		{"connection refused", Answer{Err: refused, Kind: key}, KeepAccount, time.Time{}, Next, false},
		{"timeout before headers", Answer{Err: errors.New("net/http: timeout awaiting response headers"), Kind: oauth},
			KeepAccount, time.Time{}, Next, false},

		// Everything else goes to the client; the quota is recorded elsewhere.
		{"200 near a limit", with("success near a limit", oauth, nil), KeepAccount, time.Time{}, Serve, false},
		{"200 with a model's own window", with("model-scoped weekly window on that model's answers", oauth, nil),
			KeepAccount, time.Time{}, Serve, false},
		{"400", plain(400, key), KeepAccount, time.Time{}, Serve, false},
		{"404", plain(404, oauth), KeepAccount, time.Time{}, Serve, false},
		{"500", plain(500, oauth), KeepAccount, time.Time{}, Serve, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := Decide(tt.answer, now)
			if v.Account != tt.account || v.Request != tt.request || v.MovesSession != tt.moves {
				t.Errorf("verdict %+v; want account %d, request %d, moves session %v", v, tt.account, tt.request, tt.moves)
			}
			if !v.Until.Equal(tt.until) {
				t.Errorf("until %v, want %v", v.Until, tt.until)
			}
			if v.Request != Serve && v.Reason == "" {
				t.Error("a verdict that moves the request must say why")
			}
			if v.Request == Retry && tt.account == KeepAccount && (v.Pause <= 0 || v.Pause > time.Second) {
				t.Errorf("overload pause %v, want (0, 1s]", v.Pause)
			}
		})
	}
}

func TestOverloadPauseHonoursShortRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		retryAfter string
		want       time.Duration
	}{
		{"", OverloadPause},
		{"0.2", 200 * time.Millisecond},
		{"1", time.Second},
		{"5", OverloadPause}, // longer than we hold a request: our own pause
		{"soon", OverloadPause},
	} {
		h := http.Header{}
		if tt.retryAfter != "" {
			h.Set("Retry-After", tt.retryAfter)
		}
		v := Decide(Answer{Status: 529, Header: h}, now)
		if v.Pause != tt.want {
			t.Errorf("retry-after %q: pause %v, want %v", tt.retryAfter, v.Pause, tt.want)
		}
	}
}

func TestRefreshOutcome(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	if v := RefreshOutcome(ErrNeedsLogin, true, now); v.Account != NeedsLoginAccount || v.Request != Next || !v.MovesSession {
		t.Errorf("refused: %+v", v)
	}
	v := RefreshOutcome(errors.New("token endpoint answered 500"), false, now)
	if v.Account != CooldownAccount || !v.Until.Equal(now.Add(RefreshBackoff)) || v.Request != Next || !v.MovesSession {
		t.Errorf("failed: %+v", v)
	}
}

// TestParseQuota reads every window the captured answers report.
func TestParseQuota(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	captured := loadCaptured(t, now)
	at := func(s int64) time.Time { return now.Add(time.Duration(s) * time.Second) }
	tests := []struct {
		answer string
		want   account.Quota
	}{
		{"spent five-hour window", account.Quota{
			account.WindowFiveHour: {Utilization: 1.01, ResetsAt: at(7835), Status: "rejected"},
			account.WindowSevenDay: {Utilization: 0.69, ResetsAt: at(380000), Status: "allowed"},
		}},
		{"success near a limit", account.Quota{
			account.WindowFiveHour: {Utilization: 0.86, ResetsAt: at(5400), Status: "allowed_warning"},
			account.WindowSevenDay: {Utilization: 0.41, ResetsAt: at(300000), Status: "allowed"},
		}},
		{"entitlement 429", account.Quota{
			account.WindowFiveHour: {Utilization: 0.22, Status: "allowed"},
			account.WindowSevenDay: {Utilization: 0.31, Status: "allowed"},
		}},
		{"model-scoped weekly window on that model's answers", account.Quota{
			"7d_oi": {Utilization: 0.63, ResetsAt: at(250000), Status: "allowed"},
		}},
		{"request-scoped 429", nil},
		{"overloaded", nil},
	}
	for _, tt := range tests {
		got := parseQuota(captured[tt.answer].Header)
		if !got.Equal(tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("%s: quota %v, want %v", tt.answer, got, tt.want)
		}
	}
	// Garbage never becomes a window.
	h := http.Header{}
	h.Set("Anthropic-Ratelimit-Unified-5h-Utilization", "lots")
	h.Set("Anthropic-Ratelimit-Unified--Utilization", "0.5")
	h.Set("Anthropic-Ratelimit-Unified-7d-Utilization", "-0.5")
	h.Set("Anthropic-Ratelimit-Unified-7d_oi-Utilization", "NaN")
	if q := parseQuota(h); q != nil {
		t.Errorf("garbage parsed as %v", q)
	}
}

// TestUnifiedHeadersKeepsOnlyTheQuota: the headers kept to replay are the
// unified ones, copied.
func TestUnifiedHeadersKeepsOnlyTheQuota(t *testing.T) {
	t.Parallel()
	captured := loadCaptured(t, time.Now())
	src := captured["spent five-hour window"].Header
	got := unifiedHeaders(src)
	if got.Get("Retry-After") != "" || got.Get("X-Should-Retry") != "" {
		t.Errorf("kept a header that is not the quota's: %v", got)
	}
	if len(got) != len(src)-2 || got.Get("Anthropic-Ratelimit-Unified-Representative-Claim") != "five_hour" {
		t.Errorf("kept %d of %d headers: %v", len(got), len(src), got)
	}
	got["Anthropic-Ratelimit-Unified-Status"][0] = "changed"
	if src.Get("Anthropic-Ratelimit-Unified-Status") != "rejected" {
		t.Error("the copy shares its values with the answer")
	}
	if unifiedHeaders(captured["request-scoped 429"].Header) != nil {
		t.Error("headers kept from an answer without quota")
	}
}

// FuzzDecide: whatever a 429's headers say, a spent account is out for a
// while in the future and never for more than a week and a day, and the
// quota read from them holds only plausible windows.
func FuzzDecide(f *testing.F) {
	f.Add("rejected", "1795651200", "7835", "1.01", "five_hour")
	f.Add("allowed", "", "", "0.22", "")
	f.Add("", "-5", "Wed, 25 Nov 2026 12:10:00 GMT", "NaN", "seven_day")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status, reset, retry, util, claim string) {
		h := http.Header{}
		for k, v := range map[string]string{
			"Anthropic-Ratelimit-Unified-Status": status, "Anthropic-Ratelimit-Unified-Reset": reset, "Retry-After": retry,
			"Anthropic-Ratelimit-Unified-5h-Utilization": util, "Anthropic-Ratelimit-Unified-5h-Reset": reset,
			"Anthropic-Ratelimit-Unified-Representative-Claim": claim,
		} {
			if v != "" {
				h.Set(k, v)
			}
		}
		for _, kind := range []account.Kind{account.KindOAuth, account.KindAPIKey} {
			v := Decide(Answer{Status: 429, Header: h, Kind: kind}, now)
			if v.Request != Next {
				t.Fatalf("a 429 must move the request on: %+v", v)
			}
			if v.Account == RateLimitAccount && (!v.Until.After(now) || v.Until.Sub(now) > maxRateLimit) {
				t.Fatalf("limited until %v: must be in (now, now+%v]", v.Until, maxRateLimit)
			}
			if v.Account != RateLimitAccount && v.MovesSession {
				t.Fatalf("the session moves without a mark: %+v", v)
			}
		}
		for name, w := range parseQuota(h) {
			if w.Utilization < 0 || w.Utilization > 1000 || w.Utilization != w.Utilization || name == "" {
				t.Fatalf("window %q: %+v", name, w)
			}
		}
	})
}
