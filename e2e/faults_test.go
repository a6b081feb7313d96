package e2e

// The fault suite: the real serve process under the failures a working day
// brings (issue #6). Kill -9 during heavy writing is in kill_test.go, a
// mid-stream cut in proxy_test.go, a hanging keychain in platform/keychain,
// and a refresh that fails then recovers in core/oauth
// (TestRefreshFailsThenRecovers: the 60-second back-off passes on a test
// clock there).

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
	"golang.org/x/sys/unix"
)

// burst sends n concurrent /v1/messages requests (every third one
// streaming) and returns their answers read whole. A transport error is an
// answer with Status -1 and the error as its body.
func (in *instance) burst(t *testing.T, n int, client *http.Client) []response {
	t.Helper()
	out := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, in.URL()+"/v1/messages",
				bytes.NewReader(messagesBody(i%3 == 0)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("x-api-key", clientKey)
			resp, err := client.Do(req)
			if err != nil {
				out[i] = response{Status: -1, Body: []byte(err.Error())}
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				out[i] = response{Status: -1, Body: []byte(err.Error())}
				return
			}
			out[i] = response{Status: resp.StatusCode, Header: resp.Header, Body: body}
		})
	}
	wg.Wait()
	return out
}

// metric reads one unlabelled sample of GET /metrics.
func (in *instance) metric(t *testing.T, name string) float64 {
	t.Helper()
	r := in.do(t, http.MethodGet, "/metrics", nil)
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("/metrics: %s = %q", name, v)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}

// rows is the number of request rows the API reports.
func (in *instance) rows(t *testing.T) int {
	t.Helper()
	var rows []requestJSON
	in.getJSON(t, "/api/requests?limit=1000", &rows)
	return len(rows)
}

// waitRows waits until the API reports exactly want request rows.
func (in *instance) waitRows(t *testing.T, want int, what string) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, what, func() error {
		if got := in.rows(t); got != want {
			return fmt.Errorf("%d rows, want %d", got, want)
		}
		return nil
	})
}

