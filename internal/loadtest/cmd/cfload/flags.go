package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	lt "github.com/claudeflare/claudeflare/internal/loadtest"
)

// options are cfload's flags.
type options struct {
	duration    time.Duration
	requests    int
	streams     int
	conc        []int
	streamConc  int
	rounds      int
	bodySize    int
	eventDelay  time.Duration
	chunks      int
	proxyBin    string
	proxyURL    string
	upstream    string
	upstreamKey string
	pid         int
	proxyToken  string
	soak        bool
	soakConc    int
	batches     int
	timeout     time.Duration
	cpuProfile  string
	floor       bool
	proxyEnv    []string
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("cfload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "load per target per case (when -requests is 0)")
	fs.IntVar(&o.requests, "requests", 0, "requests per target per non-streaming case instead of -duration; with -soak, the soak's total (default 100000)")
	fs.IntVar(&o.streams, "streams", 0, "streams per target instead of -duration")
	concList := fs.String("c", "1,32", "concurrency levels of the non-streaming cases, comma-separated")
	fs.IntVar(&o.streamConc, "stream-c", 8, "streams in flight")
	fs.IntVar(&o.rounds, "rounds", 4, "interleaved direct/proxied rounds per case")
	fs.IntVar(&o.bodySize, "body", 1024, "request body size in bytes")
	fs.DurationVar(&o.eventDelay, "event-delay", 10*time.Millisecond, "the fake's pause between stream events")
	fs.IntVar(&o.chunks, "chunks", 20, "content_block_delta events per stream")
	fs.StringVar(&o.proxyBin, "proxy-bin", "", "run the proxy as `PATH serve` (a claudeflare binary built with -tags nogui) and measure its memory alone")
	fs.StringVar(&o.proxyURL, "proxy", "", "send to an already running proxy at this loopback URL (needs -upstream and -upstream-key)")
	fs.StringVar(&o.upstream, "upstream", "", "with -proxy: the upstream that proxy uses, for the direct runs")
	fs.StringVar(&o.upstreamKey, "upstream-key", "", "with -proxy: an x-api-key the upstream accepts")
	fs.IntVar(&o.pid, "pid", 0, "with -proxy: the proxy's process id, to report its memory")
	fs.StringVar(&o.proxyToken, "proxy-token", "", "with -proxy -pid: its local API token (`claudeflare api-token`), to read its /metrics")
	fs.BoolVar(&o.soak, "soak", false, "send -requests through the proxy in batches and check its RSS, goroutines and open files do not grow")
	fs.IntVar(&o.soakConc, "soak-c", 32, "concurrency of the soak")
	fs.IntVar(&o.batches, "batches", 10, "soak batches (a sample after each)")
	fs.DurationVar(&o.timeout, "timeout", 15*time.Minute, "stop everything after this long")
	fs.Func("proxy-env", "with -proxy-bin: add `KEY=VALUE` to the environment of serve and of the floor process, e.g. GOMAXPROCS=1 (repeatable)", func(v string) error {
		if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
			return fmt.Errorf("%q is not KEY=VALUE", v)
		}
		o.proxyEnv = append(o.proxyEnv, v)
		return nil
	})
	fs.BoolVar(&o.floor, "floor", true, "also measure the floor: Go's httputil.ReverseProxy alone, in the same kind of process as the proxy")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this process (with an in-process proxy: the proxy's too) to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, fmt.Errorf("%w: %v", errUsage, err)
	}
	bad := func(format string, args ...any) (options, error) {
		return o, fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q", fs.Arg(0))
	}
	for f := range strings.SplitSeq(*concList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 1024 {
			return bad("-c: %q is not a concurrency between 1 and 1024", f)
		}
		o.conc = append(o.conc, n)
	}
	switch {
	case o.duration <= 0 && o.requests <= 0:
		return bad("give -duration or -requests")
	case o.requests < 0 || o.streams < 0 || o.requests > 10_000_000:
		return bad("-requests and -streams must be between 0 and 10000000")
	case o.streamConc < 1 || o.soakConc < 1 || o.rounds < 1 || o.batches < 2:
		return bad("-stream-c, -soak-c and -rounds must be at least 1, -batches at least 2")
	case o.bodySize < 64 || o.bodySize > 16<<20:
		return bad("-body must be between 64 and 16777216 bytes")
	case o.chunks < 1 || o.chunks > 10_000:
		return bad("-chunks must be between 1 and 10000")
	case o.proxyBin != "" && o.proxyURL != "":
		return bad("-proxy-bin and -proxy exclude each other")
	case o.proxyURL != "" && (o.upstream == "" || o.upstreamKey == ""):
		return bad("-proxy needs -upstream and -upstream-key")
	case o.proxyURL == "" && (o.upstream != "" || o.upstreamKey != "" || o.pid != 0):
		return bad("-upstream, -upstream-key and -pid go with -proxy")
	case len(o.proxyEnv) > 0 && o.proxyBin == "":
		return bad("-proxy-env goes with -proxy-bin")
	case o.soak && o.proxyURL != "" && o.pid <= 0:
		return bad("-soak with -proxy needs the proxy's -pid")
	}
	for _, u := range []string{o.proxyURL, o.upstream} {
		if u == "" {
			continue
		}
		if err := lt.CheckLoopback(u); err != nil {
			return bad("%v", err)
		}
	}
	if o.soak && o.requests == 0 {
		o.requests = 100_000
	}
	return o, nil
}

// loadDesc says how much load o sends, for the report.
func loadDesc(o options) string {
	if o.soak {
		return fmt.Sprintf("soak of %d proxied requests, %d in flight, %d batches", o.requests, o.soakConc, o.batches)
	}
	per := o.duration.String() + " per target per case"
	if o.requests > 0 {
		per = fmt.Sprintf("%d requests per target per case", o.requests)
	}
	streams := fmt.Sprintf("%s of streams per target", o.duration)
	if o.streams > 0 {
		streams = fmt.Sprintf("%d streams per target", o.streams)
	}
	return fmt.Sprintf("%s, %s, %d interleaved rounds", per, streams, o.rounds)
}
