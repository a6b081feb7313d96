package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-api-key", "k1", "-api-key", "k2", "-refresh-tokens", "1"}, pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatalf("no URL printed: %v", <-done)
	}
	url := lines.Text()
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "refresh token: sk-ant-ort01-") {
		t.Errorf("second line %q, want a refresh token", lines.Text())
	}
	go io.Copy(io.Discard, pr)
	for _, key := range []string{"k1", "k2"} {
		req, _ := http.NewRequest("POST", url+"/v1/messages", strings.NewReader(
			`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("x-api-key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("key %s: status %d", key, resp.StatusCode)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"extra"}} {
		if err := run(t.Context(), args, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("run(%q) = %v, want a usage error", args, err)
		}
	}
}

// TestRunQuota: -quota makes every login's answers carry that quota, each
// answer adding -quota-step; a bad value is a usage error.
func TestRunQuota(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-oauth-token", "sk-ant-oat01-demo", "-quota", "0.62,0.18", "-quota-step", "0.01"}, pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatalf("no URL printed: %v", <-done)
	}
	url := lines.Text()
	go io.Copy(io.Discard, pr)
	req, _ := http.NewRequest("POST", url+"/v1/messages", strings.NewReader(
		`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer sk-ant-oat01-demo")
	req.Header.Set("anthropic-beta", "oauth-2025-04-20")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("anthropic-ratelimit-unified-5h-utilization"); resp.StatusCode != 200 || got != "0.63" {
		t.Errorf("status %d, 5h utilization %q, want 200 and 0.63", resp.StatusCode, got)
	}
	if got := resp.Header.Get("anthropic-ratelimit-unified-7d-utilization"); got != "0.19" {
		t.Errorf("7d utilization %q, want 0.19", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	for _, bad := range []string{"0.5", "x,0.1", "0.1,2", "NaN,0"} {
		if err := run(t.Context(), []string{"-quota", bad}, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("-quota %q: %v, want a usage error", bad, err)
		}
	}
}
