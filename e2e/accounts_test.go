package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

// TestCLIAccountChangesReachServe: pause, resume, add and remove made by the
// command line reach the running serve within a second.
func TestCLIAccountChangesReachServe(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	sb := in.sandbox
	in.mustServeFrom(t, "a")

	// accounts list --json reads the same accounts, in strategy order, with no secret.
	res := sb.mustCLI(t, "", "accounts", "list", "--json")
	var listed []accountJSON
	if err := json.Unmarshal([]byte(res.Stdout), &listed); err != nil {
		t.Fatalf("accounts list --json: %v\n%s", err, res)
	}
	if len(listed) != 2 || listed[0].Name != "a" || listed[1].Name != "b" {
		t.Errorf("accounts list --json = %+v, want a then b", listed)
	}
	for name, key := range sb.Keys {
		if strings.Contains(res.Stdout, key) {
			t.Errorf("accounts list --json shows %s's key", name)
		}
	}

	sb.mustCLI(t, "", "accounts", "pause", "a")
	testkit.Eventually(t, liveDeadline, "a paused in the running serve", func() error {
		accts, _ := in.accounts(t)
		if a := accts["a"]; !a.Paused || a.Status != "paused" {
			return fmt.Errorf("a: paused %v, status %q", a.Paused, a.Status)
		}
		return nil
	})
	in.mustServeFrom(t, "b")
	in.mustServeFrom(t, "b")

	sb.mustCLI(t, "", "accounts", "resume", "a")
	testkit.Eventually(t, liveDeadline, "a resumed in the running serve", func() error {
		accts, _ := in.accounts(t)
		if a := accts["a"]; a.Paused || a.Status != "available" {
			return fmt.Errorf("a: paused %v, status %q", a.Paused, a.Status)
		}
		return nil
	})
	in.mustServeFrom(t, "b") // b holds the session now

	keyC := sb.addAccount(t, "c")
	testkit.Eventually(t, liveDeadline, "c appears in the running serve", func() error {
		_, names := in.accounts(t)
		if !slices.Contains(names, "c") {
			return fmt.Errorf("accounts: %v", names)
		}
		return nil
	})
	var health struct {
		Accounts  int `json:"accounts"`
		Available int `json:"available"`
	}
	in.getJSON(t, "/health", &health)
	if health.Accounts != 3 || health.Available != 3 {
		t.Errorf("/health after adding c: %+v, want 3 accounts, 3 available", health)
	}

	// c can serve: pause the others and send a request.
	sb.mustCLI(t, "", "accounts", "pause", "a")
	sb.mustCLI(t, "", "accounts", "pause", "b")
	testkit.Eventually(t, liveDeadline, "a and b paused", func() error {
		accts, _ := in.accounts(t)
		if !accts["a"].Paused || !accts["b"].Paused {
			return fmt.Errorf("a paused %v, b paused %v", accts["a"].Paused, accts["b"].Paused)
		}
		return nil
	})
	in.mustServeFrom(t, "c")
	if seen := seenMessages(in.Fake); seen[len(seen)-1].Credential != keyC {
		t.Errorf("c's request reached upstream with another credential")
	}

	sb.mustCLI(t, "", "accounts", "remove", "c")
	testkit.Eventually(t, liveDeadline, "c disappears from the running serve", func() error {
		_, names := in.accounts(t)
		if slices.Contains(names, "c") {
			return fmt.Errorf("accounts: %v", names)
		}
		return nil
	})
	if creds, err := os.ReadFile(filepath.Join(sb.Home, "credentials.json")); err != nil || strings.Contains(string(creds), keyC) {
		t.Errorf("c's key is still in credentials.json after accounts remove (%v)", err)
	}
	// Only paused accounts are left: 503 naming what to do.
	r := in.message(t)
	if r.Status != 503 || !strings.Contains(string(r.Body), "api_error") || !strings.Contains(string(r.Body), "resume") {
		t.Errorf("with every account paused: %s, want 503 api_error telling to resume an account", r)
	}
	if got := r.Header.Get("x-claudeflare-account"); got != "none" {
		t.Errorf("x-claudeflare-account = %q, want none", got)
	}

	// Errors of the command line: unknown account, duplicate name.
	if res := sb.CLI(t, "", "accounts", "pause", "nobody"); res.Code != 1 || !strings.Contains(res.Stderr, "nobody") {
		t.Errorf("accounts pause nobody: want exit 1 naming the account\n%s", res)
	}
	if res := sb.CLI(t, sb.Fake.IssueAPIKey(), "accounts", "add", "a", "--api-key-stdin"); res.Code == 0 {
		t.Errorf("accounts add a (taken): exit 0\n%s", res)
	}
	if res := sb.CLI(t, "", "accounts", "add", "d", "--api-key-stdin"); res.Code == 0 {
		t.Errorf("accounts add d with an empty standard input: exit 0\n%s", res)
	}
}

