package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/claudeflare/claudeflare/core/client"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/store"
	"github.com/claudeflare/claudeflare/core/view"
)

// Stats are the monitoring figures of the window ending now.
func (c *Core) Stats(ctx context.Context, window time.Duration) (view.Stats, error) {
	st, err := ReadStats(ctx, c.db, c.opts.Now(), window)
	if err != nil {
		return view.Stats{}, client.Refusal(http.StatusInternalServerError, err)
	}
	return st, nil
}

// ReadStats computes the figures of the window ending at now from db, with
// the rate-limit events and failovers per bucket: the engine's Stats, and
// `claudeflare stats` when no app runs.
func ReadStats(ctx context.Context, db *store.DB, now time.Time, window time.Duration) (view.Stats, error) {
	st, err := db.Stats(ctx, now.Add(-window), now)
	if err != nil {
		return view.Stats{}, fmt.Errorf("computing stats: %w", err)
	}
	evs, err := db.Events(ctx, now.Add(-window), now)
	if err != nil {
		return view.Stats{}, fmt.Errorf("computing stats: %w", err)
	}
	out := view.StatsOf(st, window)
	view.AddEventSeries(&out, evs)
	return out, nil
}

// MaxRequests bounds Requests' limit.
const MaxRequests = 1000

// Requests are the latest request rows, newest first.
func (c *Core) Requests(ctx context.Context, limit int) ([]view.Request, error) {
	if limit < 1 || limit > MaxRequests {
		return nil, client.Refusef(http.StatusBadRequest, "limit: must be an integer between 1 and %d, got %q", MaxRequests, strconv.Itoa(limit))
	}
	rows, err := c.db.LatestRequests(ctx, limit)
	if err != nil {
		return nil, client.Refusal(http.StatusInternalServerError, fmt.Errorf("reading requests: %w", err))
	}
	out := make([]view.Request, len(rows))
	for i, row := range rows {
		out[i] = view.RequestOf(row)
	}
	return out, nil
}

// Config is the running configuration with the source of each value.
func (c *Core) Config(ctx context.Context) (view.Config, error) {
	return view.Config{Config: c.cfg.Get(), Sources: c.cfg.Sources()}, nil
}

// PatchConfig validates the keys, saves them to config.json and applies
// them; a key the environment sets is refused (409), a change the engine
// cannot make (a busy port: docs/DESIGN.md, "The listener") too, and a bad
// value is 400. A refused change changes nothing.
func (c *Core) PatchConfig(ctx context.Context, patch map[string]json.RawMessage) (view.Config, error) {
	if len(patch) == 0 {
		return view.Config{}, client.Refusef(http.StatusBadRequest, "the patch is empty: send at least one configuration key")
	}
	cfg, err := c.cfg.Patch(patch)
	switch {
	case errors.As(err, new(*config.EnvOverrideError)):
		return view.Config{}, client.Refusal(http.StatusConflict, err)
	case errors.As(err, new(*config.RefusedError)):
		return view.Config{}, client.Refusal(http.StatusConflict, fmt.Errorf("not applied, nothing changed: %w", err))
	case errors.As(err, new(*config.Error)):
		return view.Config{}, client.Refusal(http.StatusBadRequest, err)
	case err != nil:
		return view.Config{}, client.Refusal(http.StatusInternalServerError, fmt.Errorf("saving config: %w", err))
	}
	return view.Config{Config: cfg, Sources: c.cfg.Sources()}, nil
}

// subscribeBuffer is how many events a subscriber may fall behind by
// before it loses some (the bus never waits: docs/DESIGN.md, "Events").
const subscribeBuffer = 256

// Subscribe delivers the events published from now on until ctx ends.
func (c *Core) Subscribe(ctx context.Context) (<-chan events.Event, error) {
	ch, cancel := c.bus.Subscribe(subscribeBuffer)
	context.AfterFunc(ctx, cancel)
	return ch, nil
}
