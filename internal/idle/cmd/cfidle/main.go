// Command cfidle measures an idle Claudeflare: it starts the command given
// after its flags on a temporary home with one account (the in-repo fake
// upstream), sends one request, lets it settle, then counts the process's
// wake-ups (context switches of all its threads), CPU and memory over a
// window and prints them. scripts/idle.sh runs it; the numbers are
// reported, never asserted.
//
//	go run ./internal/idle/cmd/cfidle [-settle 5s] [-window 30s] -- claudeflare serve
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/claudeflare/claudeflare/internal/idle"
)

// The goals for an idle serve (issue 11), the defaults: a laptop's tray app
// must not cost battery while nobody uses it. The tray process with no
// window open has its own (docs/DESIGN.md, "The tray and its windows"):
// .ci/idle-tray.sh passes them.
const (
	goalWakeups = 2.0
	goalRSSMB   = 30.0
)

func main() {
	settle := flag.Duration("settle", 5*time.Second, "wait after the request before counting")
	window := flag.Duration("window", 30*time.Second, "how long to count")
	wantWakeups := flag.Float64("goal-wakeups", goalWakeups, "the goal: at most this many wake-ups a second")
	wantCPU := flag.Float64("goal-cpu", 0, "the goal: at most this % of a core (0: none)")
	wantRSS := flag.Float64("goal-rss", goalRSSMB, "the goal: under this many MB resident")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: cfidle [-settle D] [-window D] -- COMMAND [ARGS...]   (e.g. -- claudeflare serve)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := idle.Run(ctx, idle.Options{Command: flag.Args(), Settle: *settle, Window: *window, Out: os.Stdout})
	if err != nil {
		fmt.Fprintln(os.Stderr, "cfidle:", err)
		os.Exit(1)
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	cpu := ""
	if *wantCPU > 0 {
		cpu = fmt.Sprintf("goal ≤ %g %% of a core: %s; ", *wantCPU, verdict(r.CPUPercent <= *wantCPU))
	}
	fmt.Printf("goal ≤ %g wake-ups/s: %s; %sgoal < %g MB RSS: %s\n",
		*wantWakeups, verdict(r.WakeupsPerSec <= *wantWakeups), cpu, *wantRSS, verdict(r.RSSMB < *wantRSS))
}
