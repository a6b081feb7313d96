package api_test

import (
	"os"
	"path/filepath"
	"testing"
)

// Bad and taken names, through the API: 400 for a name that is not allowed,
// 409 for a name another account has ignoring case, each with a message
// saying why, and nothing changed (neither the accounts nor the secrets).
func TestAccountNamesThroughAPI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path, body string
		want                     int
		message                  string
	}{
		{"add dot", "POST", "/api/accounts", `{"name":".","api_key":"sk-ant-api03-n"}`, 400,
			`invalid input: account name "." is not allowed: it means a folder in a path, not an account`},
		{"add dot dot", "POST", "/api/accounts", `{"name":"..","api_key":"sk-ant-api03-n"}`, 400,
			`invalid input: account name ".." is not allowed: it means a folder in a path, not an account`},
		{"add lower-case twin", "POST", "/api/accounts", `{"name":"bob","api_key":"sk-ant-api03-n"}`, 409,
			`account name already taken: an account named "Bob" already exists, and names are unique ignoring case`},
		{"add upper-case twin", "POST", "/api/accounts", `{"name":"BOB","api_key":"sk-ant-api03-n"}`, 409,
			`account name already taken: an account named "Bob" already exists, and names are unique ignoring case`},
		{"rename to dot dot", "PATCH", "/api/accounts/alice", `{"name":".."}`, 400,
			`invalid input: account name ".." is not allowed: it means a folder in a path, not an account`},
		{"rename onto a twin", "PATCH", "/api/accounts/alice", `{"name":"bOb","priority":7}`, 409,
			`account name already taken: an account named "Bob" already exists, and names are unique ignoring case`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newAPI(t, nil)
			for _, add := range []string{`{"name":"Bob","api_key":"sk-ant-api03-b"}`, `{"name":"alice","api_key":"sk-ant-api03-a"}`} {
				if r := h.do("POST", "/api/accounts", add); r.status != 201 {
					t.Fatalf("adding: %d %s", r.status, r.body)
				}
			}
			accountsBefore := h.do("GET", "/api/accounts", "").body
			secretsBefore, _ := os.ReadFile(filepath.Join(h.home, "credentials.json"))

			r := h.do(tt.method, tt.path, tt.body)
			if r.status != tt.want || r.json(t)["error"] != tt.message {
				t.Fatalf("%s %s %s = %d %s; want %d {\"error\":%q}", tt.method, tt.path, tt.body, r.status, r.body, tt.want, tt.message)
			}
			secretsAfter, _ := os.ReadFile(filepath.Join(h.home, "credentials.json"))
			if after := h.do("GET", "/api/accounts", "").body; after != accountsBefore || string(secretsAfter) != string(secretsBefore) {
				t.Errorf("a refused request changed the accounts or the secrets:\n%s\n%s", accountsBefore, after)
			}
		})
	}
}

// Changing only the case of one's own name works, and the account is then
// found under any case, since only one matches.
func TestRenameCaseThroughAPI(t *testing.T) {
	t.Parallel()
	h := newAPI(t, nil)
	if r := h.do("POST", "/api/accounts", `{"name":"bob","api_key":"sk-ant-api03-b"}`); r.status != 201 {
		t.Fatalf("adding: %d %s", r.status, r.body)
	}
	if r := h.do("PATCH", "/api/accounts/bob", `{"name":"Bob"}`); r.status != 200 || r.json(t)["name"] != "Bob" {
		t.Fatalf("rename bob → Bob: %d %s", r.status, r.body)
	}
	if r := h.do("POST", "/api/accounts/BOB/pause", ""); r.status != 200 || r.json(t)["paused"] != true {
		t.Fatalf("pause BOB: %d %s", r.status, r.body)
	}
	if r := h.do("DELETE", "/api/accounts/bob", ""); r.status != 204 {
		t.Fatalf("delete bob: %d %s", r.status, r.body)
	}
	if r := h.do("GET", "/api/accounts", ""); r.body != "[]\n" && r.body != "[]" {
		t.Errorf("accounts after the removal: %s", r.body)
	}
}
