package core

import (
	"context"
	"log/slog"

	"github.com/claudeflare/claudeflare/core/events"
)

// The log is a sink of the event bus (docs/DESIGN.md, "Events"), like the
// request log (core/journal) and the metrics: each change is announced once
// and turned into a line here, on the publisher's goroutine, only for what
// users should see at the level they asked for.

// logEvent writes the log line of an event: one per request at debug level
// (CLAUDEFLARE_LOG=debug; from the row only, never a header or the query,
// which could carry a credential), and the changes users act on at info.
func (c *Core) logEvent(e events.Event) {
	ctx := context.Background()
	switch e := e.(type) {
	case *events.Request:
		if !c.log.Enabled(ctx, slog.LevelDebug) {
			return
		}
		r := e.Row
		c.log.LogAttrs(ctx, slog.LevelDebug, "request",
			slog.String("id", r.ID), slog.String("method", r.Method), slog.String("path", r.Path),
			slog.String("account", r.AccountName), slog.Int("status", r.Status), slog.Int("failovers", r.Failovers),
			slog.Bool("streamed", r.Streamed), slog.Duration("ttfb", r.TTFB), slog.Duration("duration", r.Duration),
			slog.String("model", r.Model), slog.Int64("input_tokens", r.InputTokens), slog.Int64("output_tokens", r.OutputTokens),
			slog.String("error", r.Error))
	case *events.Failover:
		c.log.Info("failover", "from", e.From, "to", e.To, "reason", e.Reason)
	case *events.Hop:
		c.log.Info("hop", "from", e.From, "to", e.To, "reason", e.Reason)
	case *events.RateLimited:
		c.log.Info("rate limited", "account", e.Account, "until", e.Until.UTC())
	case *events.SessionStarted:
		c.log.Info("session started", "account", e.Account, "reason", e.Reason)
	case *events.QuotaCrossed:
		c.log.Info("quota", "account", e.Account, "window", e.Window, "threshold", e.Threshold, "utilization", e.Utilization)
	case *events.AccountChanged:
		if e.State == events.AccountNeedsLogin {
			c.log.Warn("account needs a new login", "account", e.Account)
		}
	case *events.ConfigChanged:
		if e.Error != "" {
			c.log.Error("configuration not applied", "err", e.Error)
		}
	case *events.RequestLogFailed:
		c.log.Error("request log: rows could not be written and are counted as lost", "err", e.Error)
	}
}
