package cli

import (
	"context"
	"encoding/json"
	"flag"
	"github.com/claudeflare/claudeflare/core/view"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/store"
)

func statsCmd(env *Env, args []string) error {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON (the body of GET /api/stats)")
	windowFlag := fs.String("window", "24h", "time window: 1h, 24h, 7d, 30d")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("stats takes no arguments")
	}
	window, err := view.ParseWindow(*windowFlag)
	if err != nil {
		return usagef("%v", err)
	}
	home, err := env.home()
	if err != nil {
		return err
	}
	db, err := store.Open(core.DBPath(home))
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now()
	st, err := db.Stats(context.Background(), now.Add(-window), now)
	if err != nil {
		return err
	}
	figures := view.StatsOf(st, window)
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(figures)
	}
	PrintStats(env.Stdout, figures)
	return nil
}
