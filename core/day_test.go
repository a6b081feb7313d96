package core_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

// TestCompressedDay plays a day of work compressed into minutes: one-minute
// sessions, three subscription accounts (a and b of equal priority, c a
// spare), a request every 25 s (so that no request lands on a session's
// last instant), and on the way everything the field throws
// at a session: request-scoped and entitlement 429s, an overload, a broken
// connection and two spent windows. The proxy and the fake share one clock,
// moved forward between requests, so the day takes a few seconds.
//
// The session strategy may switch accounts only when a session ends (equal
// priorities take turns) or when the active account is spent; anything
// about a single request is a hop. Counting by hand from the script below,
// the fewest switches the rules allow are five:
//
//	t=75   a's session (from t=0) has ended: b's turn             switch 1 (expired)
//	t=100  request-scoped 429 on b: a serves that one              hop
//	t=150  b's session ended: a's turn                             switch 2 (expired)
//	t=175  529 on a: retried on a                                  -
//	t=200  a's 5-hour window spent until t=410: b                  switch 3 (limit)
//	t=250  connection reset on b: c serves that one                hop
//	t=275  b's session ended; a is spent, c ranks lower: b again   -
//	t=300  entitlement 429 on b: c serves that one                 hop
//	t=325  b's weekly window spent: c                              switch 4 (limit)
//	t=400  c's session ended; a is still spent: c again            -
//	t=425  a's window has reset, but c's session runs: c           no hop back
//	t=475  c's session ended: a (priority 0, room again)           switch 5 (expired)
//	…t=600 a alone at priority 0 (b spent): a renews, no switch
func TestCompressedDay(t *testing.T) {
	t.Parallel()
	var clock testkit.Clock
	fake := fakeanthropic.New(fakeanthropic.Options{Now: clock.Now})
	t.Cleanup(fake.Close)
	home := t.TempDir()
	writeFile(t, filepath.Join(home, "config.json"), fmt.Sprintf(`{"port": %d, "session_duration_ms": 60000}`, testkit.FreePort(t)))
	c, err := core.New(context.Background(), core.Options{
		Home: home, Lookup: env{"CLAUDEFLARE_UPSTREAM_URL": fake.URL}.lookup, Version: "test", Now: clock.Now,
		OpenCreds: func(string) (creds.Store, error) { return filestore.New(filepath.Join(home, "credentials.json")), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Shutdown(context.Background()) })

	start := clock.Now()
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	tokens := map[string]string{}
	for i, a := range []struct {
		name     string
		priority int
	}{{"a", 0}, {"b", 0}, {"c", 1}} {
		tok := "sk-ant-oat01-day-" + a.name
		fake.AddOAuthToken(tok, start.Add(24*time.Hour))
		fake.SetQuota(tok, fakeanthropic.Quota{FiveHour: 0.1 * float64(i+1), SevenDay: 0.2})
		tokens[a.name] = tok
		if _, err := c.CreateAccount(context.Background(), account.Account{Name: a.name, Kind: account.KindOAuth,
			Mode: "claude", Priority: a.priority}, creds.Secret{AccessToken: tok, ExpiresAt: start.Add(24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	evs, cancel := c.Events().Subscribe(1024)
	defer cancel()

	script := map[int]func(){
		100: func() {
			fake.SetBehavior(tokens["b"], fakeanthropic.Behavior{Status: 429, Refusal: fakeanthropic.RefusalRequest, Times: 1})
		},
		175: func() { fake.SetBehavior(tokens["a"], fakeanthropic.Behavior{Status: 529, Times: 1}) },
		200: func() {
			fake.SetQuota(tokens["a"], fakeanthropic.Quota{FiveHour: 1.01, SevenDay: 0.5, FiveHourReset: at(410)})
		},
		250: func() { fake.SetBehavior(tokens["b"], fakeanthropic.Behavior{ResetConnection: true, Times: 1}) },
		300: func() {
			fake.SetBehavior(tokens["b"], fakeanthropic.Behavior{Status: 429, Refusal: fakeanthropic.RefusalEntitlement, Times: 1})
		},
		325: func() {
			fake.SetQuota(tokens["b"], fakeanthropic.Quota{FiveHour: 0.4, SevenDay: 1.0, SevenDayReset: at(5000)})
		},
	}
	var servedBy []string
	for s := 0; s <= 600; s += 25 {
		if d := at(s).Sub(clock.Now()); d > 0 {
			clock.Advance(d)
		}
		if f := script[s]; f != nil {
			f()
		}
		resp := post(t, c.Addr())
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("t=%d: status %d from %q", s, resp.StatusCode, resp.Header.Get("X-Claudeflare-Account"))
		}
		servedBy = append(servedBy, fmt.Sprintf("%d:%s", s, resp.Header.Get("X-Claudeflare-Account")))
	}

	// Switches are session starts on another account than the last session's.
	var switches []string
	var hops, starts int
	last := ""
	for len(evs) > 0 {
		switch e := (<-evs).(type) {
		case *events.SessionStarted:
			starts++
			if e.Account != last {
				if last != "" {
					switches = append(switches, fmt.Sprintf("t=%.0f %s→%s (%s)", e.At.Sub(start).Seconds(), last, e.Account, e.Reason))
				}
				last = e.Account
			}
		case *events.Hop:
			hops++
		}
	}
	t.Logf("served: %s", strings.Join(servedBy, " "))
	t.Logf("%d switches in %d session starts, %d hops: %s", len(switches), starts, hops, strings.Join(switches, "; "))
	want := []string{"a→b (expired)", "b→a (expired)", "a→b (failover)", "b→c (failover)", "c→a (expired)"}
	if len(switches) != len(want) {
		t.Fatalf("%d switches, want the minimum the rules allow, %d: %v", len(switches), len(want), want)
	}
	for i, w := range want {
		if !strings.HasSuffix(switches[i], w) {
			t.Errorf("switch %d: %s, want %s", i+1, switches[i], w)
		}
	}
	if hops != 3 {
		t.Errorf("%d hops, want 3 (request-scoped 429, connection reset, entitlement 429)", hops)
	}
	// A spent account is never asked before its reset.
	for _, seen := range fake.Requests() {
		switch {
		case seen.Credential == tokens["a"] && seen.At.After(at(201)) && seen.At.Before(at(410)):
			t.Errorf("a was asked at t=%.0f, inside its spent window", seen.At.Sub(start).Seconds())
		case seen.Credential == tokens["b"] && seen.At.After(at(326)):
			t.Errorf("b was asked at t=%.0f, after its weekly window was spent", seen.At.Sub(start).Seconds())
		}
	}
}
