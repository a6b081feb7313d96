// Command cfdemo plays the demo day (package demo) on a new home folder,
// then runs the real `claudeflare serve` on it in front of the same fake
// Anthropic, sends it a few requests, prints "ready" and serves until
// interrupted or until its standard input ends. scripts/screenshots.sh
// opens the windows on it.
//
//	cfdemo -home DIR -bin PATH/TO/claudeflare
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/claudeflare/claudeflare/internal/demo"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/loopback"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cfdemo:", err)
		os.Exit(1)
	}
}

func run() error {
	home := flag.String("home", "", "a new, empty home folder")
	bin := flag.String("bin", "", "the claudeflare binary to serve with")
	flag.Parse()
	if *home == "" || *bin == "" {
		return errors.New("usage: cfdemo -home DIR -bin CLAUDEFLARE")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	clk := demo.NewClock(demo.Length)
	fake, err := fakeanthropic.Start(fakeanthropic.Options{Now: clk.Now})
	if err != nil {
		return err
	}
	defer fake.Close()
	port, err := loopback.FreePort()
	if err != nil {
		return err
	}
	if err := demo.Day(ctx, *home, fake, clk, port); err != nil {
		return fmt.Errorf("playing the day: %w", err)
	}

	serve := exec.Command(*bin, "serve")
	serve.Env = append(withoutClaudeflare(os.Environ()), "CLAUDEFLARE_HOME="+*home, "CLAUDEFLARE_UPSTREAM_URL="+fake.URL)
	serve.Stdout, serve.Stderr = os.Stderr, os.Stderr
	if err := serve.Start(); err != nil {
		return err
	}
	defer func() {
		_ = serve.Process.Signal(syscall.SIGTERM)
		_ = serve.Wait()
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := waitHealthy(ctx, addr); err != nil {
		return err
	}
	for i := range 3 {
		if err := demo.Request(ctx, addr, 1500+1000*i); err != nil {
			return err
		}
	}
	fmt.Println("ready")
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	<-ctx.Done()
	return nil
}

// withoutClaudeflare drops the caller's Claudeflare settings.
func withoutClaudeflare(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "CLAUDEFLARE_") && !strings.HasPrefix(kv, "PORT=") {
			out = append(out, kv)
		}
	}
	return out
}

func waitHealthy(ctx context.Context, addr string) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("claudeflare serve did not answer on %s: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
