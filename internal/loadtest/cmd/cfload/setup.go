package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	lt "github.com/claudeflare/claudeflare/internal/loadtest"
)

// The accounts given to a proxy the tool starts; the fake accepts their keys.
var accounts = []lt.Account{
	{Name: "cfload-a", Key: "sk-ant-api03-cfload-a", Priority: 0},
	{Name: "cfload-b", Key: "sk-ant-api03-cfload-b", Priority: 1},
}

const (
	clientKey     = "cfload-client-dummy-key" // what Claude Code would send; the proxy replaces it
	clientTimeout = 2 * time.Minute
)

// setup is the upstream, the proxy, the floor and a target for each.
type setup struct {
	fake         *fakeanthropic.Server // nil with an external proxy
	proxy        lt.Proxy
	floor        lt.Proxy // nil without -floor
	targets      []lt.Target
	concurrency  int // the most requests in flight of any case
	upstreamDesc string
	proxyDesc    string
}

// setUp starts what o asks for. On error, what was started is in s for close.
func setUp(ctx context.Context, o options, logf func(string, ...any)) (s *setup, err error) {
	s = &setup{upstreamDesc: "external " + o.upstream}
	upstreamURL, upstreamKey := o.upstream, o.upstreamKey
	if o.proxyURL == "" {
		s.fake, err = fakeanthropic.Start(fakeanthropic.Options{EventDelay: o.eventDelay, StreamChunks: o.chunks, MaxRecorded: 16, NoCompression: true})
		if err != nil {
			return s, err
		}
		for _, a := range accounts {
			s.fake.AddAPIKey(a.Key)
		}
		upstreamURL, upstreamKey = s.fake.URL, accounts[0].Key
		s.upstreamDesc = fmt.Sprintf("fakeanthropic in this process at %s (%d deltas per stream, %s apart)", s.fake.URL, o.chunks, o.eventDelay)
	}

	switch {
	case o.proxyURL != "":
		s.proxy = lt.External{BaseURL: strings.TrimSuffix(o.proxyURL, "/"), Pid: o.pid, APIToken: o.proxyToken}
		s.proxyDesc = "already running at " + o.proxyURL
	case o.proxyBin != "":
		p, err := lt.StartSubprocess(ctx, o.proxyBin, upstreamURL, accounts, o.proxyEnv...)
		if err != nil {
			return s, err
		}
		s.proxy = p
		s.proxyDesc = fmt.Sprintf("`%s serve` subprocess (pid %d), 2 API-key accounts, file credential store, temp CLAUDEFLARE_HOME", o.proxyBin, p.PID())
		if len(o.proxyEnv) > 0 {
			s.proxyDesc += ", environment " + strings.Join(o.proxyEnv, " ")
		}
	default:
		p, err := lt.StartInProcess(ctx, upstreamURL, accounts)
		if err != nil {
			return s, err
		}
		s.proxy = p
		s.proxyDesc = "in this process (core.New + Start), 2 API-key accounts, file credential store, temp CLAUDEFLARE_HOME"
	}
	logf("upstream %s, proxy %s", upstreamURL, s.proxy.URL())

	// The floor runs in the same kind of process as the proxy.
	if o.floor && !o.soak {
		if s.proxy.PID() == 0 {
			f, err := lt.StartFloorInProcess(upstreamURL, upstreamKey)
			if err != nil {
				return s, fmt.Errorf("starting the floor proxy: %w", err)
			}
			s.floor = f
		} else {
			exe, err := os.Executable()
			if err != nil {
				return s, err
			}
			f, err := lt.StartFloorSubprocess(ctx, exe, upstreamURL, upstreamKey, o.proxyEnv...)
			if err != nil {
				return s, fmt.Errorf("starting the floor proxy: %w", err)
			}
			s.floor = f
		}
		logf("floor proxy %s", s.floor.URL())
	}

	n := max(o.streamConc, o.soakConc, 1)
	for _, c := range o.conc {
		n = max(n, c)
	}
	s.concurrency = n
	s.targets = []lt.Target{
		{Name: "direct", URL: upstreamURL, Key: upstreamKey, Client: lt.NewClient(n, clientTimeout)},
		{Name: "proxied", URL: s.proxy.URL(), Key: clientKey, Client: lt.NewClient(n, clientTimeout)},
	}
	if s.floor != nil {
		s.targets = append(s.targets, lt.Target{Name: "floor", URL: s.floor.URL(), Key: clientKey, Client: lt.NewClient(n, clientTimeout)})
	}
	return s, nil
}

