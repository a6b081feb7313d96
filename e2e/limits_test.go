package e2e

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

// The field-true limits (docs/DESIGN.md, "What an answer means", "Quota windows") through a real `claudeflare serve`
// against the fake answering as Anthropic does.

// oauthAccount logs a Claude account in (its own login at the fake) and
// returns its access token, with which the fake's quota for it is set.
func (ls *loginSandbox) oauthAccount(t *testing.T, name string) string {
	t.Helper()
	ls.Fake.SetLoginAccount(name + "@example.com")
	ls.login(t, "accounts", "add", name)
	tok := ls.secretOf(t, name).AccessToken
	if tok == "" {
		t.Fatalf("%s has no access token", name)
	}
	return tok
}

// limitJSON is a quota window of GET /api/accounts (docs/DESIGN.md, "Quota windows").
type limitJSON struct {
	Utilization float64    `json:"utilization"`
	ResetsAt    *time.Time `json:"resets_at"`
	Status      string     `json:"status"`
}

// limitsOf returns GET /api/accounts' limits of account name.
func (in *instance) limitsOf(t *testing.T, name string) map[string]limitJSON {
	t.Helper()
	var list []struct {
		Name   string               `json:"name"`
		Limits map[string]limitJSON `json:"limits"`
	}
	in.getJSON(t, "/api/accounts", &list)
	for _, a := range list {
		if a.Name == name {
			return a.Limits
		}
	}
	t.Fatalf("no account %q", name)
	return nil
}

// TestClaudeCodeNamesTheSpentLimit: with every account spent, the real
// Claude Code CLI in subscription mode prints its own limit message (which
// limit, when it resets) through the proxy, as it does talking to Anthropic
// directly; without the replayed unified headers it would say "not your
// usage limit".
func TestClaudeCodeNamesTheSpentLimit(t *testing.T) {
	t.Parallel()
	bin := claudeBin(t)
	ls := newLoginSandbox(t, fakeanthropic.Options{})
	now := time.Now()
	fiveHourReset := now.Add(2*time.Hour + 30*time.Minute).Truncate(time.Minute)
	ls.Fake.SetQuota(ls.oauthAccount(t, "work"), fakeanthropic.Quota{FiveHour: 1.01, SevenDay: 0.69, FiveHourReset: fiveHourReset})
	ls.Fake.SetQuota(ls.oauthAccount(t, "home"), fakeanthropic.Quota{FiveHour: 0.3, SevenDay: 1.0, SevenDayReset: now.Add(80 * time.Hour)})
	in := ls.serveLogin(t)
	tp := newTap(t, strings.TrimPrefix(in.URL(), "http://"))

	run := runClaudeEnv(t, bin, "say hi", "ANTHROPIC_BASE_URL="+tp.URL(),
		"CLAUDE_CODE_OAUTH_TOKEN=sk-ant-oat01-claudeflare-placeholder")
	out := run.Stdout + run.Stderr
	t.Logf("claude -p printed:\n%s", out)
	for _, ex := range tp.Exchanges() {
		t.Logf("claude → proxy: %s (retry-after %q, claim %q)", ex, ex.Resp.Header.Get("retry-after"),
			ex.Resp.Header.Get("anthropic-ratelimit-unified-representative-claim"))
	}
	if !strings.Contains(out, "You've hit your") || !strings.Contains(out, "limit") || !strings.Contains(out, "resets") {
		t.Errorf("Claude Code did not print its own limit message (\"You've hit your … limit · resets …\")")
	}
	if strings.Contains(out, "not your usage limit") {
		t.Errorf("Claude Code said the opposite of the truth: %q", out)
	}
	exs := tp.Exchanges()
	if len(exs) == 0 || exs[0].Resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("Claude Code got no 429 from the proxy: %v", exs)
	}
	first := exs[0].Resp.Header
	if first.Get("anthropic-ratelimit-unified-status") != "rejected" ||
		first.Get("anthropic-ratelimit-unified-representative-claim") != "five_hour" ||
		first.Get("anthropic-ratelimit-unified-reset") != strconv.FormatInt(fiveHourReset.Unix(), 10) {
		t.Errorf("the proxy's 429 should carry work's own unified headers (it resets first): %v", first)
	}
	if ra, _ := strconv.Atoi(first.Get("retry-after")); math.Abs(float64(ra)-time.Until(fiveHourReset).Seconds()) > 5 {
		t.Errorf("retry-after %q, want the seconds to work's reset (%.0f)", first.Get("retry-after"), time.Until(fiveHourReset).Seconds())
	}
	// Claude Code stops at a retry-after over a minute: one request per account reached the fake.
	if n := len(seenMessages(ls.Fake)); n != 2 {
		t.Errorf("the fake saw %d requests, want 2 (each account once, then both known spent)", n)
	}
}

