package core

import "github.com/claudeflare/claudeflare/core/metrics"

// initMetrics makes the Prometheus metrics (GET /metrics) and returns what
// the proxy and the pool hand their records to: the asynchronous writer,
// with the metrics observing each record on the way.
func (c *Core) initMetrics() metrics.Enqueuer {
	c.metrics = metrics.New(metrics.Sources{
		QueueDepth:    c.writer.QueueDepth,
		Dropped:       c.writer.Dropped,
		Written:       c.writer.Written,
		EventsDropped: c.bus.Dropped,
	})
	return c.metrics.Recorder(c.writer)
}
