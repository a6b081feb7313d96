// Command fakeanthropic runs the fake Anthropic API of package fakeanthropic on its own, for
// manual demos and the load tool. It prints its base URL on the first line of standard output,
// then serves until SIGINT or SIGTERM.
//
//	fakeanthropic -addr 127.0.0.1:9999 -api-key sk-ant-api03-demo -event-delay 20ms
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "fakeanthropic: %v\n", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// run serves the fake as args say until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fakeanthropic", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var apiKeys, tokens []string
	addr := fs.String("addr", "127.0.0.1:9999", "address to listen on")
	fs.Func("api-key", "a valid x-api-key (repeatable)", func(v string) error {
		apiKeys = append(apiKeys, v)
		return nil
	})
	fs.Func("oauth-token", "a valid OAuth access token that never expires (repeatable)", func(v string) error {
		tokens = append(tokens, v)
		return nil
	})
	eventDelay := fs.Duration("event-delay", 0, "pause between the SSE events of a stream")
	chunks := fs.Int("chunks", fakeanthropic.DefaultStreamChunks, "content_block_delta events per stream")
	ttl := fs.Duration("token-ttl", fakeanthropic.DefaultAccessTokenTTL, "life of issued access tokens")
	refreshTokens := fs.Int("refresh-tokens", 0, "print this many valid refresh tokens at start")
	keep := fs.Int("keep-requests", 1000, "requests kept in memory (0: all)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}

	s, err := fakeanthropic.Start(fakeanthropic.Options{
		Addr:           *addr,
		AccessTokenTTL: *ttl,
		EventDelay:     *eventDelay,
		StreamChunks:   *chunks,
		MaxRecorded:    *keep,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	for _, k := range apiKeys {
		s.AddAPIKey(k)
	}
	forever := time.Now().AddDate(100, 0, 0)
	for _, t := range tokens {
		s.AddOAuthToken(t, forever)
	}
	fmt.Fprintln(stdout, s.URL)
	for range *refreshTokens {
		fmt.Fprintln(stdout, "refresh token:", s.IssueRefreshToken())
	}
	<-ctx.Done()
	return nil
}
