package loadtest

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

// JSONCase is one non-streaming comparison.
type JSONCase struct {
	Concurrency     int
	Direct, Proxied JSONResult
	Floor           *JSONResult // the floor proxy (see FloorHandler), if measured
}

// StreamCase is the streaming comparison.
type StreamCase struct {
	Concurrency     int
	Deltas          int           // content_block_delta events per stream; 0 if unknown
	EventDelay      time.Duration // the fake's pause between events
	Direct, Proxied StreamResult
	Floor           *StreamResult
}

// ProcessRow is the memory and goroutines of one process, before the load
// and after it.
type ProcessRow struct {
	Name          string
	Before, After Sample
	IsProxy       bool // the proxy alone (a serve subprocess): RSS target applies
	Note          string
}

// Report is everything one cfload run measured.
type Report struct {
	Title     string
	Settings  []string // one line each: mode, machine, body size, rounds…
	JSON      []JSONCase
	Stream    *StreamCase
	Processes []ProcessRow
	Soak      *SoakResult
}

// Targets the proxy is compared against (from the performance issues).
const (
	TargetThroughputRatio = 0.40                   // proxied/direct at concurrency 32
	TargetAddedP50High    = 2 * time.Millisecond   // added median latency at concurrency 32
	TargetAddedP50One     = 300 * time.Microsecond // added median latency at concurrency 1
	TargetLagP99          = 2 * time.Millisecond   // stream lag p99, proxied minus direct
	TargetRSS             = 60 << 20               // peak RSS of serve
)

// Markdown writes the report as markdown, ready for a README.
func (r Report) Markdown(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	if r.Title != "" {
		p("## %s\n\n", r.Title)
	}
	for _, s := range r.Settings {
		p("- %s\n", s)
	}
	if len(r.Settings) > 0 {
		p("\n")
	}
	if len(r.JSON) > 0 {
		markdownJSON(p, r.JSON)
	}
	if r.Stream != nil {
		markdownStreams(p, r.Stream)
	}
	if len(r.Processes) > 0 {
		markdownProcesses(p, r.Processes)
	}
	if r.Soak != nil {
		markdownSoak(p, r.Soak)
	}
	if rows := r.Targets(); len(rows) > 0 {
		p("### Against the targets\n\n| target | proxied | floor | met (proxied) |\n|---|--:|--:|---|\n")
		for _, t := range rows {
			p("| %s | %s | %s | %s |\n", t.Name, t.Measured, t.Floor, t.Met)
		}
		p("\n")
	}
}

type printf func(format string, args ...any)

func markdownJSON(p printf, cases []JSONCase) {
	p("### Non-streaming POST /v1/messages\n\n")
	p("| concurrency | target | requests | errors | req/s | of direct | p50 | p99 | added p50 | added p99 | CPU/req | added CPU/req |\n")
	p("|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, c := range cases {
		d := Summarize(c.Direct.Latencies)
		dc := c.Direct.CPUPerRequest()
		p("| %d | direct | %d | %d | %s | | %s | %s | | | %s | |\n", c.Concurrency,
			c.Direct.Requests, c.Direct.Errors, rate(c.Direct.Throughput()), Millis(d.P50), Millis(d.P99), micros(dc, false))
		row := func(name string, x JSONResult) {
			xs, xc := Summarize(x.Latencies), x.CPUPerRequest()
			p("| %d | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", c.Concurrency, name,
				x.Requests, x.Errors, rate(x.Throughput()), Percent(Ratio(x.Throughput(), c.Direct.Throughput())),
				Millis(xs.P50), Millis(xs.P99), SignedMillis(xs.P50-d.P50), SignedMillis(xs.P99-d.P99),
				micros(xc, false), micros(xc-dc, dc > 0 && xc > 0))
		}
		row("proxied", c.Proxied)
		if c.Floor != nil {
			row("floor", *c.Floor)
		}
	}
	p("\nAdded = percentile − direct's percentile, from runs interleaved in the same process. " +
		"CPU/req = CPU time of the processes at work (load generator, fake, proxy, floor) ÷ requests; " +
		"added CPU/req is the proxy's own cost per request. " +
		"Floor: Go's httputil.ReverseProxy swapping the key and nothing else, in the same kind of process as the proxy: " +
		"what any Go proxy pays for the extra hop.\n\n")
}

