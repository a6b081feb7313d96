// Package demo plays a day of Claudeflare's use, for the screenshots of
// its windows (scripts/screenshots.sh): three Claude accounts and an
// API-key one in front of the fake Anthropic (internal/fakeanthropic),
// whose answers report quota, a request every few minutes for the last 22
// hours, and on the way what a day brings (docs/DESIGN.md, "Sessions and
// their history"): sessions running their course, a spent five-hour window
// twice, a pause. The engine and the fake share a Clock that replays the
// day in seconds and ends at the present, so the windows that open
// afterwards read a real history, and the countdowns real resets.
package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

// Length is how far back the day starts; SessionLength is the session
// duration it runs with (the default's).
const (
	Length        = 22 * time.Hour
	SessionLength = 5 * time.Hour
)

// Day plays the day on home (a new home folder: config.json is written)
// against fake, whose clock must be clk's (started Length back). It
// returns once clk has reached the present and the engine has shut down,
// its history written; a later `claudeflare serve` on home goes on from
// there (the last session is still open).
func Day(ctx context.Context, home string, fake *fakeanthropic.Server, clk *Clock, port int) error {
	cfg, _ := json.Marshal(map[string]any{"port": port, "session_duration_ms": SessionLength.Milliseconds(), "credential_store": "file"})
	if err := os.WriteFile(filepath.Join(home, "config.json"), cfg, 0o600); err != nil {
		return err
	}
	env := map[string]string{"CLAUDEFLARE_UPSTREAM_URL": fake.URL}
	c, err := core.New(ctx, core.Options{Home: home, Now: clk.Now,
		Lookup:    func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		OpenCreds: func(string) (creds.Store, error) { return filestore.New(filepath.Join(home, "credentials.json")), nil }})
	if err != nil {
		return err
	}
	shut := false
	defer func() {
		if !shut {
			_ = c.Shutdown(context.Background())
		}
	}()
	if err := c.Start(ctx); err != nil {
		return err
	}
	// r is the present, where the day ends; every time below is relative to it.
	r := time.Now().Add(time.Minute)
	at := func(d time.Duration) time.Time { return r.Add(d) }
	tokens := map[string]string{}
	for _, a := range []struct {
		name     string
		priority int
		quota    fakeanthropic.Quota
	}{
		{"work", 0, fakeanthropic.Quota{FiveHour: 0.22, FiveHourReset: at(-17 * time.Hour), SevenDay: 0.30, SevenDayReset: at(43 * time.Hour), PerRequest: 0.004}},
		{"home", 0, fakeanthropic.Quota{FiveHour: 0.45, FiveHourReset: at(-13 * time.Hour), SevenDay: 0.52, SevenDayReset: at(77 * time.Hour), PerRequest: 0.004}},
		{"spare", 1, fakeanthropic.Quota{FiveHour: 0.64, FiveHourReset: at(-time.Hour), SevenDay: 0.27, SevenDayReset: at(118 * time.Hour),
			Extra: []fakeanthropic.QuotaWindow{{Name: "7d_oi", Utilization: 0.58, Reset: at(118 * time.Hour)}}}},
	} {
		tok := "sk-ant-oat01-demo-" + a.name
		fake.AddOAuthToken(tok, r.Add(30*24*time.Hour))
		fake.SetQuota(tok, a.quota)
		tokens[a.name] = tok
		if _, err := c.CreateAccount(ctx, account.Account{Name: a.name, Kind: account.KindOAuth, Mode: "claude", Priority: a.priority},
			creds.Secret{AccessToken: tok, ExpiresAt: r.Add(30 * 24 * time.Hour)}); err != nil {
			return err
		}
	}
	fake.AddAPIKey("sk-ant-api03-demo-ci")
	if _, err := c.AddAPIKey(ctx, "ci", "sk-ant-api03-demo-ci", 2); err != nil {
		return err
	}
	if _, err := c.Pause(ctx, "ci"); err != nil {
		return err
	}

	// What happens on the way, in order. Sessions that run their course
	// need nothing: work's first ends 17 h back and home takes its turn.
	script := []struct {
		at time.Duration
		do func() error
	}{
		{-14 * time.Hour, func() error { // home's five-hour window spent: work takes over
			fake.SetQuota(tokens["home"], fakeanthropic.Quota{FiveHour: 1.03, FiveHourReset: at(-10 * time.Hour), SevenDay: 0.61, SevenDayReset: at(77 * time.Hour)})
			return nil
		}},
		{-10*time.Hour - 40*time.Minute, func() error { _, err := c.Pause(ctx, "work"); return err }}, // home still spent: spare
		{-9 * time.Hour, func() error { _, err := c.Resume(ctx, "work"); return err }},
		{-40 * time.Minute, func() error { // home (active since spare's session ended) spent again: work
			fake.SetQuota(tokens["home"], fakeanthropic.Quota{FiveHour: 1.04, FiveHourReset: at(100 * time.Minute), SevenDay: 0.86, SevenDayReset: at(77 * time.Hour)})
			fake.SetQuota(tokens["work"], fakeanthropic.Quota{FiveHour: 0.31, FiveHourReset: at(4*time.Hour + 20*time.Minute), SevenDay: 0.41, SevenDayReset: at(43 * time.Hour), PerRequest: 0.01})
			return nil
		}},
	}
	rnd := rand.New(rand.NewPCG(14, 10))
	addr := c.Addr()
	for t := at(-Length + time.Minute); t.Before(at(-2 * time.Minute)); t = t.Add(time.Duration(4+rnd.IntN(11)) * time.Minute) {
		for len(script) > 0 && !t.Before(at(script[0].at)) {
			clk.AdvanceTo(at(script[0].at))
			if err := script[0].do(); err != nil {
				return err
			}
			script = script[1:]
		}
		clk.AdvanceTo(t)
		if err := Request(ctx, addr, 200+rnd.IntN(6000)); err != nil {
			return err
		}
	}
	clk.AdvanceTo(time.Now().Add(time.Hour)) // the present: the clock is the wall clock again
	shut = true
	return c.Shutdown(ctx)
}

// Request sends one message of about size bytes through the proxy at addr.
func Request(ctx context.Context, addr string, size int) error {
	body, _ := json.Marshal(map[string]any{"model": "claude-sonnet-4-5", "max_tokens": 64,
		"messages": []map[string]string{{"role": "user", "content": strings.Repeat("a", size)}}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/v1/messages", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the proxy answered %s", resp.Status)
	}
	return nil
}
