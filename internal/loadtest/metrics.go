package loadtest

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// GoroutinesFromMetrics reads go_goroutines from a Prometheus text endpoint
// such as Claudeflare's /metrics: how another process reports its
// goroutines. token, when not empty, is sent as Authorization: Bearer
// (Claudeflare's local API token).
func GoroutinesFromMetrics(url, token string) (int, error) {
	c := &http.Client{Timeout: 5 * time.Second}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("reading goroutines: %w", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("reading goroutines: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("reading goroutines: GET %s: %s", url, resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return 0, fmt.Errorf("reading goroutines: go_goroutines %q: %w", v, err)
			}
			return int(n), nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("reading goroutines: %w", err)
	}
	return 0, fmt.Errorf("reading goroutines: %s has no go_goroutines", url)
}

// ProbeWithMetrics is Probe for another process that reports its goroutines
// at metricsURL, which wants token.
func ProbeWithMetrics(pid int, metricsURL, token string) Sample {
	s := Probe(pid)
	if n, err := GoroutinesFromMetrics(metricsURL, token); err == nil {
		s.Goroutines = n
	} else if s.Err == nil {
		s.Err = err
	}
	return s
}
