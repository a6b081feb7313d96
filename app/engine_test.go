package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

// TestWindowsShowTheEnginesQuotaAndSessions: through a real engine's API,
// after an answer that reported quota and a session ended by a pause, the
// accounts window draws the account's quota windows as bars with their
// countdowns, and the usage window puts the session on its timeline with
// its reason and counts it as ended, not as an average of an open one.
func TestWindowsShowTheEnginesQuotaAndSessions(t *testing.T) {
	a := test.NewTempApp(t)
	fake := fakeanthropic.New(fakeanthropic.Options{})
	t.Cleanup(fake.Close)
	c, api := testEngine(t, map[string]string{"CLAUDEFLARE_UPSTREAM_URL": fake.URL})
	now := time.Now()
	tok := "sk-ant-oat01-window"
	fake.AddOAuthToken(tok, now.Add(time.Hour))
	fake.SetQuota(tok, fakeanthropic.Quota{FiveHour: 0.83, SevenDay: 0.41, FiveHourReset: now.Add(2*time.Hour + 5*time.Minute + 30*time.Second),
		SevenDayReset: now.Add(80 * time.Hour), Extra: []fakeanthropic.QuotaWindow{{Name: "7d_oi", Utilization: 1.02, Reset: now.Add(3 * time.Hour)}}})
	if _, err := c.CreateAccount(context.Background(), account.Account{Name: "work", Kind: account.KindOAuth, Mode: "claude"},
		creds.Secret{AccessToken: tok, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(api.Base()+"/v1/messages", "application/json",
		strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("proxy answered %d", resp.StatusCode)
	}
	p := NewProcess(a, api, func(f func()) { f() })
	if err := p.Show("accounts"); err != nil {
		t.Fatal(err)
	}
	acc := texts(p.open["accounts"].Content())
	joined := strings.Join(acc, "\n")
	for _, want := range []string{"5h", "7d", "7d_oi", "41% · resets " + time.Now().Add(80*time.Hour).Local().Format("Mon 15:04"), "102%, spent · resets in 2h"} {
		if count(acc, want) == 0 && !strings.Contains(joined, want) {
			t.Errorf("the accounts window lacks %q:\n%s", want, joined)
		}
	}
	if !strings.Contains(joined, "83% · resets in 2h0") {
		t.Errorf("no five-hour countdown:\n%s", joined)
	}
	if count(acc, "work") != 1 {
		t.Errorf("work named %d times:\n%s", count(acc, "work"), joined)
	}

	if _, err := c.Pause(context.Background(), "work"); err != nil {
		t.Fatal(err)
	}
	// The ended session reaches the database through the asynchronous
	// writer: reopen the window until it is there.
	var use []string
	testkit.Eventually(t, 10*time.Second, "the paused session on the timeline", func() error {
		if w := p.open["usage"]; w != nil {
			w.Close()
		}
		if err := p.Show("usage"); err != nil {
			return err
		}
		use = texts(p.open["usage"].Content())
		if count(use, "paused (1)") == 0 {
			return fmt.Errorf("not yet:\n%s", strings.Join(use, "\n"))
		}
		return nil
	})
	joined = strings.Join(use, "\n")
	if !strings.Contains(joined, "Sessions: 1 started: 1 ended (average ") || !strings.Contains(joined, "1 request)") || count(use, "work") < 2 {
		t.Errorf("the usage window:\n%s", joined)
	}
}
