package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/view"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

// statsFrom reads a view golden file of core/view: the figures a test there
// builds from store figures, as the API sends them.
func statsFrom(t *testing.T, name string) view.Stats {
	t.Helper()
	b, err := os.ReadFile("../core/view/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var s view.Stats
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPrintStatsTable(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	printStats(&out, statsFrom(t, "stats.json"), time.UTC)
	testkit.Golden(t, "testdata/stats.txt", out.Bytes())
}

func TestPrintStatsEmpty(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	printStats(&out, statsFrom(t, "stats_empty.json"), time.UTC)
	testkit.Golden(t, "testdata/stats_empty.txt", out.Bytes())
}

func TestFormatters(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ got, want string }{
		{count(0), "0"}, {count(999), "999"}, {count(1000), "1,000"}, {count(-1234567), "-1,234,567"},
		{dollars(0), "$0.00"}, {dollars(0.0012), "$0.0012"}, {dollars(1.999), "$2.00"}, {dollars(12345.678), "$12,345.68"},
		{latency(0, 0), "-"}, {latency(1, 0.05), "0.05ms"}, {latency(1, 99), "99ms"}, {latency(1, 1300), "1.3s"},
		{latency(1, 120000), "120s"},
		{sessionLength(120), "2m"}, {sessionLength(640), "10m40s"}, {sessionLength(4800), "1h20m"}, {sessionLength(45), "45s"},
		{sessionLength(18000), "5h"},
		{sparkline([]int64{0, 1, 8, 4}), "·▁█▄"}, {sparkline(nil), ""},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