// close stops the floor, the proxy and the fake, in that order.
func (s *setup) close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var errs []error
	for _, t := range s.targets {
		t.Client.CloseIdleConnections()
	}
	if s.floor != nil {
		if err := s.floor.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping the floor proxy: %w", err))
		}
	}
	if s.proxy != nil {
		if err := s.proxy.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping the proxy: %w", err))
		}
	}
	if s.fake != nil {
		s.fake.Close()
	}
	return errors.Join(errs...)
}

// warmUp sends every target enough requests (and streams) to open its
// connections and warm the proxy's pools, caches and database.
func (s *setup) warmUp(ctx context.Context, o options, jsonBody, streamBody []byte) error {
	n := 4 * s.concurrency
	for _, t := range s.targets {
		if r := lt.RunJSON(ctx, t, lt.Load{Concurrency: s.concurrency, Requests: n}, jsonBody); r.Errors > 0 {
			return fmt.Errorf("warming up %s: %d of %d requests failed, first: %s", t.Name, r.Errors, n, r.FirstError)
		}
		if o.soak {
			continue
		}
		if r := lt.RunStream(ctx, t, lt.Load{Concurrency: o.streamConc, Requests: o.streamConc}, streamBody); r.Errors > 0 {
			return fmt.Errorf("warming up %s streams: %s", t.Name, r.FirstError)
		}
	}
	return nil
}

// settle closes the clients' idle connections and lets the servers notice,
// so that before and after samples alike hold only what the proxy keeps
// itself (its pooled upstream connections).
func (s *setup) settle() {
	for _, t := range s.targets {
		t.Client.CloseIdleConnections()
	}
	time.Sleep(300 * time.Millisecond)
}

// pids are the processes doing the work: this one (0), and the proxy and
// the floor when they run in processes of their own.
func (s *setup) pids() []int {
	out := []int{0}
	for _, p := range []lt.Proxy{s.proxy, s.floor} {
		if p != nil && p.PID() > 0 {
			out = append(out, p.PID())
		}
	}
	return out
}

// cpu is the CPU time the processes doing the work have used.
func (s *setup) cpu() time.Duration {
	var sum time.Duration
	for _, pid := range s.pids() {
		t, _ := lt.CPUTime(pid)
		sum += t
	}
	return sum
}

// probeAll samples every process of pids, by pid.
func (s *setup) probeAll() map[int]lt.Sample {
	out := map[int]lt.Sample{}
	for _, pid := range s.pids() {
		out[pid] = lt.Probe(pid)
	}
	if pid := s.proxy.PID(); pid > 0 {
		out[pid] = s.probeProxy()
	}
	return out
}

// probeProxy samples the proxy; a serve process reports its goroutines
// through /metrics.
func (s *setup) probeProxy() lt.Sample {
	pid := s.proxy.PID()
	if pid == 0 {
		return lt.Probe(0)
	}
	return lt.ProbeWithMetrics(pid, s.proxy.URL()+"/metrics", s.proxy.Token())
}

// processRows names the processes sampled before and after the load.
func (s *setup) processRows(before, after map[int]lt.Sample) []lt.ProcessRow {
	if s.proxy.PID() == 0 {
		return []lt.ProcessRow{{Name: "cfload (generator + fake + proxy + floor)", Before: before[0], After: after[0],
			Note: "one process: the proxy's share cannot be told apart; run with -proxy-bin for the proxy alone. " +
				"Before = after warm-up; both with client connections closed, the proxy's pooled upstream connections kept"}}
	}
	var rows []lt.ProcessRow
	if pid := s.proxy.PID(); pid > 0 {
		rows = append(rows, lt.ProcessRow{Name: fmt.Sprintf("claudeflare serve (pid %d)", pid), Before: before[pid], After: after[pid], IsProxy: true,
			Note: "the proxy alone (goroutines from its /metrics). Before = after warm-up"})
	}
	rows = append(rows, lt.ProcessRow{Name: "cfload (generator + fake)", Before: before[0], After: after[0]})
	if s.floor != nil && s.floor.PID() > 0 {
		pid := s.floor.PID()
		rows = append(rows, lt.ProcessRow{Name: fmt.Sprintf("floor proxy (pid %d)", pid), Before: before[pid], After: after[pid],
			Note: "httputil.ReverseProxy alone, for comparison"})
	}
	return rows
}
