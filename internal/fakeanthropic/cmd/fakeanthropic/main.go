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
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
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
	var quota *fakeanthropic.Quota
	fs.Func("quota", "every login's quota to start with: `5H,7D` utilization (0…1), e.g. 0.62,0.18", func(v string) error {
		q, err := parseQuota(v)
		quota = q
		return err
	})
	step := fs.Float64("quota-step", 0, "utilization each answered request adds to both windows (with -quota)")
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
		LoginQuota:     withStep(quota, *step),
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

// parseQuota reads -quota's "5H,7D".
func parseQuota(v string) (*fakeanthropic.Quota, error) {
	five, seven, ok := strings.Cut(v, ",")
	if !ok {
		return nil, fmt.Errorf("%q is not 5H,7D (e.g. 0.62,0.18)", v)
	}
	var q fakeanthropic.Quota
	for _, f := range []struct {
		text string
		to   *float64
	}{{five, &q.FiveHour}, {seven, &q.SevenDay}} {
		u, err := strconv.ParseFloat(strings.TrimSpace(f.text), 64)
		if err != nil || u < 0 || u > 1 || math.IsNaN(u) {
			return nil, fmt.Errorf("%q is not 5H,7D with each from 0 to 1", v)
		}
		*f.to = u
	}
	return &q, nil
}

func withStep(q *fakeanthropic.Quota, step float64) *fakeanthropic.Quota {
	if q != nil {
		q.PerRequest = step
	}
	return q
}
