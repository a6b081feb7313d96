package accounts_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/accounts"
	"github.com/claudeflare/claudeflare/core/store"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

const removerEnv = "CLAUDEFLARE_ACCOUNTS_TEST_REMOVER"

// TestRemoverProcess is the child of TestKilledRemovalsLeaveNoAccountWithoutSecret:
// it removes every account of the home folder in its environment, one by
// one, until it is killed.
func TestRemoverProcess(t *testing.T) {
	dir := os.Getenv(removerEnv)
	if dir == "" {
		t.Skip("helper process for TestKilledRemovalsLeaveNoAccountWithoutSecret")
	}
	db, err := store.Open(filepath.Join(dir, "claudeflare.db"))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	svc := &accounts.Service{DB: db, Creds: filestore.New(filepath.Join(dir, "credentials.json"))}
	ctx := context.Background()
	list, err := db.Accounts(ctx)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("removing")
	for _, a := range list {
		if err := svc.Remove(ctx, a.Name); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
	}
}

// A process removing accounts, killed with SIGKILL at varying moments,
// never leaves an account without its secret: the row goes first.
func TestKilledRemovalsLeaveNoAccountWithoutSecret(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("kills processes in a loop")
	}
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "claudeflare.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fs := filestore.New(filepath.Join(dir, "credentials.json"))
	svc := &accounts.Service{DB: db, Creds: fs}
	ctx := t.Context()
	const total = 100
	for i := range total {
		if _, err := svc.AddAPIKey(ctx, fmt.Sprintf("acct-%03d", i), fmt.Sprintf("sk-ant-api03-%03d", i), 0); err != nil {
			t.Fatal(err)
		}
	}
	kills := 0
	for round := 0; round < 30; round++ {
		left, err := db.Accounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestRemoverProcess$")
		cmd.Env = append(os.Environ(), removerEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line := make([]byte, len("removing\n"))
		if _, err := out.Read(line); err != nil || string(line) != "removing\n" {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("round %d: remover said %q, %v", round, line, err)
		}
		// The remover is under way: let it remove a few, then kill it at a
		// moment that varies from round to round.
		time.Sleep(time.Duration(1000+rand.IntN(9000)) * time.Microsecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err == nil {
			kills++
		}
		_ = cmd.Wait()

		left, err = db.Accounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range left {
			if _, err := fs.Get(ctx, a.ID); err != nil {
				t.Fatalf("round %d: account %s is left without its secret: %v", round, a.Name, err)
			}
		}
	}
	if kills < 10 {
		t.Errorf("only %d removers were killed in the middle; the test proves little", kills)
	}
	// What the kills left: orphaned secrets only, which the next start cleans.
	ids, err := fs.IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	left, _ := db.Accounts(ctx)
	t.Logf("%d removers killed; %d accounts left, %d secrets (%d orphaned)", kills, len(left), len(ids), len(ids)-len(left))
}
