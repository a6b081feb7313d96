package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/platform/apitoken"
)

// configCmd is `config show` and `config set KEY VALUE`: the running app's
// configuration while one runs (what it uses, with its sources), else
// config.json's.
func configCmd(env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("config needs a subcommand: show or set KEY VALUE")
	}
	switch args[0] {
	case "show":
		if len(args) != 1 {
			return usagef("config show takes no arguments")
		}
	case "set":
		if len(args) != 3 {
			return usagef("config set takes KEY VALUE, e.g. `config set session_duration_ms 3600000`")
		}
	default:
		return usagef("unknown config subcommand %q", args[0])
	}
	ctx := context.Background()
	t, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	path := core.ConfigPath(t.home)
	if args[0] == "show" {
		c, err := t.Config(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "# %s\n", path)
		fmt.Fprint(env.Stdout, config.FormatShow(c.Config, c.Sources))
		return nil
	}
	raw, err := config.ParseValue(args[1], args[2])
	if err != nil {
		return err
	}
	c, err := t.PatchConfig(ctx, map[string]json.RawMessage{args[1]: raw})
	if err != nil {
		return err
	}
	b, _ := json.Marshal(c.Config)
	var all map[string]any
	_ = json.Unmarshal(b, &all)
	applied := "Claudeflare uses it from its next start"
	if t.live {
		applied = "the running Claudeflare applies it now"
	}
	fmt.Fprintf(env.Stdout, "%s = %v (saved to %s; %s)\n", args[1], all[args[1]], path, applied)
	return nil
}

func clientKeyCmd(env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("client-key takes no arguments")
	}
	home, err := env.home()
	if err != nil {
		return err
	}
	cfg, _, err := env.loadConfig(home)
	if err != nil {
		return err
	}
	cs, err := openCreds(home)(cfg.CredentialStore)
	if err != nil {
		return err
	}
	key, err := core.ClientKey(context.Background(), cs)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, key)
	return nil
}

// apiTokenCmd prints the local API token (docs/DESIGN.md, "The local API
// token") for scripts, making it when nothing has started yet.
func apiTokenCmd(env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("api-token takes no arguments")
	}
	home, err := env.home()
	if err != nil {
		return err
	}
	tok, err := apitoken.Ensure(context.Background(), home)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, tok)
	return nil
}
