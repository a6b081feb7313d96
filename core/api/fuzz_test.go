package api_test

// Fuzz targets for every API request body (docs/DESIGN.md, "The listener"): PUT /api/config/strategy,
// PATCH /api/config, POST /api/accounts, PATCH /api/accounts/{name},
// POST /api/oauth/start and POST /api/oauth/complete. Every input must get
//
//   - a documented status, never a 5xx (and no panic);
//   - JSON, and for an error exactly {"error":"<non-empty message>"};
//   - no api_key value of the body echoed back;
//   - a success only for a body that is one JSON value;
//   - after a refusal, nothing changed: config.json byte for byte and
//     GET /api/config, or GET /api/accounts and credentials.json;
//   - after a success, the change as asked and a config.json that loads again.
//
// Each target builds one core for the whole run (core.New is too slow to pay
// per input) and puts the state back after an input that changed it, so every
// input starts from the same place.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/oauth"
	"github.com/claudeflare/claudeflare/core/view"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

// fuzzConfig is the config.json the config targets start from: not the
// defaults, and with a key Claudeflare does not know, which a patch must keep.
const fuzzConfig = `{
  "session_duration_ms": 3600000,
  "port": 8181,
  "x_not_ours": {"keep": [1, 2]}
}
`

// fuzzSetup says how to build a fuzzAPI.
type fuzzSetup struct {
	configFile   string            // the initial config.json; "" for none
	env          map[string]string // the environment, besides the fake's OAuth endpoints
	fakeUpstream bool              // CLAUDEFLARE_UPSTREAM_URL is the fake (it is then read-only)
}

// fuzzAPI is a core behind an httptest server, built once per fuzz target.
type fuzzAPI struct {
	core   *core.Core
	srv    *httptest.Server
	home   string
	fake   *fakeanthropic.Server
	lookup func(string) (string, bool)

	// baseline is each account's id, name and priority before any input.
	baseline map[string]setting
	// login is the pending login that POST /api/oauth/complete bodies finish:
	// its session id and the code#state its authorize page showed.
	login              *oauth.Login
	loginID, loginCode string
}

// setting is what PATCH /api/accounts/{name} changes.
type setting struct {
	name string
	prio int
}