// apiErrorType is the error type of an Anthropic-style error body, or "".
func apiErrorType(body []byte) string {
	var e struct {
		Type  string `json:"type"`
		Error struct {
			Type string `json:"type"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Type != "error" {
		return ""
	}
	return e.Error.Type
}

// upstreamCalls counts the /v1/messages requests the fake saw per account key.
func upstreamCalls(sb *sandbox) map[string]int {
	byKey := map[string]string{}
	for name, key := range sb.Keys {
		byKey[key] = name
	}
	calls := map[string]int{}
	for _, s := range seenMessages(sb.Fake) {
		calls[byKey[s.Credential]]++
	}
	return calls
}

// TestFault429StormAcrossAllAccounts: every account answers 429 while a burst
// of concurrent requests is in flight. Each client gets an Anthropic-style
// 429 with retry-after; no account is asked twice by one request; the
// storm counts as one rate limit per account; once every account is known
// to be limited nothing more goes upstream; the first account to reset
// takes traffic again.
func TestFault429StormAcrossAllAccounts(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	for _, name := range []string{"a", "b", "c"} {
		sb.addAccount(t, name)
	}
	in := sb.serve(t)
	in.mustServeFrom(t, "a")
	events := in.subscribe(t)
	sb.Fake.ResetRequests()

	const resetA = 6 // seconds; b and c stay limited far longer
	stormStart := time.Now()
	sb.Fake.SetBehavior(sb.Keys["a"], fakeanthropic.Behavior{Status: http.StatusTooManyRequests, RetryAfter: strconv.Itoa(resetA)})
	sb.Fake.SetBehavior(sb.Keys["b"], fakeanthropic.Behavior{Status: http.StatusTooManyRequests, RetryAfter: "600"})
	sb.Fake.SetBehavior(sb.Keys["c"], fakeanthropic.Behavior{Status: http.StatusTooManyRequests, RetryAfter: "900"})

	const n = 48
	for i, r := range in.burst(t, n, in.client) {
		if r.Status != http.StatusTooManyRequests || apiErrorType(r.Body) != "rate_limit_error" {
			t.Fatalf("storm request %d: %s, want 429 rate_limit_error", i, r)
		}
		ra, err := strconv.Atoi(r.Header.Get("retry-after"))
		if err != nil || ra < 1 || ra > resetA {
			t.Errorf("storm request %d: retry-after %q, want 1…%d (seconds to a's reset, the earliest)", i, r.Header.Get("retry-after"), resetA)
		}
	}
	calls := upstreamCalls(sb)
	for _, name := range []string{"a", "b", "c"} {
		if calls[name] < 1 || calls[name] > n {
			t.Errorf("%s was asked %d times by %d requests, want 1…%d (at most once per request)", name, calls[name], n, n)
		}
	}
	accts, _ := in.accounts(t)
	for _, name := range []string{"a", "b", "c"} {
		checkStatus(t, accts, name, "rate_limited")
	}
	if until := accts["a"].RateLimitedUntil; until == nil {
		t.Error("a: rate_limited_until is null")
	} else {
		within(t, "a's rate_limited_until", *until, stormStart.Add(resetA*time.Second-time.Second), time.Now().Add(resetA*time.Second+time.Second))
	}

	// Known limited: further requests are answered without asking upstream.
	sb.Fake.ResetRequests()
	for range 5 {
		if r := in.message(t); r.Status != http.StatusTooManyRequests || r.Header.Get("retry-after") == "" {
			t.Errorf("while every account is limited: %s (retry-after %q), want 429 with retry-after", r, r.Header.Get("retry-after"))
		}
	}
	if got := len(seenMessages(sb.Fake)); got != 0 {
		t.Errorf("%d requests went upstream while every account was known to be limited, want 0", got)
	}

	// One occurrence per account, however many requests hit the limit: read
	// the events up to a marker published after the storm.
	if r := in.do(t, http.MethodPatch, "/api/config", map[string]any{"session_duration_ms": 3600000}); r.Status != 200 {
		t.Fatalf("PATCH /api/config: %s", r)
	}
	limits := map[string]int{}
	deadline := time.After(10 * time.Second)
	for marker := false; !marker; {
		select {
		case ev := <-events:
			d, _ := ev.Data["data"].(map[string]any)
			switch ev.Name {
			case "rate_limited":
				limits[fmt.Sprint(d["account"])]++
			case "config_changed":
				marker = true
			}
		case <-deadline:
			t.Fatal("/api/events: no config_changed after the storm")
		}
	}
	// Every row of the test (1 + n + 5) written means every event recorded
	// before them is too: the writer commits in the order records come.
	in.waitRows(t, 1+n+5, "the storm's rows")
	var stats struct {
		Accounts []struct {
			Account         string `json:"account"`
			RateLimitEvents int    `json:"rate_limit_events"`
		} `json:"accounts"`
	}
	in.getJSON(t, "/api/stats?window=1h", &stats)
	counted := map[string]int{}
	for _, a := range stats.Accounts {
		counted[a.Account] = a.RateLimitEvents
	}
	for _, name := range []string{"a", "b", "c"} {
		if limits[name] != 1 || counted[name] != 1 {
			t.Errorf("%s: %d rate_limited events and %d in /api/stats for one storm, want 1 and 1", name, limits[name], counted[name])
		}
	}

	// a's limit passes: it serves again (and keeps serving; b and c stay out).
	sb.Fake.SetBehavior(sb.Keys["a"], fakeanthropic.Behavior{})
	testkit.Eventually(t, (resetA+10)*time.Second, "a serves again after its reset", func() error {
		r := in.message(t)
		if r.Status != http.StatusOK || r.Header.Get("x-claudeflare-account") != "a" {
			return fmt.Errorf("%s from %q", r, r.Header.Get("x-claudeflare-account"))
		}
		return nil
	})
	in.mustServeFrom(t, "a")
}

// TestFault529Burst: a overloads in the middle of a concurrent burst. Each
// request is tried once more on a and then gets a's 529 unchanged (so the
// client retries as it would against Anthropic); b is never asked and a's
// session stays. When the overload passes, a serves again.
func TestFault529Burst(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	sb.addAccount(t, "a")
	sb.addAccount(t, "b")
	in := sb.serve(t)
	in.mustServeFrom(t, "a")
	sb.Fake.ResetRequests()
	sb.Fake.SetBehavior(sb.Keys["a"], fakeanthropic.Behavior{Status: 529})

	const n = 32
	for i, r := range in.burst(t, n, in.client) {
		if r.Status != 529 || r.Header.Get("x-claudeflare-account") != "a" || apiErrorType(r.Body) != "overloaded_error" {
			t.Fatalf("burst request %d: %s from %q, want a's 529", i, r, r.Header.Get("x-claudeflare-account"))
		}
	}
	calls := upstreamCalls(sb)
	if calls["a"] != 2*n || calls["b"] != 0 {
		t.Errorf("upstream calls: a %d, b %d; want a %d (each request once more), b 0", calls["a"], calls["b"], 2*n)
	}
	accts, _ := in.accounts(t)
	checkStatus(t, accts, "a", "active")
	checkStatus(t, accts, "b", "available")

	sb.Fake.SetBehavior(sb.Keys["a"], fakeanthropic.Behavior{})
	in.mustServeFrom(t, "a")
}

// TestFaultUpstreamNeverAnswers: the upstream accepts requests and never
// answers. Each client's own timeout ends its request; serve then abandons
// the upstream request, logs the request as 499, blames no account, and
// leaks no goroutine; the next request is served normally.
func TestFaultUpstreamNeverAnswers(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	sb.addAccount(t, "a")
	in := sb.serve(t)
	in.mustServeFrom(t, "a")
	in.client.CloseIdleConnections()
	testkit.Eventually(t, 5*time.Second, "a quiet fake", func() error {
		if n := sb.Fake.InFlight(); n != 0 {
			return fmt.Errorf("%d requests in flight", n)
		}
		return nil
	})
	in.waitRows(t, 1, "the first row")
	const before = 1
	baseline := in.metric(t, "go_goroutines")

	sb.Fake.SetBehavior(sb.Keys["a"], fakeanthropic.Behavior{HangBeforeHeaders: true})
	const n = 24
	impatient := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{}}
	for i, r := range in.burst(t, n, impatient) {
		if r.Status != -1 || !strings.Contains(string(r.Body), "Client.Timeout") {
			t.Fatalf("request %d to a silent upstream: %s, want the client's own timeout", i, r)
		}
	}
	impatient.CloseIdleConnections()

	testkit.Eventually(t, 10*time.Second, "serve to abandon the upstream requests", func() error {
		if got := sb.Fake.InFlight(); got != 0 {
			return fmt.Errorf("%d upstream requests still open", got)
		}
		return nil
	})
	testkit.Eventually(t, 10*time.Second, "a 499 row for each abandoned request", func() error {
		var rows []requestJSON
		in.getJSON(t, "/api/requests?limit=1000", &rows)
		gone := 0
		for _, r := range rows {
			if r.Status == 499 {
				gone++
			}
		}
		if len(rows) != before+n || gone != n {
			return fmt.Errorf("%d rows (%d with status 499), want %d new with 499", len(rows)-before, gone, n)
		}
		return nil
	})
	// Goroutines come back to where they were; a few of the runtime's own may come and go.
	testkit.Eventually(t, 10*time.Second, "goroutines back to the baseline", func() error {
		if g := in.metric(t, "go_goroutines"); g > baseline+3 {
			return fmt.Errorf("%v goroutines, %v before the hung requests", g, baseline)
		}
		return nil
	})
	accts, _ := in.accounts(t)
	if s := accts["a"].Status; s != "active" {
		t.Errorf("a is %q after clients gave up on a silent upstream, want active (clients leaving is no account's fault)", s)
	}
	sb.Fake.SetBehavior(sb.Keys["a"], fakeanthropic.Behavior{})
	in.mustServeFrom(t, "a")
}

// TestFaultDatabaseSlow: another connection holds the database's write lock
// (as a backup tool or a long CLI transaction would), so no row can be
// written. Requests are served all the same, and nothing is written until
// the lock goes; then every row arrives. The request path never waits on
// the database.
func TestFaultDatabaseSlow(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	sb.addAccount(t, "a")
	in := sb.serve(t)
	in.mustServeFrom(t, "a")
	in.waitRows(t, 1, "the first row")

	db, err := sql.Open("sqlite", "file:"+filepath.Join(sb.Home, "claudeflare.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	locked := time.Now()
	const n = 40
	for i := range n {
		r := in.do(t, http.MethodPost, "/v1/messages", messagesBody(i%4 == 0), "x-api-key", clientKey)
		if r.Status != http.StatusOK {
			t.Fatalf("request %d while the database is locked: %s", i, r)
		}
	}
	// Reads go on (WAL), and prove the writes really are held up.
	if got := in.rows(t); got != 1 {
		t.Fatalf("%d rows while the write lock was held, want 1: the lock did not hold the writer up", got)
	}
	held := time.Since(locked)
	if _, err := conn.ExecContext(context.Background(), "COMMIT"); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d requests served while the database was locked for %v", n, held)
	// The writer waits up to busy_timeout (5 s) for the lock, then counts
	// the batch as lost: within that, every row arrives.
	if held > 4*time.Second {
		t.Logf("the lock was held %v, close to busy_timeout: not checking that every row arrives", held)
		return
	}
	in.waitRows(t, n+1, "every row after the lock goes")
}

// TestFaultDiskFull: the database's disk fills up (RLIMIT_FSIZE 0 on the
// running serve: every file write fails, as on a full disk).
func TestFaultDiskFull(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	sb.addAccount(t, "a")
	in := sb.serve(t)
	in.writesFailAndRecover(t, "the disk is full", func() (undo func()) {
		pid := in.cmd.Process.Pid
		var old unix.Rlimit
		if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: 0, Max: unix.RLIM_INFINITY}, &old); err != nil {
			t.Skipf("cannot limit serve's file size here: %v", err)
		}
		return func() {
			if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &old, nil); err != nil {
				t.Fatalf("giving the disk back: %v", err)
			}
		}
	})
}

// TestFaultDatabaseReadOnly: the home folder is on a read-only file system
// (serve runs in a mount namespace of its own where the folder is a
// read-only bind mount). Serve refuses to start with an error naming the
// database and the cause, and changes nothing. A running serve's database
// cannot turn read-only under it: Linux refuses to remount read-only while
// a file is open for writing ("mount point is busy"), so mid-run the
// full-disk test stands for every write failing.
func TestFaultDatabaseReadOnly(t *testing.T) {
	t.Parallel()
	launcher := []string{"unshare", "-m", "--propagation", "private", "sh", "-c",
		`mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"`}
	if out, err := exec.Command(launcher[0], append(launcher[1:], t.TempDir(), "true")...).CombinedOutput(); err != nil {
		t.Skipf("no read-only bind mounts here (unshare -m, mount --bind): %v %s", err, out)
	}
	sb := newSandbox(t, fakeanthropic.Options{})
	sb.addAccount(t, "a")
	db := filepath.Join(sb.Home, "claudeflare.db")
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	sb.setConfigKeys(t, map[string]any{"port": testkit.FreePort(t)})
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, launcher[0], append(launcher[1:], sb.Home, binary, "serve")...)
	cmd.Env = sb.env()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("serve on a read-only home: %v, want exit status 1\n%s", err, out)
	}
	if !strings.Contains(string(out), db) || !strings.Contains(string(out), "read-only file system") {
		t.Errorf("serve's error does not name the database and the cause:\n%s", out)
	}
	if after, err := os.ReadFile(db); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the database changed (err %v)", err)
	}
}

