package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
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
	eventually(t, liveDeadline, "a paused in the running serve", func() error {
		accts, _ := in.accounts(t)
		if a := accts["a"]; !a.Paused || a.Status != "paused" {
			return fmt.Errorf("a: paused %v, status %q", a.Paused, a.Status)
		}
		return nil
	})
	in.mustServeFrom(t, "b")
	in.mustServeFrom(t, "b")

	sb.mustCLI(t, "", "accounts", "resume", "a")
	eventually(t, liveDeadline, "a resumed in the running serve", func() error {
		accts, _ := in.accounts(t)
		if a := accts["a"]; a.Paused || a.Status != "available" {
			return fmt.Errorf("a: paused %v, status %q", a.Paused, a.Status)
		}
		return nil
	})
	in.mustServeFrom(t, "b") // b holds the session now

	keyC := sb.addAccount(t, "c")
	eventually(t, liveDeadline, "c appears in the running serve", func() error {
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
	eventually(t, liveDeadline, "a and b paused", func() error {
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
	eventually(t, liveDeadline, "c disappears from the running serve", func() error {
		_, names := in.accounts(t)
		if slices.Contains(names, "c") {
			return fmt.Errorf("accounts: %v", names)
		}
		return nil
	})
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
// the client's own credentials (SPEC §4).
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
