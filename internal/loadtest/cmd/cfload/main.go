// Command cfload measures what Claudeflare's proxy costs. It starts the fake
// Anthropic API and a real proxy in front of it, sends the same traffic
// straight to the fake, through the proxy and through a bare Go reverse
// proxy (the floor), interleaved, and prints a markdown report: throughput,
// latency and added latency, CPU per request, stream time to first event and
// per-event lag, memory and goroutines. Everything runs on 127.0.0.1 and is
// bounded by -requests or -duration and by -timeout.
//
//	cfload -duration 5s                     proxy in-process (core.New + Start)
//	cfload -duration 5s -proxy-bin /tmp/cf  proxy as `cf serve`, its memory measured alone
//	cfload -soak -requests 100000 -proxy-bin /tmp/cf
//	cfload -proxy http://127.0.0.1:8080 -upstream http://127.0.0.1:9999 -upstream-key KEY [-pid N]
//
// Build the binary for -proxy-bin with: CGO_ENABLED=0 go build -tags nogui -o /tmp/cf .
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	lt "github.com/claudeflare/claudeflare/internal/loadtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if floor, err := lt.MaybeServeFloor(ctx, os.Args[1:]); floor {
		if err != nil {
			fmt.Fprintf(os.Stderr, "cfload floor proxy: %v\n", err)
			os.Exit(1)
		}
		return
	}
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "cfload: %v\n", err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "cfload: %v\n", err)
		os.Exit(1)
	}
}

var (
	errUsage = errors.New("usage")
	errGrew  = errors.New("the proxy grew during the soak")
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "cfload: "+format+"\n", args...) }
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	s, err := setUp(ctx, o, logf)
	defer func() { err = errors.Join(err, s.close(ctx)) }()
	if err != nil {
		return err
	}
	report := lt.Report{
		Title: "Claudeflare proxy overhead (cfload)",
		Settings: []string{
			"proxy: " + s.proxyDesc,
			"upstream: " + s.upstreamDesc,
			fmt.Sprintf("machine: %s/%s, %s, %d CPUs, GOMAXPROCS %d, %s", runtime.GOOS, runtime.GOARCH, cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version()),
			fmt.Sprintf("load: %s; request body %d B; clients with keep-alive, MaxIdleConnsPerHost ≥ concurrency", loadDesc(o), o.bodySize),
			"date: " + time.Now().UTC().Format(time.RFC3339),
		},
	}
	if o.soak {
		report.Title = "Claudeflare proxy soak (cfload)"
	}
	jsonBody, streamBody := lt.MessagesBody(o.bodySize, false), lt.MessagesBody(o.bodySize, true)
	if err := s.warmUp(ctx, o, jsonBody, streamBody); err != nil {
		return err
	}
	s.settle()
	before := s.probeAll()

	errorsSeen := 0
	if o.soak {
		logf("soak: %d requests through the proxy, %d in flight, %d batches", o.requests, o.soakConc, o.batches)
		soak := lt.Soak(ctx, s.targets[1], lt.Load{Concurrency: o.soakConc, Requests: o.requests}, o.batches, jsonBody,
			s.probeProxy)
		report.Soak = &soak
		if soak.JSON.Errors > 0 {
			errorsSeen += soak.JSON.Errors
			logf("soak: %d requests failed, first: %s", soak.JSON.Errors, soak.JSON.FirstError)
		}
	} else {
		for _, c := range o.conc {
			jc := s.compareJSON(ctx, o, lt.Load{Concurrency: c, Requests: o.requests, Duration: o.duration}, jsonBody)
			report.JSON = append(report.JSON, jc)
			for i, r := range []*lt.JSONResult{&jc.Direct, &jc.Proxied, jc.Floor} {
				if r != nil && r.Errors > 0 {
					errorsSeen += r.Errors
					logf("non-streaming, %d in flight: %s: %d requests failed, first: %s", c, s.targets[i].Name, r.Errors, r.FirstError)
				}
			}
			logf("non-streaming, %d in flight: direct %.0f req/s, proxied %.0f req/s", c, jc.Direct.Throughput(), jc.Proxied.Throughput())
		}
		sc := s.compareStreams(ctx, o, streamBody)
		report.Stream = &sc
		for i, r := range []*lt.StreamResult{&sc.Direct, &sc.Proxied, sc.Floor} {
			if r != nil && r.Errors > 0 {
				errorsSeen += r.Errors
				logf("streams: %s: %d failed, first: %s", s.targets[i].Name, r.Errors, r.FirstError)
			}
		}
		logf("streams, %d in flight: direct %d, proxied %d", o.streamConc, sc.Direct.Streams, sc.Proxied.Streams)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("stopped before the end: %w", ctx.Err())
	}
	s.settle()
	report.Processes = s.processRows(before, s.probeAll())

	report.Markdown(stdout)
	if errorsSeen > 0 {
		logf("%d requests failed: the figures above are not trustworthy", errorsSeen)
	}
	if report.Soak != nil && !report.Soak.Stable {
		return fmt.Errorf("%w: %s", errGrew, report.Soak.Verdict)
	}
	return nil
}

// compareJSON runs the non-streaming case l on every target, interleaved.
func (s *setup) compareJSON(ctx context.Context, o options, l lt.Load, body []byte) lt.JSONCase {
	rs := lt.Interleave(o.rounds, l, s.targets, func(t lt.Target, l lt.Load) lt.JSONResult {
		c0 := s.cpu()
		r := lt.RunJSON(ctx, t, l, body)
		r.CPU = s.cpu() - c0
		return r
	}, (*lt.JSONResult).Merge)
	jc := lt.JSONCase{Concurrency: l.Concurrency, Direct: rs[0], Proxied: rs[1]}
	if len(rs) > 2 {
		jc.Floor = &rs[2]
	}
	return jc
}

// compareStreams runs the streaming case on every target, interleaved.
func (s *setup) compareStreams(ctx context.Context, o options, body []byte) lt.StreamCase {
	l := lt.Load{Concurrency: o.streamConc, Requests: o.streams, Duration: o.duration}
	rs := lt.Interleave(o.rounds, l, s.targets, func(t lt.Target, l lt.Load) lt.StreamResult {
		c0 := s.cpu()
		r := lt.RunStream(ctx, t, l, body)
		r.CPU = s.cpu() - c0
		return r
	}, (*lt.StreamResult).Merge)
	sc := lt.StreamCase{Concurrency: o.streamConc, Direct: rs[0], Proxied: rs[1]}
	if s.fake != nil {
		sc.Deltas, sc.EventDelay = o.chunks, o.eventDelay
	}
	if len(rs) > 2 {
		sc.Floor = &rs[2]
	}
	return sc
}

// cpuModel is the CPU's model name from /proc/cpuinfo, or "unknown CPU".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