func markdownStreams(p printf, s *StreamCase) {
	if s.Deltas > 0 {
		p("### Streams (%d deltas, %s apart, %d in flight)\n\n", s.Deltas, s.EventDelay, s.Concurrency)
	} else {
		p("### Streams (%d in flight, paced by the upstream)\n\n", s.Concurrency)
	}
	p("| target | streams | errors | TTFE p50 | TTFE p99 | lag p50 | lag p99 | added lag p50 | added lag p99 | CPU/stream |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	dt, dl := Summarize(s.Direct.TTFE), Summarize(s.Direct.Lags)
	p("| direct | %d | %d | %s | %s | %s | %s | | | %s |\n", s.Direct.Streams, s.Direct.Errors,
		Millis(dt.P50), Millis(dt.P99), Millis(dl.P50), Millis(dl.P99), micros(s.Direct.CPUPerStream(), false))
	row := func(name string, x StreamResult) {
		xt, xl := Summarize(x.TTFE), Summarize(x.Lags)
		p("| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |\n", name, x.Streams, x.Errors,
			Millis(xt.P50), Millis(xt.P99), Millis(xl.P50), Millis(xl.P99),
			SignedMillis(xl.P50-dl.P50), SignedMillis(xl.P99-dl.P99), micros(x.CPUPerStream(), false))
	}
	row("proxied", s.Proxied)
	if s.Floor != nil {
		row("floor", *s.Floor)
	}
	p("\nTTFE: request sent → first whole event. Lag: event received − its fake_sent_unix_nano.\n\n")
}

func markdownProcesses(p printf, rows []ProcessRow) {
	p("### Processes\n\n")
	p("| process | peak RSS (VmHWM) | RSS before → after | goroutines before → after | threads | open fds before → after | note |\n")
	p("|---|--:|--:|--:|--:|--:|---|\n")
	for _, pr := range rows {
		b, a := pr.Before, pr.After
		p("| %s | %s | %s → %s | %s → %s | %d | %s → %s | %s |\n", pr.Name, MiB(a.Status.VmHWM),
			MiB(b.Status.VmRSS), MiB(a.Status.VmRSS), count(b.Goroutines), count(a.Goroutines),
			a.Status.Threads, count(b.FDs), count(a.FDs), pr.Note)
	}
	p("\n")
}

func markdownSoak(p printf, s *SoakResult) {
	p("### Soak\n\n")
	p("| requests sent | RSS | peak RSS | goroutines | threads | open fds |\n")
	p("|--:|--:|--:|--:|--:|--:|\n")
	for _, sm := range s.Samples {
		p("| %d | %s | %s | %s | %d | %s |\n", sm.Requests, MiB(sm.Status.VmRSS), MiB(sm.Status.VmHWM),
			count(sm.Goroutines), sm.Status.Threads, count(sm.FDs))
	}
	verdict := "Stable"
	if !s.Stable {
		verdict = "GREW"
	}
	p("\n%s: %s. %d requests, %d errors, %s req/s.\n\n", verdict, s.Verdict, s.JSON.Requests, s.JSON.Errors, rate(s.JSON.Throughput()))
}

// TargetRow is one target with what was measured, for the proxy and the floor.
type TargetRow struct{ Name, Measured, Floor, Met string }

// Targets compares the report's figures with the targets it has data for.
func (r Report) Targets() []TargetRow {
	var out []TargetRow
	yes := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "**no**"
	}
	for _, c := range r.JSON {
		d := Summarize(c.Direct.Latencies)
		added := func(x *JSONResult) time.Duration { return Summarize(x.Latencies).P50 - d.P50 }
		ratio := func(x *JSONResult) float64 { return Ratio(x.Throughput(), c.Direct.Throughput()) }
		floor := func(f func(*JSONResult) string) string {
			if c.Floor == nil {
				return ""
			}
			return f(c.Floor)
		}
		addedText := func(x *JSONResult) string { return SignedMillis(added(x)) }
		ratioText := func(x *JSONResult) string { return Percent(ratio(x)) }
		switch {
		case c.Concurrency == 1:
			out = append(out, TargetRow{"added p50 ≤ 0.3 ms at concurrency 1",
				addedText(&c.Proxied), floor(addedText), yes(added(&c.Proxied) <= TargetAddedP50One)})
		case c.Concurrency >= 32:
			out = append(out,
				TargetRow{fmt.Sprintf("≥ 40 %% of direct req/s at concurrency %d", c.Concurrency),
					ratioText(&c.Proxied), floor(ratioText), yes(ratio(&c.Proxied) >= TargetThroughputRatio)},
				TargetRow{fmt.Sprintf("added p50 ≤ 2 ms at concurrency %d", c.Concurrency),
					addedText(&c.Proxied), floor(addedText), yes(added(&c.Proxied) <= TargetAddedP50High)})
		}
	}
	if s := r.Stream; s != nil && len(s.Direct.Lags) > 0 && len(s.Proxied.Lags) > 0 {
		direct := Summarize(s.Direct.Lags).P99
		added := Summarize(s.Proxied.Lags).P99 - direct
		floor := ""
		if s.Floor != nil && len(s.Floor.Lags) > 0 {
			floor = SignedMillis(Summarize(s.Floor.Lags).P99 - direct)
		}
		out = append(out, TargetRow{"stream lag p99 within 2 ms of direct", SignedMillis(added), floor, yes(added <= TargetLagP99)})
	}
	for _, pr := range r.Processes {
		if pr.IsProxy && pr.After.Err == nil {
			out = append(out, TargetRow{"serve peak RSS < 60 MiB", MiB(pr.After.Status.VmHWM), "", yes(pr.After.Status.VmHWM < TargetRSS)})
		}
	}
	return out
}

// Millis formats d in milliseconds: "0.412 ms" below 1 ms, "12.3 ms" above.
func Millis(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch a := max(ms, -ms); {
	case a < 1:
		return strconv.FormatFloat(ms, 'f', 3, 64) + " ms"
	case a < 100:
		return strconv.FormatFloat(ms, 'f', 2, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
}

// SignedMillis is Millis with a sign: "+0.412 ms", "-0.020 ms".
func SignedMillis(d time.Duration) string {
	if d >= 0 {
		return "+" + Millis(d)
	}
	return Millis(d)
}

// Percent formats a ratio as a percentage, "52 %".
func Percent(r float64) string { return strconv.FormatFloat(r*100, 'f', 0, 64) + " %" }

// micros formats a CPU time per request in microseconds, "38 µs"; 0 is
// unmeasured. signed adds a sign.
func micros(d time.Duration, signed bool) string {
	if d == 0 && !signed {
		return "n/a"
	}
	s := strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 0, 64) + " µs"
	if signed && d >= 0 {
		s = "+" + s
	}
	return s
}

func rate(r float64) string { return strconv.FormatFloat(r, 'f', 0, 64) }

func count(n int) string {
	if n < 0 {
		return "n/a"
	}
	return strconv.Itoa(n)
}
