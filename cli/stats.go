package cli

import (
	"context"
	"encoding/json"
	"flag"

	"github.com/claudeflare/claudeflare/core/view"
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
	ctx := context.Background()
	t, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	figures, err := t.Stats(ctx, window)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(figures)
	}
	PrintStats(env.Stdout, figures)
	return nil
}