// TestNoAccountsPassThrough: with no account at all, requests go upstream with
// the client's own credentials (docs/DESIGN.md, "What an answer means").
func TestNoAccountsPassThrough(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	in := sb.serve(t)
	own := sb.Fake.IssueAPIKey()
	r := in.do(t, "POST", "/v1/messages", messagesBody(false),
		"Content-Type", "application/json", "x-api-key", own, "anthropic-version", "2023-06-01")
	if r.Status != 200 || r.Header.Get("x-claudeflare-account") != "none" {
		t.Fatalf("pass-through: %s (account %q), want 200 from none", r, r.Header.Get("x-claudeflare-account"))
	}
	if seen := seenMessages(sb.Fake); len(seen) != 1 || seen[0].Credential != own {
		t.Errorf("pass-through: the fake did not see the client's own key")
	}
}

// TestAPIAccountLifecycle: add, rename, reprioritise, pause, resume and
// delete accounts through the API; each change applies to the next request.
func TestAPIAccountLifecycle(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	in := sb.serve(t)
	keyA, keyB := sb.Fake.IssueAPIKey(), sb.Fake.IssueAPIKey()
	sb.Keys["a"], sb.Keys["b"] = keyA, keyB

	decode := func(r response) accountJSON {
		t.Helper()
		var a accountJSON
		if err := json.Unmarshal(r.Body, &a); err != nil {
			t.Fatalf("account body %s: %v", r.Body, err)
		}
		for _, key := range []string{keyA, keyB} {
			if strings.Contains(string(r.Body), key) {
				t.Errorf("an API answer shows a key: %s", r.Body)
			}
		}
		return a
	}
	r := in.do(t, "POST", "/api/accounts", map[string]any{"name": "a", "api_key": keyA, "priority": 10})
	if r.Status != 201 {
		t.Fatalf("POST /api/accounts a: %s, want 201", r)
	}
	if a := decode(r); a.Name != "a" || a.Kind != "api_key" || a.Priority != 10 || a.Status != "available" || a.ID == "" {
		t.Errorf("POST /api/accounts a answered %+v", a)
	}
	r = in.do(t, "POST", "/api/accounts", map[string]any{"name": "b", "api_key": keyB})
	if r.Status != 201 {
		t.Fatalf("POST /api/accounts b: %s, want 201", r)
	}
	if b := decode(r); b.Priority != 0 {
		t.Errorf("b: priority %d, want the default 0", b.Priority)
	}
	if _, names := in.accounts(t); strings.Join(names, ",") != "b,a" {
		t.Errorf("GET /api/accounts order = %v, want b (priority 0) before a (priority 10)", names)
	}
	in.mustServeFrom(t, "b")

	// A better priority does not take a running session away.
	if r := in.do(t, "PATCH", "/api/accounts/a", map[string]any{"priority": 0}); r.Status != 200 || decode(r).Priority != 0 {
		t.Errorf("PATCH /api/accounts/a priority 0: %s", r)
	}
	in.mustServeFrom(t, "b")

	// Renaming keeps the key.
	if r := in.do(t, "PATCH", "/api/accounts/b", map[string]any{"name": "bee"}); r.Status != 200 || decode(r).Name != "bee" {
		t.Errorf("PATCH /api/accounts/b name bee: %s", r)
	}
	in.mustServeFrom(t, "bee")
	if seen := seenMessages(sb.Fake); seen[len(seen)-1].Credential != keyB {
		t.Errorf("after the rename, bee's request did not carry b's key")
	}

	r = in.do(t, "POST", "/api/accounts/bee/pause", nil)
	if a := decode(r); r.Status != 200 || !a.Paused || a.Status != "paused" {
		t.Errorf("POST /api/accounts/bee/pause: %s", r)
	}
	in.mustServeFrom(t, "a")
	r = in.do(t, "POST", "/api/accounts/bee/resume", nil)
	if a := decode(r); r.Status != 200 || a.Paused || a.Status != "available" {
		t.Errorf("POST /api/accounts/bee/resume: %s", r)
	}
	in.mustServeFrom(t, "a") // a holds the session now

	if r := in.do(t, "DELETE", "/api/accounts/a", nil); r.Status != 204 {
		t.Errorf("DELETE /api/accounts/a: %s, want 204", r)
	}
	if _, names := in.accounts(t); strings.Join(names, ",") != "bee" {
		t.Errorf("after DELETE a: accounts %v, want [bee]", names)
	}
	creds, err := os.ReadFile(filepath.Join(sb.Home, "credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(creds), keyA) {
		t.Errorf("a's key is still in credentials.json after DELETE")
	}
	if !strings.Contains(string(creds), keyB) {
		t.Errorf("bee's key is gone from credentials.json")
	}
	in.mustServeFrom(t, "bee")

	res := sb.mustCLI(t, "", "accounts", "list", "--json")
	var listed []accountJSON
	if err := json.Unmarshal([]byte(res.Stdout), &listed); err != nil || len(listed) != 1 || listed[0].Name != "bee" {
		t.Errorf("accounts list --json after the API changes: %s", res)
	}
}
