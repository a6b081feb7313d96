package core

import (
	"sort"

	"github.com/claudeflare/claudeflare/core/metrics"
)

// initMetrics makes the Prometheus metrics (GET /metrics), fed by the bus.
func (c *Core) initMetrics() {
	c.metrics = metrics.New(metrics.Sources{
		QueueDepth:    c.writer.QueueDepth,
		Dropped:       c.writer.Dropped,
		Written:       c.writer.Written,
		EventsDropped: c.bus.Dropped,
		Quota:         c.quotaSamples,
	})
}

// quotaSamples are every account's quota windows as they stand now, for the
// metrics (read at scrape time; c.pool is set by then).
func (c *Core) quotaSamples() []metrics.QuotaSample {
	now := c.opts.Now()
	var out []metrics.QuotaSample
	for _, v := range c.pool.Views(now, c.cfg.Get().SessionDuration()) {
		for name, w := range v.Quota.Current(now) {
			out = append(out, metrics.QuotaSample{Account: v.Name, Window: name, Utilization: w.Utilization})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Account != out[j].Account {
			return out[i].Account < out[j].Account
		}
		return out[i].Window < out[j].Window
	})
	return out
}
