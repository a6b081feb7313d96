package filestore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/creds"
)

const writerEnv = "CLAUDEFLARE_FILESTORE_TEST_WRITER"

// churn stores n secrets named prefix-0 … prefix-(n-1), then deletes the odd
// ones, one call each, as n account adds and n/2 removals would.
func churn(ctx context.Context, s *FileStore, prefix string, n int) error {
	for i := range n {
		if err := s.Set(ctx, fmt.Sprintf("%s-%d", prefix, i), creds.Secret{APIKey: fmt.Sprintf("sk-ant-api03-%s-%d", prefix, i)}); err != nil {
			return err
		}
	}
	for i := 1; i < n; i += 2 {
		if err := s.Delete(ctx, fmt.Sprintf("%s-%d", prefix, i)); err != nil {
			return err
		}
	}
	return nil
}

// TestWriterProcess is the child of TestConcurrentProcessesLoseNothing.
func TestWriterProcess(t *testing.T) {
	spec := os.Getenv(writerEnv)
	if spec == "" {
		t.Skip("helper process for TestConcurrentProcessesLoseNothing")
	}
	path, prefix, _ := strings.Cut(spec, "|")
	if err := churn(context.Background(), New(path), prefix, 20); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

// Processes and goroutines adding and removing secrets in one file at the
// same time: every secret added and not removed is there, with its value,
// and no removed one came back. (Without the cross-process lock, each
// process's re-read and rename raced the others': 10 adds kept 4.)
func TestConcurrentProcessesLoseNothing(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	const procs, goroutines, perWriter = 4, 4, 20
	var prefixes []string
	var wg sync.WaitGroup
	for p := range procs {
		prefix := "proc" + strconv.Itoa(p)
		prefixes = append(prefixes, prefix)
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestWriterProcess$")
			cmd.Env = append(os.Environ(), writerEnv+"="+s.Path()+"|"+prefix)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("writer process %s: %v\n%s", prefix, err, out)
			}
		})
	}
	for g := range goroutines {
		prefix := "goroutine" + strconv.Itoa(g)
		prefixes = append(prefixes, prefix)
		wg.Go(func() {
			// Each goroutine has its own store, as each process has.
			if err := churn(t.Context(), New(s.Path()), prefix, perWriter); err != nil {
				t.Errorf("goroutine %s: %v", prefix, err)
			}
		})
	}
	wg.Wait()

	ids, err := s.IDs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, prefix := range prefixes {
		for i := 0; i < perWriter; i += 2 {
			want = append(want, fmt.Sprintf("%s-%d", prefix, i))
		}
	}
	slices.Sort(ids)
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("the file holds %d secrets, want %d (every even one of each writer, no odd one):\ngot  %v\nwant %v", len(ids), len(want), ids, want)
	}
	for _, id := range want {
		got, err := s.Get(t.Context(), id)
		if err != nil || got.APIKey != "sk-ant-api03-"+id {
			t.Errorf("secret %s: %v (value intact: %v)", id, err, got.APIKey == "sk-ant-api03-"+id)
		}
	}
}

const spanEnv = "CLAUDEFLARE_FILESTORE_TEST_SPAN"

// TestSpanProcess is the child of TestLockStoreHoldsOffOtherProcesses: it
// takes the lock for a span, says so, and holds it until stdin closes.
func TestSpanProcess(t *testing.T) {
	path := os.Getenv(spanEnv)
	if path == "" {
		t.Skip("helper process for TestLockStoreHoldsOffOtherProcesses")
	}
	s := New(path)
	err := creds.Locked(context.Background(), s, func(ctx context.Context) error {
		if err := s.Set(ctx, "span", creds.Secret{APIKey: "sk-ant-api03-span"}); err != nil {
			return err
		}
		fmt.Println("holding")
		_, _ = os.Stdin.Read(make([]byte, 1))
		return nil
	})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

// A span held with creds.Locked in one process keeps every other process's
// change out until it ends: the steps inside it are atomic for them.
func TestLockStoreHoldsOffOtherProcesses(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	if err := s.Set(t.Context(), "first", secret); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSpanProcess$")
	cmd.Env = append(os.Environ(), spanEnv+"="+s.Path())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line := make([]byte, len("holding\n"))
	if _, err := out.Read(line); err != nil || string(line) != "holding\n" {
		t.Fatalf("span process said %q, %v", line, err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := s.Set(ctx, "second", secret); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Set while another process holds the span: err = %v, want it to wait (deadline exceeded)", err)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("span process: %v", err)
	}
	if err := s.Set(t.Context(), "second", secret); err != nil {
		t.Fatalf("Set after the span: %v", err)
	}
	ids, _ := s.IDs(t.Context())
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"first", "second", "span"}) {
		t.Errorf("ids = %v, want first, second and span", ids)
	}
}

// Inside a span, the store's own methods (of any FileStore over the file)
// do not wait for the lock the span holds.
func TestLockStoreIsReentrantThroughTheContext(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	other := New(s.Path())
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	err := creds.Locked(ctx, s, func(ctx context.Context) error {
		if err := s.Set(ctx, "a", secret); err != nil {
			return err
		}
		if err := other.Set(ctx, "b", secret); err != nil {
			return err
		}
		ids, err := other.IDs(ctx)
		if len(ids) != 2 {
			return fmt.Errorf("ids = %v", ids)
		}
		return err
	})
	if err != nil {
		t.Fatalf("span: %v", err)
	}
}
