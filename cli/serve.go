package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/claudeflare/claudeflare/core"
)

func serve(env *Env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	port := fs.String("port", "", "port to listen on (overrides config.json and PORT)")
	host := fs.String("host", "", "address to listen on (overrides config.json and CLAUDEFLARE_HOST)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("serve takes no arguments, got %q", pos[0])
	}
	overrides := map[string]string{}
	if *port != "" {
		overrides["port"] = *port
	}
	if *host != "" {
		overrides["host"] = *host
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return env.runApp(ctx, overrides, newLogger(env), "stop it before starting another", func(c *core.Core) error {
		cfg := c.ConfigManager().Get()
		fmt.Fprintf(env.Stdout, "Claudeflare %s listening on http://%s (%d accounts, session %s, credentials: %s)\n",
			Version, c.Addr(), len(c.Views()), cfg.SessionDuration(), c.CredentialStore())
		fmt.Fprintf(env.Stdout, "Point Claude Code at it:  export ANTHROPIC_BASE_URL=http://%s\n", c.Addr())
		<-ctx.Done()
		stop()
		fmt.Fprintln(env.Stdout, "Shutting down: finishing requests in flight and flushing the request log…")
		return nil
	})
}

// newLogger logs to stderr; CLAUDEFLARE_LOG=debug adds a line per request.
func newLogger(env *Env) *slog.Logger {
	level := slog.LevelInfo
	if v, _ := env.Lookup("CLAUDEFLARE_LOG"); v == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
}

func atoiFlag(name, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, usagef("--%s must be an integer, got %q", name, v)
	}
	return n, nil
}
