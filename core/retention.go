package core

import (
	"context"
	"log/slog"
	"time"

	"github.com/claudeflare/claudeflare/core/config"
)

// retentionEvery is how often old request rows are deleted while the proxy
// runs; it also runs at start and whenever retention_days changes.
const retentionEvery = time.Hour

// retention deletes request rows, events and sessions older than
// retention_days (docs/DESIGN.md, "Configuration") in the background.
type retention struct {
	days   func() int // the live retention_days
	delete func(context.Context, time.Time) (int64, error)
	now    func() time.Time
	log    *slog.Logger
	tick   <-chan time.Time // the hourly pass
	change <-chan struct{}  // retention_days changed
	passed func(cut time.Time, deleted int64, err error)
}

// run makes a pass at once, then on every tick and change, until ctx ends.
func (r *retention) run(ctx context.Context) {
	for {
		r.pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-r.tick:
		case <-r.change:
		}
	}
}

func (r *retention) pass(ctx context.Context) {
	days := r.days()
	cut := r.now().Add(-time.Duration(days) * 24 * time.Hour)
	n, err := r.delete(ctx, cut)
	switch {
	case err != nil && ctx.Err() == nil:
		r.log.Error("deleting old request rows", "retention_days", days, "err", err)
	case n > 0:
		r.log.Info("deleted old request rows", "rows", n, "retention_days", days, "before", cut.Format(time.RFC3339))
	}
	if r.passed != nil {
		r.passed(cut, n, err)
	}
}

// retain runs retention for a started core, following live changes of
// retention_days.
func (c *Core) retain(ctx context.Context) {
	change := make(chan struct{}, 1)
	unsubscribe := c.cfg.Subscribe(func(old, cur config.Config) {
		if old.RetentionDays != cur.RetentionDays {
			select {
			case change <- struct{}{}:
			default: // a pass is already due
			}
		}
	})
	defer unsubscribe()
	t := time.NewTicker(retentionEvery)
	defer t.Stop()
	r := &retention{
		days:   func() int { return c.cfg.Get().RetentionDays },
		delete: c.db.DeleteRequestsBefore,
		now:    c.opts.Now,
		log:    c.log,
		tick:   t.C,
		change: change,
	}
	r.run(ctx)
}