// TestSpentWindowAcrossRestart: a spent five-hour window moves the session
// to the other account; the account's limits match the headers, show in
// `accounts list` and /metrics, and survive a restart, after which the spent
// account is not asked again before its reset.
func TestSpentWindowAcrossRestart(t *testing.T) {
	t.Parallel()
	ls := newLoginSandbox(t, fakeanthropic.Options{})
	reset := time.Now().Add(3 * time.Hour).Truncate(time.Second)
	weekly := time.Now().Add(100 * time.Hour).Truncate(time.Second)
	tokWork := ls.oauthAccount(t, "work")
	tokHome := ls.oauthAccount(t, "home")
	ls.Fake.SetQuota(tokWork, fakeanthropic.Quota{FiveHour: 0.5, SevenDay: 0.2, FiveHourReset: reset, SevenDayReset: weekly})
	ls.Fake.SetQuota(tokHome, fakeanthropic.Quota{FiveHour: 0.1, SevenDay: 0.43, SevenDayReset: weekly,
		Extra: []fakeanthropic.QuotaWindow{{Name: "7d_oi", Utilization: 0.63, Reset: weekly}}})
	in := ls.serveLogin(t)
	in.mustServeFrom(t, "work")

	ls.Fake.SetQuota(tokWork, fakeanthropic.Quota{FiveHour: 1.01, SevenDay: 0.69, FiveHourReset: reset, SevenDayReset: weekly})
	in.mustServeFrom(t, "home")
	accts, _ := in.accounts(t)
	checkStatus(t, accts, "work", "rate_limited")
	checkStatus(t, accts, "home", "active")
	if u := accts["work"].RateLimitedUntil; u == nil || !u.Equal(reset) {
		t.Errorf("work rate limited until %v, want the unified reset %v", u, reset)
	}

	checkLimits := func(when string) {
		t.Helper()
		work, home := in.limitsOf(t, "work"), in.limitsOf(t, "home")
		want := map[string]map[string]limitJSON{
			"work": {"five_hour": {1.01, &reset, "rejected"}, "seven_day": {0.69, &weekly, "allowed"}},
			"home": {"seven_day": {0.43, &weekly, "allowed"}, "7d_oi": {0.63, &weekly, "allowed"}},
		}
		for name, got := range map[string]map[string]limitJSON{"work": work, "home": home} {
			for w, lw := range want[name] {
				g, ok := got[w]
				if !ok || g.Utilization != lw.Utilization || g.Status != lw.Status || g.ResetsAt == nil || !g.ResetsAt.Equal(*lw.ResetsAt) {
					t.Errorf("%s: %s's %s = %+v, want %+v", when, name, w, g, lw)
				}
			}
		}
		// The command line reads the database, which the writer fills a moment later.
		testkit.Eventually(t, 5*time.Second, when+": accounts list shows each window's use and reset", func() error {
			list := ls.mustCLI(t, "", "accounts", "list").Stdout
			if !hasLine(list, "work", "5h 101% (resets ", "7d 69%") || !hasLine(list, "home", "7d 43%", "7d_oi 63%") {
				return fmt.Errorf("\n%s", list)
			}
			return nil
		})
		if v := in.metricLabels(t, "claudeflare_quota_utilization", `account="work"`, `window="five_hour"`); v != 1.01 {
			t.Errorf("%s: claudeflare_quota_utilization{work,five_hour} = %v, want 1.01", when, v)
		}
	}
	checkLimits("before the restart")

	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	ls.Fake.ResetRequests()
	in = ls.serveLogin(t)
	checkLimits("after the restart")
	for range 3 {
		in.mustServeFrom(t, "home")
	}
	for _, s := range seenMessages(ls.Fake) {
		if s.Credential == tokWork {
			t.Fatalf("after the restart, the spent account was asked again before its reset")
		}
	}
}

