package idle

import (
	"bytes"
	"context"
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
	"syscall"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/loopback"
)

// Options is one measurement.
type Options struct {
	// Command runs Claudeflare: `claudeflare serve`, or the tray app. It
	// gets a fresh home (CLAUDEFLARE_HOME), the file credential store, the
	// fake upstream and a free port, on top of this process's environment
	// (DISPLAY and D-Bus for a tray). The process measured is the one it
	// starts.
	Command []string
	Settle  time.Duration // the wait after the request, before counting
	Window  time.Duration // how long to count
	Out     io.Writer     // the report and the steps
}

// startTimeout bounds the wait for the command's /health.
const startTimeout = 30 * time.Second

// Run starts the command on a temporary home with one account, sends one
// request through it, waits Settle, counts Window and prints the report.
// It stops the command (SIGTERM) and removes the home at the end.
func Run(ctx context.Context, o Options) (Report, error) {
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	home, err := os.MkdirTemp("", "claudeflare-idle-")
	if err != nil {
		return Report{}, err
	}
	defer os.RemoveAll(home)
	port, err := loopback.FreePort()
	if err != nil {
		return Report{}, err
	}
	if err := os.WriteFile(filepath.Join(home, "config.json"), fmt.Appendf(nil, `{"port": %d}`, port), 0o600); err != nil {
		return Report{}, err
	}
	cmd := exec.CommandContext(ctx, o.Command[0], o.Command[1:]...)
	cmd.Env = append(os.Environ(), "CLAUDEFLARE_HOME="+home, "CLAUDEFLARE_CREDENTIAL_STORE=file",
		"CLAUDEFLARE_UPSTREAM_URL="+fake.URL, "CLAUDEFLARE_LOG=info")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return Report{}, fmt.Errorf("starting %s: %w", o.Command[0], err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer stop(cmd, exited)
	fail := func(err error) (Report, error) {
		return Report{}, fmt.Errorf("%w\n--- its output:\n%s", err, logs.String())
	}

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	if err := waitHealthy(ctx, base, exited); err != nil {
		return fail(err)
	}
	fmt.Fprintf(o.Out, "measuring %s (pid %d) at %s\n", strings.Join(o.Command, " "), cmd.Process.Pid, base)
	// A Claudeflare from before the local API token has no file: it wants none.
	token, _ := os.ReadFile(filepath.Join(home, "api-token"))
	key := fake.IssueAPIKey()
	if err := call(ctx, base, strings.TrimSpace(string(token)), "POST", "/api/accounts",
		map[string]any{"name": "idle", "api_key": key}, http.StatusCreated); err != nil {
		return fail(err)
	}
	if err := call(ctx, base, "", "POST", "/v1/messages", map[string]any{"model": "claude-sonnet-4-5", "max_tokens": 16,
		"messages": []map[string]string{{"role": "user", "content": "hi"}}}, http.StatusOK); err != nil {
		return fail(err)
	}
	fmt.Fprintf(o.Out, "one account added, one request answered; settling %s, then counting %s\n", o.Settle, o.Window)
	if err := sleep(ctx, o.Settle); err != nil {
		return Report{}, err
	}
	a, err := Read(cmd.Process.Pid)
	if err != nil {
		return fail(err)
	}
	if err := sleep(ctx, o.Window); err != nil {
		return Report{}, err
	}
	b, err := Read(cmd.Process.Pid)
	if err != nil {
		return fail(err)
	}
	r := Compare(a, b)
	fmt.Fprintln(o.Out, r)
	return r, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// stop ends the command with SIGTERM (a clean shutdown), or kills it.
func stop(cmd *exec.Cmd, exited <-chan error) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

func waitHealthy(ctx context.Context, base string, exited <-chan error) error {
	deadline := time.Now().Add(startTimeout)
	c := &http.Client{Timeout: time.Second}
	for {
		if resp, err := c.Get(base + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("it exited before answering /health: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("no answer on /health within " + startTimeout.String())
		}
	}
}

// call sends one JSON request and wants status: an API request (with the
// local API token, when there is one) or, for /v1/, a proxied one.
func call(ctx context.Context, base, token, method, path string, body any, status int) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("anthropic-version", "2023-06-01")
	switch {
	case strings.HasPrefix(path, "/v1/"):
		req.Header.Set("x-api-key", "idle-client-dummy-key") // the proxy puts the account's key instead
	case token != "":
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != status {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("%s %s: %s %s, want %d", method, path, resp.Status, msg, status)
	}
	return nil
}
