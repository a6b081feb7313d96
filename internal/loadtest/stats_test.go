package loadtest

import (
	"testing"
	"time"
)

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond // 1…100 ms
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample, any p", []time.Duration{ms(3)}, 99, ms(3)},
		{"p0 is the minimum", hundred, 0, ms(1)},
		{"negative p is the minimum", hundred, -5, ms(1)},
		{"p50 of 1..100", hundred, 50, ms(50)},
		{"p99 of 1..100", hundred, 99, ms(99)},
		{"p99.9 of 1..100 rounds up", hundred, 99.9, ms(100)},
		{"p100 is the maximum", hundred, 100, ms(100)},
		{"above 100 is the maximum", hundred, 150, ms(100)},
		{"p50 of two is the lower (nearest rank)", []time.Duration{ms(1), ms(2)}, 50, ms(1)},
		{"p51 of two is the upper", []time.Duration{ms(1), ms(2)}, 51, ms(2)},
		{"p50 of four", []time.Duration{ms(1), ms(2), ms(3), ms(4)}, 50, ms(2)},
		{"p75 of four", []time.Duration{ms(1), ms(2), ms(3), ms(4)}, 75, ms(3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", len(tt.sorted), tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	in := []time.Duration{ms(5), ms(1), ms(4), ms(2), ms(3)}
	got := Summarize(in)
	want := Summary{N: 5, Min: ms(1), P50: ms(3), P90: ms(5), P99: ms(5), Max: ms(5), Mean: ms(3)}
	if got != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	if in[0] != ms(5) || in[1] != ms(1) {
		t.Errorf("Summarize sorted its input in place: %v", in)
	}
	if z := Summarize(nil); z != (Summary{}) {
		t.Errorf("Summarize(nil) = %+v, want zero", z)
	}
}

func TestRateAndRatio(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"rate", Rate(500, 2*time.Second), 250},
		{"rate over nothing", Rate(10, 0), 0},
		{"ratio", Ratio(1, 4), 0.25},
		{"ratio over zero", Ratio(1, 0), 0},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestLoadSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		load Load
		n    int
		want []Load
	}{
		{"requests spread, remainder first", Load{Concurrency: 2, Requests: 10}, 4,
			[]Load{{2, 3, 0}, {2, 3, 0}, {2, 2, 0}, {2, 2, 0}}},
		{"duration divided", Load{Concurrency: 1, Duration: 4 * time.Second}, 2,
			[]Load{{1, 0, 2 * time.Second}, {1, 0, 2 * time.Second}}},
		{"zero rounds is one", Load{Concurrency: 1, Requests: 7}, 0, []Load{{1, 7, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.load.split(tt.n)
			if len(got) != len(tt.want) {
				t.Fatalf("split = %v, want %v", got, tt.want)
			}
			total := 0
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("round %d = %+v, want %+v", i, got[i], tt.want[i])
				}
				total += got[i].Requests
			}
			if total != tt.load.Requests {
				t.Errorf("rounds add up to %d requests, want %d", total, tt.load.Requests)
			}
		})
	}
}

func TestInterleaveRotatesAndMerges(t *testing.T) {
	t.Parallel()
	var order []string
	run := func(t Target, l Load) JSONResult {
		order = append(order, t.Name)
		return JSONResult{Requests: l.Requests, Latencies: []time.Duration{ms(1)}}
	}
	targets := []Target{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	got := Interleave(3, Load{Concurrency: 1, Requests: 9}, targets, run, (*JSONResult).Merge)
	if want := []string{"a", "b", "c", "b", "c", "a", "c", "a", "b"}; !equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	for i, r := range got {
		if r.Requests != 9 || len(r.Latencies) != 3 {
			t.Errorf("target %s merged %+v, want 9 requests in 3 rounds", targets[i].Name, r)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSentUnixNano(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line string
		want int64
		ok   bool
	}{
		{`data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"chunk-0 "},"fake_sent_unix_nano":1764108000123456789}` + "\n", 1764108000123456789, true},
		{`data: {"fake_sent_unix_nano": 42}`, 42, true},
		{`data: {"type":"ping"}`, 0, false},
		{`data: {"fake_sent_unix_nano":"x"}`, 0, false},
		{`data: {"fake_sent_unix_nano":`, 0, false},
	}
	for _, tt := range tests {
		got, ok := SentUnixNano([]byte(tt.line))
		if got != tt.want || ok != tt.ok {
			t.Errorf("SentUnixNano(%q) = %d, %v, want %d, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	tests := []struct{ got, want string }{
		{Millis(412 * time.Microsecond), "0.412 ms"},
		{Millis(12345 * time.Microsecond), "12.35 ms"},
		{Millis(1234 * time.Millisecond), "1234 ms"},
		{SignedMillis(20 * time.Microsecond), "+0.020 ms"},
		{SignedMillis(-20 * time.Microsecond), "-0.020 ms"},
		{Percent(0.523), "52 %"},
		{MiB(23 << 20), "23.0 MiB"},
		{micros(38*time.Microsecond, true), "+38 µs"},
		{micros(0, false), "n/a"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
