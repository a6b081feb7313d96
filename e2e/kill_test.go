package e2e

import (
	"bytes"
	"database/sql"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
	_ "modernc.org/sqlite"
)

// TestKill9DuringHeavyWritingLosesAtMostTheLastBatch: serve is killed with
// SIGKILL while requests pour in; the database opens intact, holds nearly
// every answered request, and a restarted serve goes on writing.
func TestKill9DuringHeavyWritingLosesAtMostTheLastBatch(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{MaxRecorded: 10})
	sb.addAccount(t, "a")
	in := sb.serve(t)

	var answered atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ { // bounded
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Post(in.URL()+"/v1/messages", "application/json", bytes.NewReader(messagesBody(false)))
				if err != nil {
					return
				}
				resp.Body.Close()
				if resp.StatusCode == 200 {
					answered.Add(1)
				}
			}
		}()
	}
	testkit.Eventually(t, 30*time.Second, "heavy writing", func() error {
		if answered.Load() < 1000 {
			return errString("not yet")
		}
		return nil
	})
	_ = in.cmd.Process.Signal(syscall.SIGKILL)
	<-in.done
	in.stopOnce.Do(func() {}) // killed on purpose: no clean-shutdown check
	close(stop)
	wg.Wait()

	db, err := sql.Open("sqlite", filepath.Join(sb.Home, "claudeflare.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	var rows int64
	if err := db.QueryRow("SELECT count(*) FROM requests").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	// The writer commits every 100 ms or 512 rows: a kill loses what was
	// queued since the last commit, at most about one batch.
	const lastBatch = 1024
	if n := answered.Load(); rows > n || rows < n-lastBatch {
		t.Fatalf("%d rows for %d answered requests: more than the last batch was lost", rows, n)
	}
	t.Logf("%d answered, %d rows kept after kill -9", answered.Load(), rows)

	again := sb.serve(t)
	if r := again.message(t); r.Status != 200 {
		t.Fatalf("after restart: %s", r)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