// writesFailAndRecover serves requests before, during and after an episode
// in which fail makes every write of the running serve fail: proxying goes
// on; the failure is logged once and told once on /api/events, not once per
// batch; the lost rows are counted in /metrics; once undone, rows are
// written again.
func (in *instance) writesFailAndRecover(t *testing.T, what string, fail func() (undo func())) {
	t.Helper()
	const good = 5
	for range good {
		in.mustServeFrom(t, "a")
	}
	in.waitRows(t, good, "the rows before "+what)
	lostBefore := in.metric(t, "claudeflare_writer_dropped_records_total")
	events := in.subscribe(t)

	undo := fail()
	undone := false
	defer func() {
		if !undone {
			undo()
		}
	}()
	// Several batches (the writer commits every 100 ms), all failing.
	const lost = 30
	for i := range lost {
		in.mustServeFrom(t, "a")
		if i%10 == 9 {
			time.Sleep(250 * time.Millisecond)
		}
	}
	if r := in.do(t, http.MethodGet, "/health", nil); r.Status != http.StatusOK {
		t.Errorf("GET /health while %s: %s", what, r)
	}
	testkit.Eventually(t, 10*time.Second, "the lost rows to be counted", func() error {
		if got := in.metric(t, "claudeflare_writer_dropped_records_total") - lostBefore; got < lost {
			return fmt.Errorf("%v records counted lost, want at least the %d request rows", got, lost)
		}
		return nil
	})
	undone = true
	undo()

	const after = 5
	for range after {
		in.mustServeFrom(t, "a")
	}
	in.waitRows(t, good+after, "rows again once writes work: the ones before and after, none of those in between")
	if got := strings.Count(in.stderr.String(), "rows could not be written"); got != 1 {
		t.Errorf("the failure was logged %d times, want once:\n%s", got, in.stderr)
	}
	// Told once on /api/events (the tray shows it as a notification): read
	// up to a marker published after the recovery.
	if r := in.do(t, http.MethodPatch, "/api/config", map[string]any{"session_duration_ms": 3600000}); r.Status != 200 {
		t.Fatalf("PATCH /api/config: %s", r)
	}
	told := 0
	for marker := false; !marker; {
		select {
		case ev := <-events:
			switch ev.Name {
			case "request_log":
				told++
				if d, _ := ev.Data["data"].(map[string]any); !strings.Contains(fmt.Sprint(d["error"]), "lost") {
					t.Errorf("request_log event %v does not say rows were lost", ev.Data)
				}
			case "config_changed":
				marker = true
			}
		case <-time.After(10 * time.Second):
			t.Fatal("/api/events: no config_changed marker")
		}
	}
	if told != 1 {
		t.Errorf("%d request_log events for one failure streak, want 1", told)
	}
}
