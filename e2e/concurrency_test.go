package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

// The tests of this file count what concurrent processes leave: several
// `claudeflare` commands and a running serve change credentials.json and
// config.json at the same time, and nothing any of them wrote may be lost
// (docs/DESIGN.md, "Files that several processes share": one lock across processes, re-reading inside it).

// run runs `claudeflare args…` like sandbox.CLI, but is safe to call from
// any goroutine: it reports a failure to start as an error instead of
// ending the test.
func (sb *sandbox) run(ctx context.Context, stdin string, args ...string) (cliResult, error) {
	res, err := execCLI(ctx, sb.env(), stdin, args...)
	if err != nil {
		return res, err
	}
	if res.Code != 0 {
		return res, fmt.Errorf("claudeflare %s: %s", strings.Join(args, " "), res)
	}
	return res, nil
}

// call sends one JSON API request from any goroutine; want is the status
// that counts as success.
func (in *instance) call(ctx context.Context, method, path string, body any, want int) error {
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, in.URL()+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := in.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	var msg bytes.Buffer
	_, _ = msg.ReadFrom(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s, want %d", method, path, resp.StatusCode, msg.String(), want)
	}
	return nil
}

// secrets returns credentials.json's entries: id to API key.
func (sb *sandbox) secrets(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sb.Home, "credentials.json"))
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}
	}
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]struct {
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal(data, &all); err != nil {
		t.Fatalf("credentials.json: %v", err)
	}
	out := map[string]string{}
	for id, s := range all {
		out[id] = s.APIKey
	}
	return out
}

// listed returns the accounts as `accounts list --json` prints them.
func (sb *sandbox) listed(t *testing.T) []accountJSON {
	t.Helper()
	res := sb.mustCLI(t, "", "accounts", "list", "--json")
	var list []accountJSON
	if err := json.Unmarshal([]byte(res.Stdout), &list); err != nil {
		t.Fatalf("accounts list --json: %v\n%s", err, res)
	}
	return list
}

// checkEverySecret fails unless the accounts are exactly names and each one's
// secret in credentials.json is the key it was added with (keys: by name),
// with no other secret beside them.
func (sb *sandbox) checkEverySecret(t *testing.T, names []string, keys map[string]string) {
	t.Helper()
	list := sb.listed(t)
	secrets := sb.secrets(t)
	got := map[string]bool{}
	for _, a := range list {
		got[a.Name] = true
		if secrets[a.ID] != keys[a.Name] {
			t.Errorf("account %s: its secret in credentials.json is lost or wrong (present: %v)", a.Name, secrets[a.ID] != "")
		}
	}
	for _, n := range names {
		if !got[n] {
			t.Errorf("account %s was lost", n)
		}
	}
	if len(list) != len(names) || len(secrets) != len(names) {
		t.Errorf("%d accounts and %d secrets, want %d of each", len(list), len(secrets), len(names))
	}
}

// TestParallelCLIAddsLoseNothing: ten `accounts add` processes at once with
// no app running leave ten accounts and ten secrets (before the lock: 4 of
// 10 secrets were kept).
func TestParallelCLIAddsLoseNothing(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	const n = 10
	keys := map[string]string{}
	var names []string
	for i := range n {
		name := fmt.Sprintf("cli-%d", i)
		names = append(names, name)
		keys[name] = sb.Fake.IssueAPIKey()
	}
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Go(func() {
			if _, err := sb.run(t.Context(), keys[name]+"\n", "accounts", "add", name, "--api-key-stdin"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	sb.checkEverySecret(t, names, keys)
}

// TestCLIAndAPIChangesBesideEachOther: ten CLI adds beside ten POST
// /api/accounts on a running serve leave twenty accounts and twenty secrets
// (before: twenty accounts and nine secrets); removing all of them the same
// way leaves no secret at all, and none comes back.
func TestCLIAndAPIChangesBesideEachOther(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	in := sb.serve(t)
	const n = 10
	keys := map[string]string{}
	var cliNames, apiNames []string
	for i := range n {
		c, a := fmt.Sprintf("cli-%d", i), fmt.Sprintf("api-%d", i)
		cliNames, apiNames = append(cliNames, c), append(apiNames, a)
		keys[c], keys[a] = sb.Fake.IssueAPIKey(), sb.Fake.IssueAPIKey()
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := sb.run(t.Context(), keys[cliNames[i]]+"\n", "accounts", "add", cliNames[i], "--api-key-stdin"); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			body := map[string]any{"name": apiNames[i], "api_key": keys[apiNames[i]]}
			if err := in.call(t.Context(), "POST", "/api/accounts", body, http.StatusCreated); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	sb.checkEverySecret(t, append(append([]string{}, cliNames...), apiNames...), keys)
	if t.Failed() {
		return
	}

	// Removals cross over: the CLI removes the accounts the API added, and
	// the other way round.
	for i := range n {
		wg.Go(func() {
			if _, err := sb.run(t.Context(), "", "accounts", "remove", apiNames[i]); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if err := in.call(t.Context(), "DELETE", "/api/accounts/"+cliNames[i], nil, http.StatusNoContent); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if list, secrets := sb.listed(t), sb.secrets(t); len(list) != 0 || len(secrets) != 0 {
		t.Errorf("after removing everything: %d accounts and %d secrets, want none", len(list), len(secrets))
	}
}

// TestConfigSetBesidePatch: in each round, `config set` changes one key
// while PATCH /api/config on the running serve changes another; after the
// round both values are in config.json, and in the running app, and a key
// Claudeflare does not know survives every round (before: 11 of 12 rounds
// lost one side's key).
func TestConfigSetBesidePatch(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	sb.setConfigKeys(t, map[string]any{"theme": "dark"})
	in := sb.serve(t)
	for round := range 12 {
		duration, retention := 60_000+round*1000, 1+round
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := sb.run(t.Context(), "", "config", "set", "session_duration_ms", fmt.Sprint(duration)); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if err := in.call(t.Context(), "PATCH", "/api/config", map[string]any{"retention_days": retention}, http.StatusOK); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		var file map[string]any
		if err := json.Unmarshal(sb.readConfig(t), &file); err != nil {
			t.Fatalf("round %d: config.json: %v", round, err)
		}
		if file["session_duration_ms"] != float64(duration) || file["retention_days"] != float64(retention) || file["theme"] != "dark" {
			t.Fatalf("round %d: config.json holds session_duration_ms %v, retention_days %v, theme %v; want %d, %d and dark",
				round, file["session_duration_ms"], file["retention_days"], file["theme"], duration, retention)
		}
	}
	testkit.Eventually(t, 5*time.Second, "the running app applying both last values", func() error {
		var cfg configJSON
		in.getJSON(t, "/api/config", &cfg)
		if cfg.SessionDurationMS != 71_000 || cfg.RetentionDays != 12 {
			return fmt.Errorf("GET /api/config: session_duration_ms %d, retention_days %d; want 71000 and 12", cfg.SessionDurationMS, cfg.RetentionDays)
		}
		return nil
	})
}