// metricLabels reads the sample of a /metrics family whose labels include all of labels.
func (in *instance) metricLabels(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	r := in.do(t, http.MethodGet, "/metrics", nil)
	for line := range strings.SplitSeq(string(r.Body), "\n") {
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if ok {
			v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	t.Fatalf("no %s{%s} in /metrics", name, strings.Join(labels, ","))
	return 0
}

// TestRequestScoped429KeepsTheSession: Anthropic's request-scoped 429 (only
// x-should-retry) and an overload leave the session where it was; only a
// spent window moves it. The session history shows exactly that.
func TestRequestScoped429KeepsTheSession(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	keyA := in.Keys["a"]
	in.mustServeFrom(t, "a")
	in.Fake.SetBehavior(keyA, fakeanthropic.Behavior{Status: 429, Refusal: fakeanthropic.RefusalRequest, Times: 1})
	in.mustServeFrom(t, "b") // this request only
	in.mustServeFrom(t, "a")
	in.Fake.SetBehavior(keyA, fakeanthropic.Behavior{Status: 529, Times: 1})
	in.mustServeFrom(t, "a") // retried on a
	accts, _ := in.accounts(t)
	checkStatus(t, accts, "a", "active")
	checkStatus(t, accts, "b", "available")
	if a := accts["a"]; a.SessionRequests != 3 {
		t.Errorf("a's session served %d requests, want 3", a.SessionRequests)
	}
	if b := accts["b"]; b.SessionStart != nil {
		t.Errorf("b has a session since %v: a hop must not start one", b.SessionStart)
	}
	// A spent limit moves it.
	in.Fake.SetBehavior(keyA, fakeanthropic.Behavior{Status: 429, RetryAfter: "3600"})
	in.mustServeFrom(t, "b")
	in.mustServeFrom(t, "b")
	var stats struct {
		Sessions struct {
			Started    int64            `json:"count"`
			EndReasons map[string]int64 `json:"end_reasons"`
		} `json:"sessions"`
	}
	testkit.Eventually(t, 5*time.Second, "two sessions, one ended by the rate limit", func() error {
		in.getJSON(t, "/api/stats?window=1h", &stats)
		if stats.Sessions.Started != 2 || stats.Sessions.EndReasons["rate_limit"] != 1 {
			return fmt.Errorf("sessions %+v", stats.Sessions)
		}
		return nil
	})
}

// TestQuotaCrossingsAnnouncedOnce: an account's five-hour use climbing past
// 80 % and 95 % is announced on /api/events once per threshold, however many
// answers report it.
func TestQuotaCrossingsAnnouncedOnce(t *testing.T) {
	t.Parallel()
	ls := newLoginSandbox(t, fakeanthropic.Options{})
	tok := ls.oauthAccount(t, "work")
	reset := time.Now().Add(4 * time.Hour)
	ls.Fake.SetQuota(tok, fakeanthropic.Quota{FiveHour: 0.70, SevenDay: 0.1, FiveHourReset: reset, PerRequest: 0.04})
	in := ls.serveLogin(t)
	events := in.subscribe(t)
	for range 8 { // 0.74 … 1.02: the last one is the request that spends it
		in.mustServeFrom(t, "work")
	}
	// Each request's crossing is announced before the request itself: once
	// the eighth request event is in, every crossing is.
	got := map[string]int{}
	deadline := time.After(10 * time.Second)
	for requests := 0; requests < 8; {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("/api/events ended")
			}
			switch ev.Name {
			case "request":
				requests++
			case "quota_crossed":
				d, _ := ev.Data["data"].(map[string]any)
				got[fmt.Sprint(d["account"], " ", d["window"], " ", d["threshold"])]++
			}
		case <-deadline:
			t.Fatalf("only %d request events within 10 s", requests)
		}
	}
	want := map[string]int{"work five_hour 0.8": 1, "work five_hour 0.95": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("quota_crossed events %v, want %v", got, want)
	}
}
