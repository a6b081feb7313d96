// Command fakeanthropic runs the fake Anthropic API of package fakeanthropic on its own, for
// manual demos and the load tool. It prints its base URL, then serves until SIGINT or SIGTERM.
//
//	fakeanthropic -addr 127.0.0.1:9999 -api-key sk-ant-api03-demo -event-delay 20ms
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
)

func main() {
	var apiKeys, tokens []string
	addr := flag.String("addr", "127.0.0.1:9999", "address to listen on")
	flag.Func("api-key", "a valid x-api-key (repeatable)", func(v string) error {
		apiKeys = append(apiKeys, v)
		return nil
	})
	flag.Func("oauth-token", "a valid OAuth access token that never expires (repeatable)", func(v string) error {
		tokens = append(tokens, v)
		return nil
	})
	eventDelay := flag.Duration("event-delay", 0, "pause between the SSE events of a stream")
	chunks := flag.Int("chunks", fakeanthropic.DefaultStreamChunks, "content_block_delta events per stream")
	ttl := flag.Duration("token-ttl", fakeanthropic.DefaultAccessTokenTTL, "life of issued access tokens")
	refreshTokens := flag.Int("refresh-tokens", 0, "print this many valid refresh tokens at start")
	keep := flag.Int("keep-requests", 1000, "requests kept in memory (0: all)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "fakeanthropic: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}

	s, err := fakeanthropic.Start(fakeanthropic.Options{
		Addr:           *addr,
		AccessTokenTTL: *ttl,
		EventDelay:     *eventDelay,
		StreamChunks:   *chunks,
		MaxRecorded:    *keep,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "fakeanthropic: %v\n", err)
		os.Exit(1)
	}
	defer s.Close()
	for _, k := range apiKeys {
		s.AddAPIKey(k)
	}
	forever := time.Now().AddDate(100, 0, 0)
	for _, t := range tokens {
		s.AddOAuthToken(t, forever)
	}
	fmt.Println(s.URL)
	for range *refreshTokens {
		fmt.Println("refresh token:", s.IssueRefreshToken())
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
}