func newFuzzAPI(tb testing.TB, s fuzzSetup) *fuzzAPI {
	tb.Helper()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	tb.Cleanup(fake.Close)
	home := tb.TempDir()
	if s.configFile != "" {
		if err := os.WriteFile(core.ConfigPath(home), []byte(s.configFile), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	env := maps.Clone(s.env)
	if env == nil {
		env = map[string]string{}
	}
	env["CLAUDEFLARE_AUTHORIZE_URL"] = fake.AuthorizeURL()
	env["CLAUDEFLARE_TOKEN_URL"] = fake.TokenURL()
	env["CLAUDEFLARE_OAUTH_CALLBACK_PORT"] = "0"
	if s.fakeUpstream {
		env["CLAUDEFLARE_UPSTREAM_URL"] = fake.URL
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c, err := core.New(context.Background(), core.Options{
		Home: home, Version: "test", Lookup: lookup, APIToken: tokenIs(testToken),
		OpenCreds:   func(string) (creds.Store, error) { return filestore.New(filepath.Join(home, "credentials.json")), nil },
		OpenBrowser: func(string) error { return nil }, // "open_browser": true is a valid body
	})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(c.Handler())
	tb.Cleanup(func() {
		srv.Close()
		c.Shutdown(context.Background())
	})
	return &fuzzAPI{core: c, srv: srv, home: home, fake: fake, lookup: lookup}
}

// do sends body (none if empty) as application/json.
func (h *fuzzAPI) do(tb testing.TB, method, path string, body []byte) result {
	tb.Helper()
	var rd io.Reader
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(authorize(req))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return result{resp.StatusCode, string(b), resp.Header}
}

func (h *fuzzAPI) file(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(h.home, name))
	if err != nil && !os.IsNotExist(err) {
		tb.Fatal(err)
	}
	return b
}

// accounts is GET /api/accounts with credentials.json: what a refused
// request to an account endpoint must leave as it was.
func (h *fuzzAPI) accounts(tb testing.TB) string {
	tb.Helper()
	r := h.do(tb, "GET", "/api/accounts", nil)
	if r.status != 200 {
		tb.Fatalf("GET /api/accounts: %d %s", r.status, r.body)
	}
	return r.body + "\ncredentials.json: " + string(h.file(tb, "credentials.json"))
}

// addAPIKeyAccount adds an account as setup, outside the API.
func (h *fuzzAPI) addAPIKeyAccount(tb testing.TB, name string, priority int) {
	tb.Helper()
	if _, err := h.core.AddAPIKey(context.Background(), name, "sk-ant-api03-setup-"+strings.ReplaceAll(name, " ", "-"), priority); err != nil {
		tb.Fatal(err)
	}
}

// removeAccount takes back an account an input added.
func (h *fuzzAPI) removeAccount(t *testing.T, name string) {
	t.Helper()
	if err := h.core.Remove(context.Background(), name); err != nil {
		t.Fatalf("removing %q: %v", name, err)
	}
}

// manualLogin starts a paste-the-code login for name and plays the browser:
// it returns the session id and the code#state the authorize page shows.
func (h *fuzzAPI) manualLogin(tb testing.TB, name string) (id, code string, l *oauth.Login) {
	tb.Helper()
	id, l, err := h.core.Logins().Start(context.Background(), oauth.Request{Name: name, Manual: true})
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := http.Get(l.URL)
	if err != nil {
		tb.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	code, err = fakeanthropic.ManualCode(page)
	if err != nil {
		tb.Fatal(err)
	}
	return id, code, l
}

// endLogin cancels a login and waits until it no longer counts as pending.
func endLogin(t *testing.T, l *oauth.Login) {
	t.Helper()
	l.Cancel()
	select {
	case <-l.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled login did not end")
	}
}

// checkAnswer asserts what every answer must be: a status from allowed, JSON,
// an error as {"error":"<message>"}, and no api_key value of body in it; and
// that only a body that is one JSON value is accepted.
func checkAnswer(t *testing.T, r result, body []byte, allowed ...int) {
	t.Helper()
	if !slices.Contains(allowed, r.status) {
		t.Fatalf("status %d, want one of %v: %s", r.status, allowed, r.body)
	}
	if mt, _, err := mime.ParseMediaType(r.header.Get("Content-Type")); err != nil || mt != "application/json" {
		t.Fatalf("Content-Type %q: %s", r.header.Get("Content-Type"), r.body)
	}
	if r.status >= 400 {
		var e map[string]any
		if err := json.Unmarshal([]byte(r.body), &e); err != nil || len(e) != 1 {
			t.Fatalf("error answer is not {\"error\":…}: %s", r.body)
		}
		if msg, _ := e["error"].(string); strings.TrimSpace(msg) == "" {
			t.Fatalf("error answer without a message: %s", r.body)
		}
	} else {
		if !json.Valid([]byte(r.body)) {
			t.Fatalf("answer is not JSON: %s", r.body)
		}
		if !json.Valid(body) {
			t.Fatalf("accepted a body that is not one JSON value: %q", body)
		}
	}
	checkNoSecret(t, r.body, body)
}

// checkNoSecret fails if out shows an api_key value of body. Only values that
// look like Anthropic keys count, and not one that is part of another string
// of the body (a name may be echoed, and may contain anything).
func checkNoSecret(t *testing.T, out string, body []byte) {
	t.Helper()
	secrets, others := bodyStrings(body, "api_key")
	for _, s := range secrets {
		if !strings.HasPrefix(s, "sk-ant-") || len(s) < 12 ||
			slices.ContainsFunc(others, func(o string) bool { return strings.Contains(o, s) }) {
			continue
		}
		j, _ := json.Marshal(s)
		q := strconv.Quote(s)
		for _, form := range []string{s, string(j[1 : len(j)-1]), q[1 : len(q)-1]} {
			if strings.Contains(out, form) {
				t.Fatalf("the answer echoes the api_key %q: %s", s, out)
			}
		}
	}
}

// bodyStrings walks the JSON values in body (as far as they are valid) and
// returns the strings of the members named key (in any case, as encoding/json
// matches names, at any depth, duplicates too) and every other string, object
// keys included.
func bodyStrings(body []byte, key string) (secrets, others []string) {
	type frame struct {
		object  bool
		wantKey bool
		key     string
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return secrets, others
		}
		var parent *frame
		if len(stack) > 0 {
			parent = stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok && parent != nil && parent.object && parent.wantKey {
			parent.key, parent.wantKey = s, false
			others = append(others, s)
			continue
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		// A value starts: the parent object waits for its next key.
		if parent != nil && parent.object {
			parent.wantKey = true
		}
		switch v := tok.(type) {
		case json.Delim:
			stack = append(stack, &frame{object: v == '{', wantKey: v == '{'})
		case string:
			if parent != nil && parent.object && strings.EqualFold(parent.key, key) {
				secrets = append(secrets, v)
			} else {
				others = append(others, v)
			}
		}
	}
}

// edgeSeeds are bodies every target is seeded with, besides its own. They
// stay small: the fuzzer minimises every new interesting input, at some
// milliseconds an input here, so a seed of kilobytes stalls it for a minute.
// Bodies too big for a seed are in TestAPIBodiesLarge.
func edgeSeeds() []string {
	deep := strings.Repeat("[", 64) + strings.Repeat("]", 64)
	deepObj := strings.Repeat(`{"a":`, 64) + "1" + strings.Repeat("}", 64)
	return []string{
		``, ` `, `null`, `[]`, `[{}]`, `{}`, `""`, `"x"`, `0`, `true`, `{`, `}`, `{"`, `{"a"`, `{"a":`,
		`{"a":1}`, `{} {}`, `{}garbage`, "{}\n", "\xef\xbb\xbf{}", "{\xff}", `{"\u0000":1}`,
		deep, deepObj, `{"name":` + deep + `}`,
	}
}

func addSeeds(f *testing.F, bodies ...string) {
	for _, b := range append(edgeSeeds(), bodies...) {
		f.Add([]byte(b))
	}
}

// configCase sends a body to a config endpoint and checks it: a refusal
// changes nothing; a success leaves a config.json that loads again into the
// running configuration, keeps the key Claudeflare does not know, and answers
// as ok says. The starting config.json is then put back.
func (h *fuzzAPI) configCase(t *testing.T, method, path string, body []byte, allowed []int, ok func(t *testing.T, answer map[string]any)) {
	t.Helper()
	file := h.file(t, "config.json")
	view := h.do(t, "GET", "/api/config", nil)
	r := h.do(t, method, path, body)
	if r.status < 400 {
		defer h.restoreConfig(t)
	}
	checkAnswer(t, r, body, allowed...)
	if r.status >= 400 {
		if after := h.file(t, "config.json"); !bytes.Equal(after, file) {
			t.Fatalf("refused with %d %s, yet config.json changed:\n%s", r.status, r.body, after)
		}
		if after := h.do(t, "GET", "/api/config", nil); after.body != view.body {
			t.Fatalf("refused with %d %s, yet GET /api/config changed:\n%s\n%s", r.status, r.body, view.body, after.body)
		}
		return
	}
	path = core.ConfigPath(h.home)
	loaded, _, err := config.Load(path, h.lookup, nil)
	if err != nil {
		t.Fatalf("accepted %q, and config.json no longer loads: %v", body, err)
	}
	if err := loaded.Validate(); err != nil {
		t.Fatalf("accepted %q into an invalid configuration: %v", body, err)
	}
	if running := h.core.ConfigManager().Get(); loaded != running {
		t.Fatalf("config.json loads as %+v, the running configuration is %+v", loaded, running)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(h.file(t, "config.json"), &members); err != nil || string(compactJSON(members["x_not_ours"])) != `{"keep":[1,2]}` {
		t.Fatalf("the patch lost the unknown key x_not_ours: %s", h.file(t, "config.json"))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config.json mode: %v %v", fi.Mode(), err)
	}
	var answer map[string]any
	if err := json.Unmarshal([]byte(r.body), &answer); err != nil {
		t.Fatal(err)
	}
	ok(t, answer)
}

// restoreConfig puts the starting config.json back and loads it.
func (h *fuzzAPI) restoreConfig(t *testing.T) {
	t.Helper()
	if err := os.WriteFile(core.ConfigPath(h.home), []byte(fuzzConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := h.core.ConfigManager().Patch(map[string]json.RawMessage{}); err != nil { // an empty patch reloads
		t.Fatal(err)
	}
}

func compactJSON(raw json.RawMessage) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// asJSON is v as generic JSON (numbers as float64), to compare with an answer.
func asJSON(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// newConfigFuzzAPI starts from fuzzConfig, with retention_days set by the
// environment (so that a patch of it is a 409).
func newConfigFuzzAPI(tb testing.TB) *fuzzAPI {
	return newFuzzAPI(tb, fuzzSetup{configFile: fuzzConfig, env: map[string]string{"CLAUDEFLARE_RETENTION_DAYS": "45"}})
}

// newAccountsFuzzAPI starts with two API-key accounts, work (priority 3)
// and home (0), and an OAuth account, loggedin.
func newAccountsFuzzAPI(tb testing.TB) *fuzzAPI {
	h := newFuzzAPI(tb, fuzzSetup{fakeUpstream: true})
	h.addAPIKeyAccount(tb, "work", 3)
	h.addAPIKeyAccount(tb, "home", 0)
	_, code, l := h.manualLogin(tb, "loggedin")
	if _, err := l.Complete(context.Background(), code); err != nil {
		tb.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(h.do(tb, "GET", "/api/accounts", nil).body), &list); err != nil || len(list) != 3 {
		tb.Fatalf("accounts at the start: %v %v", list, err)
	}
	h.baseline = map[string]setting{}
	for _, a := range list {
		h.baseline[a["id"].(string)] = setting{a["name"].(string), int(a["priority"].(float64))}
	}
	return h
}

// patchConfig checks a PATCH /api/config body: a success answers, and
// runs, the configuration with each key as patched (null: the default,
// from the file otherwise).
func (h *fuzzAPI) patchConfig(t *testing.T, body []byte) {
	h.configCase(t, "PATCH", "/api/config", body, []int{200, 400, 409, 413}, func(t *testing.T, answer map[string]any) {
		want := asJSON(t, h.core.ConfigManager().Get()).(map[string]any)
		want["sources"] = asJSON(t, h.core.ConfigManager().Sources())
		if !reflect.DeepEqual(answer, want) {
			t.Fatalf("answer %v, the running configuration is %v", answer, want)
		}
		var patch map[string]json.RawMessage
		if err := json.Unmarshal(body, &patch); err != nil {
			t.Fatalf("accepted %q, which is not a JSON object: %v", body, err)
		}
		defaults := asJSON(t, config.Default()).(map[string]any)
		sources := answer["sources"].(map[string]any)
		for key, raw := range patch {
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatal(err)
			}
			wantSrc := "file"
			if v == nil {
				v, wantSrc = defaults[key], "default"
			}
			if !reflect.DeepEqual(answer[key], v) || sources[key] != wantSrc {
				t.Fatalf("patched %s to %s: now %v from %v", key, raw, answer[key], sources[key])
			}
		}
	})
}

// putStrategy checks a PUT /api/config/strategy body: only "session" succeeds.
func (h *fuzzAPI) putStrategy(t *testing.T, body []byte) {
	h.configCase(t, "PUT", "/api/config/strategy", body, []int{200, 400, 409, 413}, func(t *testing.T, answer map[string]any) {
		if len(answer) != 1 || answer["strategy"] != config.StrategySession || h.core.ConfigManager().Get().LBStrategy != config.StrategySession {
			t.Fatalf("answer %v, running strategy %q", answer, h.core.ConfigManager().Get().LBStrategy)
		}
	})
}

// accountBody is what the account endpoints read, decoded as they decode it.
type accountBody struct {
	Name     *string `json:"name"`
	APIKey   *string `json:"api_key"`
	Priority *int    `json:"priority"`
}

// refusedChangesNothing fails if a refused request changed the accounts.
func (h *fuzzAPI) refusedChangesNothing(t *testing.T, r result, before string) {
	t.Helper()
	if after := h.accounts(t); after != before {
		t.Fatalf("refused with %d %s, yet the accounts changed:\n%s\n%s", r.status, r.body, before, after)
	}
}

// addAccount checks a POST /api/accounts body: a success answers and lists
// the API-key account as asked, without its key; the account is then removed.
func (h *fuzzAPI) addAccount(t *testing.T, body []byte) {
	before := h.accounts(t)
	r := h.do(t, "POST", "/api/accounts", body)
	var a map[string]any
	if r.status == 201 && json.Unmarshal([]byte(r.body), &a) == nil {
		defer func() {
			name, _ := a["name"].(string)
			h.removeAccount(t, name)
			if after := h.accounts(t); after != before {
				t.Fatalf("removing the added account did not give the accounts back:\n%s\n%s", before, after)
			}
		}()
	}
	checkAnswer(t, r, body, 201, 400, 409, 413)
	if r.status >= 400 {
		h.refusedChangesNothing(t, r, before)
		return
	}
	var in accountBody
	if err := json.Unmarshal(body, &in); err != nil || in.Name == nil || in.APIKey == nil {
		t.Fatalf("accepted %q: %v", body, err)
	}
	prio := 0
	if in.Priority != nil {
		prio = *in.Priority
	}
	if a["name"] != *in.Name || a["kind"] != "api_key" || a["priority"] != float64(prio) || a["status"] != "available" {
		t.Fatalf("added %q, got %s", body, r.body)
	}
	list := h.do(t, "GET", "/api/accounts", nil)
	if id, _ := a["id"].(string); id == "" || !strings.Contains(list.body, `"id":"`+id+`"`) {
		t.Fatalf("the added account is not listed: %s", list.body)
	}
	checkNoSecret(t, list.body, body)
}

// patchAccount checks a PATCH /api/accounts/{name} body: a success answers
// the named account with the name and priority asked; they are then put back.
func (h *fuzzAPI) patchAccount(t *testing.T, name string, body []byte) {
	before := h.accounts(t)
	r := h.do(t, "PATCH", "/api/accounts/"+url.PathEscape(name), body)
	var a map[string]any
	id := ""
	if r.status == 200 && json.Unmarshal([]byte(r.body), &a) == nil {
		id, _ = a["id"].(string)
		if orig, ok := h.baseline[id]; ok {
			defer func() {
				now, _ := a["name"].(string)
				if _, err := h.core.UpdateAccount(context.Background(), now, view.AccountPatch{Name: &orig.name, Priority: &orig.prio}); err != nil {
					t.Fatalf("putting %q back: %v", now, err)
				}
				if after := h.accounts(t); after != before {
					t.Fatalf("putting the account back did not give the accounts back:\n%s\n%s", before, after)
				}
			}()
		}
	}
	checkAnswer(t, r, body, 200, 400, 404, 409, 413)
	if r.status >= 400 {
		h.refusedChangesNothing(t, r, before)
		return
	}
	orig, found := h.baseline[id]
	if !found || !strings.EqualFold(orig.name, name) { // a name is found ignoring case when only one matches
		t.Fatalf("PATCH %q answered with another account: %s", name, r.body)
	}
	var in accountBody
	if err := json.Unmarshal(body, &in); err != nil {
		t.Fatalf("accepted %q: %v", body, err)
	}
	want := orig
	if in.Name != nil {
		want.name = *in.Name
	}
	if in.Priority != nil {
		want.prio = *in.Priority
	}
	if a["name"] != want.name || a["priority"] != float64(want.prio) {
		t.Fatalf("PATCH %q %q: %s", name, body, r.body)
	}
}

// oauthStart checks a POST /api/oauth/start body: a success answers a
// session that exists, with the fake's authorize URL; the login is then
// cancelled. Starting a login never changes the accounts.
func (h *fuzzAPI) oauthStart(t *testing.T, body []byte) {
	before := h.accounts(t)
	r := h.do(t, "POST", "/api/oauth/start", body)
	checkAnswer(t, r, body, 200, 400, 404, 409, 413)
	if r.status == 200 {
		var m map[string]any
		_ = json.Unmarshal([]byte(r.body), &m)
		id, _ := m["session_id"].(string)
		authURL, _ := m["authorize_url"].(string)
		if _, isBool := m["manual"].(bool); id == "" || !strings.HasPrefix(authURL, h.fake.AuthorizeURL()+"?") || !isBool {
			t.Fatalf("start answer: %s", r.body)
		}
		l, err := h.core.Logins().Get(id)
		if err != nil {
			t.Fatalf("the answered session %q is unknown: %v", id, err)
		}
		endLogin(t, l)
	}
	if after := h.accounts(t); after != before {
		t.Fatalf("starting a login (%d %s) changed the accounts:\n%s\n%s", r.status, r.body, before, after)
	}
}

// completeLoginName is the account the logins POST /api/oauth/complete
// bodies finish would add.
const completeLoginName = "fuzz-login"

// oauthComplete checks a POST /api/oauth/complete body, in which $SESSION
// stands for the pending login's session id, $CODE for the code#state its
// authorize page showed, and $AUTHCODE and $STATE for the two halves. No
// answer shows a token or the code; a success answers the new OAuth account,
// which is then removed.
func (h *fuzzAPI) oauthComplete(t *testing.T, body []byte) {
	if h.login == nil {
		h.loginID, h.loginCode, h.login = h.manualLogin(t, completeLoginName)
	} else if state, _, _ := h.login.Status(); state != oauth.StatePending {
		h.loginID, h.loginCode, h.login = h.manualLogin(t, completeLoginName)
	}
	authCode, state, _ := strings.Cut(h.loginCode, "#")
	sent := body
	for _, p := range [][2]string{{"$SESSION", h.loginID}, {"$CODE", h.loginCode}, {"$AUTHCODE", authCode}, {"$STATE", state}} {
		sent = bytes.ReplaceAll(sent, []byte(p[0]), []byte(p[1]))
	}
	before := h.accounts(t)
	r := h.do(t, "POST", "/api/oauth/complete", sent)
	if r.status == 201 {
		defer func() {
			h.removeAccount(t, completeLoginName)
			if after := h.accounts(t); after != before {
				t.Fatalf("removing the logged-in account did not give the accounts back:\n%s\n%s", before, after)
			}
		}()
	}
	checkAnswer(t, r, sent, 201, 400, 404, 409, 413)
	if strings.Contains(r.body, fakeanthropic.AccessTokenPrefix) || strings.Contains(r.body, fakeanthropic.RefreshTokenPrefix) {
		t.Fatalf("the answer shows a token: %s", r.body)
	}
	// The authorization code is a secret too, unless the body also sent it
	// as something that may be echoed (an unknown member's name).
	_, others := bodyStrings(sent, "code")
	if strings.Contains(r.body, authCode) && !slices.ContainsFunc(others, func(o string) bool { return strings.Contains(o, authCode) }) {
		t.Fatalf("the answer shows the authorization code: %s", r.body)
	}
	if r.status >= 400 {
		h.refusedChangesNothing(t, r, before)
		return
	}
	var a map[string]any
	_ = json.Unmarshal([]byte(r.body), &a)
	if a["name"] != completeLoginName || a["kind"] != "oauth" || a["status"] != "available" {
		t.Fatalf("completed with %q: %s", sent, r.body)
	}
	if state, _, _ := h.login.Status(); state != oauth.StateDone {
		t.Fatalf("answered 201, but the login is %s", state)
	}
}

func FuzzPatchConfig(f *testing.F) {
	addSeeds(f,
		`{"session_duration_ms": 7200000}`, `{"port": 9090, "host": "::1"}`, `{"host": "localhost"}`,
		`{"upstream_url": "http://127.0.0.1:1/base"}`, `{"credential_store": "file"}`, `{"lb_strategy": "session"}`,
		`{"allow_remote": true}`, `{"host": "0.0.0.0", "allow_remote": true}`, `{"host": "0.0.0.0"}`,
		`{"port": null}`, `{"session_duration_ms": null, "port": null}`, `{"x_not_ours": null}`,
		`{"retention_days": 10}`, `{"retention_days": null}`,
		`{"port": 0}`, `{"port": 65536}`, `{"port": -1}`, `{"port": 1e400}`, `{"port": 1e3}`, `{"port": 8080.0}`,
		`{"port": 80.5}`, `{"port": 99999999999999999999999}`, `{"port": -9223372036854775809}`, `{"port": "8080"}`,
		`{"session_duration_ms": 604800000}`, `{"session_duration_ms": 604800001}`, `{"session_duration_ms": 6e4}`,
		`{"host": "example.com"}`, `{"host": ""}`, `{"host": 127001}`, `{"upstream_url": "ftp://x"}`,
		`{"upstream_url": "http://"}`, `{"credential_store": "KEYCHAIN"}`, `{"allow_remote": "yes"}`, `{"allow_remote": 1}`,
		`{"lb_strategy": "round_robin"}`, `{"lb_strategy": ["session"]}`, `{"port": {"a": 1}}`,
		`{"port": 9000, "port": 9001}`, `{"port": 9000, "port": "x"}`, `{"Port": 9000}`, `{"pört": 9000}`,
		`{"port": 9000} trailing`, `{"port": 9000}{"port": 9001}`, `{"port": 9000}}`, `{"port": 9000}]`, `{"api_key": "sk-ant-api03-leakcheck-config"}`,
		`{"port": 9000, "nonsense": 1}`,
	)
	h := newConfigFuzzAPI(f)
	f.Fuzz(h.patchConfig)
}

func FuzzPutStrategy(f *testing.F) {
	addSeeds(f,
		`{"strategy":"session"}`, `{"strategy":"session"} `, `{"strategy":"Session"}`, `{"strategy":"round_robin"}`,
		`{"strategy":""}`, `{"strategy":null}`, `{"strategy":1}`, `{"strategy":["session"]}`, `{"strategy":{}}`,
		`{"strategy":"session","strategy":"least_used"}`, `{"strategy":"least_used","strategy":"session"}`,
		`{"STRATEGY":"session"}`, `{"strategy":"session","extra":1}`, `{"strategy":"session"}x`,
		`{"strategy":"session"}}`, `{"strategy":"session"}]`, `{"strategy":"session"} ]]garbage`,
		`{"strategy":"sessi\u00f6n"}`, `{"strategy":"session\u0000"}`, `{"lb_strategy":"session"}`,
	)
	h := newConfigFuzzAPI(f)
	f.Fuzz(h.putStrategy)
}

func FuzzAddAccount(f *testing.F) {
	addSeeds(f,
		`{"name":"new","api_key":"sk-ant-api03-leakcheck-add"}`, `{"name":"new","api_key":"sk-ant-api03-x","priority":100}`,
		`{"name":"a.b_c@d+e-f 1","api_key":"k","priority":0}`, `{"name":"`+strings.Repeat("x", 64)+`","api_key":"k"}`,
		`{"name":"`+strings.Repeat("x", 65)+`","api_key":"k"}`, `{"name":"work","api_key":"sk-ant-api03-leakcheck-taken"}`,
		`{"name":"WORK","api_key":"k"}`, `{"name":"","api_key":"k"}`, `{"name":null,"api_key":"k"}`, `{"name":"n"}`,
		`{"api_key":"sk-ant-api03-leakcheck-noname"}`, `{"name":"n","api_key":""}`, `{"name":"n","api_key":null}`,
		`{"name":"n","api_key":"sk-ant api03"}`, `{"name":"n","api_key":"`+strings.Repeat("k", 513)+`"}`,
		`{"name":"n","api_key":"sk-ant-api03-leakcheck-prio","priority":101}`, `{"name":"n","api_key":"k","priority":-1}`,
		`{"name":"n","api_key":"k","priority":1e400}`, `{"name":"n","api_key":"k","priority":99999999999999999999}`,
		`{"name":"n","api_key":"k","priority":1.5}`, `{"name":"n","api_key":"k","priority":1e1}`,
		`{"name":"n","api_key":"k","priority":"1"}`, `{"name":1,"api_key":"k"}`, `{"name":["n"],"api_key":"k"}`,
		`{"name":"n","api_key":{"k":"sk-ant-api03-leakcheck-nested"}}`, `{"name":"n","api_key":["sk-ant-api03-leakcheck-array"]}`,
		`{"name":"wörk","api_key":"k"}`, `{"name":"名前","api_key":"k"}`, `{"name":"🔑","api_key":"k"}`, `{"name":"a\u0000b","api_key":"k"}`,
		`{"name":"a/b","api_key":"sk-ant-api03-leakcheck-slash"}`, `{"name":"a\nb","api_key":"k"}`,
		`{"name":"n","api_key":"sk-ant-api03-leakcheck-dup1","api_key":"sk-ant-api03-leakcheck-dup2"}`,
		`{"name":"n","name":"m","api_key":"k"}`, `{"NAME":"n","API_KEY":"sk-ant-api03-leakcheck-case"}`,
		`{"name":"n","api_key":"sk-ant-api03-leakcheck-extra","extra":1}`, `{"name":"n","api_key":"sk-ant-api03-leakcheck-trail"} x`,
		`{"name":"n","api_key":"sk-ant-api03-leakcheck-trail2"}{}`, `{"name":"n","api_key":"k"}}`, `{"name":"n","api_key":"k"}]`, "{\"name\":\"n\",\"api_key\":\"sk-ant-api03-\xff\xfe\"}",
		`{"name":"sk-ant-api03-leakcheck-name","api_key":"sk-ant-api03-leakcheck-name"}`,
	)
	h := newAccountsFuzzAPI(f)
	f.Fuzz(h.addAccount)
}

func FuzzPatchAccount(f *testing.F) {
	for _, s := range []struct{ name, body string }{
		{"work", `{"priority":0}`}, {"work", `{"name":"office"}`}, {"work", `{"name":"office","priority":100}`},
		{"work", `{"name":"work"}`}, {"work", `{"name":"WORK"}`}, {"work", `{"name":"home"}`}, {"home", `{"name":"work","priority":1}`},
		{"loggedin", `{"name":"again","priority":9}`},
		{"work", `{}`}, {"work", `{"name":null,"priority":null}`}, {"work", `{"name":""}`}, {"work", `{"name":"a/b"}`},
		{"work", `{"name":"` + strings.Repeat("x", 65) + `"}`}, {"work", `{"priority":101}`}, {"work", `{"priority":-1}`},
		{"work", `{"priority":1e400}`}, {"work", `{"priority":1.5}`}, {"work", `{"priority":"1"}`}, {"work", `{"name":1}`},
		{"work", `{"paused":true}`}, {"work", `{"api_key":"sk-ant-api03-leakcheck-patch"}`},
		{"work", `{"priority":1,"priority":2}`}, {"work", `{"priority":1} x`}, {"work", `{"priority":1}}`}, {"work", `{"name":"wörk"}`},
		{"nobody", `{"priority":1}`}, {"", `{"priority":1}`}, {"a/b", `{"priority":1}`}, {"..", `{"priority":1}`},
		{".", `{"priority":1}`}, {"%2F", `{"priority":1}`}, {"wörk", `{"priority":1}`}, {"work/pause", `{"priority":1}`},
		{"Work", `{"priority":1}`}, {"work ", `{"priority":1}`}, {"\xff", `{"priority":1}`}, {"work?x=1", `{"priority":1}`},
	} {
		f.Add(s.name, []byte(s.body))
	}
	for _, b := range edgeSeeds() {
		f.Add("work", []byte(b))
	}
	h := newAccountsFuzzAPI(f)
	f.Fuzz(h.patchAccount)
}

func FuzzOAuthStart(f *testing.F) {
	addSeeds(f,
		`{"name":"new"}`, `{"name":"new","mode":"claude"}`, `{"name":"new","mode":"console","manual":true,"priority":7}`,
		`{"name":"new","open_browser":true}`, `{"name":"new","mode":""}`, `{"name":"loggedin","relogin":true}`,
		`{"name":"loggedin","relogin":true,"mode":"console"}`, `{"name":"loggedin","relogin":true,"mode":"claude","manual":true}`,
		`{"name":"work","relogin":true}`, `{"name":"ghost","relogin":true}`, `{"name":"work"}`, `{"name":"loggedin"}`,
		`{"name":"new","mode":"team"}`, `{"name":"new","mode":null}`, `{"name":"new","mode":1}`, `{"name":"new","priority":101}`,
		`{"name":"new","priority":-1}`, `{"name":"new","priority":1e400}`, `{"name":"new","priority":1.5}`,
		`{"name":"new","priority":null}`, `{"name":"new","manual":"yes"}`, `{"name":"new","manual":null}`,
		`{"name":""}`, `{"name":null}`, `{"mode":"claude"}`, `{"name":"a/b"}`, `{"name":"wörk"}`, `{"name":"名前"}`,
		`{"name":"new","api_key":"sk-ant-api03-leakcheck-start"}`, `{"name":"new","name":"other"}`, `{"name":"new"} x`, `{"name":"new"}}`,
		`{"NAME":"new","MODE":"CONSOLE"}`, `{"name":"`+strings.Repeat("x", 65)+`"}`,
	)
	h := newAccountsFuzzAPI(f)
	f.Fuzz(h.oauthStart)
}

func FuzzOAuthComplete(f *testing.F) {
	addSeeds(f, // $SESSION, $CODE, $AUTHCODE, $STATE: see oauthComplete
		`{"session_id":"$SESSION","code":"$CODE"}`, `{"session_id":"$SESSION","code":" $CODE\n"}`,
		`{"session_id":"$SESSION","code":"https://platform.claude.com/oauth/code/callback?code=$AUTHCODE&state=$STATE"}`,
		`{"session_id":"$SESSION","code":"wrong#$STATE"}`, `{"session_id":"$SESSION","code":"$AUTHCODE#wrong"}`,
		`{"session_id":"$SESSION","code":"$AUTHCODE"}`, `{"session_id":"$SESSION","code":"#"}`, `{"session_id":"$SESSION","code":"a#b#c"}`,
		`{"session_id":"$SESSION","code":""}`, `{"session_id":"$SESSION","code":null}`, `{"session_id":"$SESSION","code":1}`,
		`{"session_id":"$SESSION"}`, `{"code":"$CODE"}`, `{"session_id":"","code":"$CODE"}`, `{"session_id":"0123","code":"$CODE"}`,
		`{"session_id":"$SESSION","code":"$CODE","extra":1}`, `{"session_id":"$SESSION","code":"$CODE"} x`, `{"session_id":"$SESSION","code":"$CODE"}]`,
		`{"session_id":"$SESSION","code":"wrong#$STATE","code":"$CODE"}`, `{"session_id":"$SESSION","code":"$CODE","code":"x#y"}`,
		`{"session_id":["$SESSION"],"code":"$CODE"}`, `{"SESSION_ID":"$SESSION","CODE":"$CODE"}`, `{"$AUTHCODE":1}`,
		`{"session_id":"$SESSION","code":"$AUTHCODE#$STATE\u0000"}`, `{"session_id":"$SESSION","code":"wörk#$STATE"}`,
		`{"session_id":"$SESSION","code":"$CODE","api_key":"sk-ant-api03-leakcheck-complete"}`,
	)
	h := newAccountsFuzzAPI(f)
	f.Fuzz(h.oauthComplete)
}

// TestAPIBodiesLarge puts the bodies too big to seed the fuzz targets with
// through the same checks: nesting past encoding/json's depth limit, and
// bodies past the API's 1 MiB limit.
func TestAPIBodiesLarge(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("[", 10001) + strings.Repeat("]", 10001)
	deepObj := strings.Repeat(`{"name":`, 10001) + `"n"` + strings.Repeat("}", 10001)
	huge := strings.Repeat("x", 1<<20)
	bodies := []string{
		deep, deepObj, `{"name":` + deep + `}`, `{"strategy":` + deep + `}`,
		`{"name":"` + huge + `","api_key":"sk-ant-api03-leakcheck-huge"}`,
		`{"name":"n","api_key":"sk-ant-api03-leakcheck-` + huge + `"}`,
		`{"name":"n","api_key":"sk-ant-api03-leakcheck-big` + strings.Repeat("k", 5000) + `"}`,
		`{"strategy":"session"}` + strings.Repeat(" ", 1<<20),
		`{"session_id":"$SESSION","code":"` + strings.Repeat("c", 5000) + `#$STATE"}`,
		`{"session_id":"$SESSION","code":"$CODE"}` + strings.Repeat("\n", 1<<20),
	}
	cfg := newConfigFuzzAPI(t)
	acc := newAccountsFuzzAPI(t)
	// Over the limit is 413 on every endpoint, whatever the body holds.
	for _, e := range []struct {
		h            *fuzzAPI
		method, path string
	}{
		{cfg, "PATCH", "/api/config"}, {cfg, "PUT", "/api/config/strategy"}, {acc, "POST", "/api/accounts"},
		{acc, "PATCH", "/api/accounts/work"}, {acc, "POST", "/api/oauth/start"}, {acc, "POST", "/api/oauth/complete"},
	} {
		for _, b := range []string{`{"name":"` + huge + `"}`, `{"strategy":"session"}` + strings.Repeat(" ", 1<<20)} {
			if r := e.h.do(t, e.method, e.path, []byte(b)); r.status != 413 || !strings.Contains(r.body, "1 MiB") {
				t.Errorf("%s %s with %d bytes: %d %s", e.method, e.path, len(b), r.status, r.body)
			}
		}
	}
	for i, b := range bodies {
		body := []byte(b)
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			cfg.patchConfig(t, body)
			cfg.putStrategy(t, body)
			acc.addAccount(t, body)
			acc.patchAccount(t, "work", body)
			acc.oauthStart(t, body)
			acc.oauthComplete(t, body)
		})
	}
}

// TestOAuthCompleteShortWrongCode: a pasted code mistyped down to one letter,
// with the right state, is the user's mistake: 400 saying invalid_grant, not
// 502. Found by FuzzOAuthComplete: the code "a" was scrubbed out of the
// token endpoint's error code ("inv[redacted]lid_gr[redacted]nt").
func TestOAuthCompleteShortWrongCode(t *testing.T) {
	t.Parallel()
	h := newAccountsFuzzAPI(t)
	h.oauthComplete(t, []byte(`{"session_id":"$SESSION","Code":"a#$STATE"}`))
}
