package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/store"
	"github.com/claudeflare/claudeflare/platform/lock"
)

func configCmd(env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("config needs a subcommand: show or set KEY VALUE")
	}
	home, err := env.home()
	if err != nil {
		return err
	}
	switch args[0] {
	case "show":
		if len(args) != 1 {
			return usagef("config show takes no arguments")
		}
		c, src, err := env.loadConfig(home)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "# %s\n", core.ConfigPath(home))
		fmt.Fprint(env.Stdout, config.FormatShow(c, src))
		return nil
	case "set":
		if len(args) != 3 {
			return usagef("config set takes KEY VALUE, e.g. `config set session_duration_ms 3600000`")
		}
		raw, err := config.ParseValue(args[1], args[2])
		if err != nil {
			return err
		}
		before, _, beforeErr := env.loadConfig(home)
		c, _, err := config.Patch(core.ConfigPath(home), map[string]json.RawMessage{args[1]: raw}, env.Lookup, nil,
			config.WithLock(lock.Exclusive))
		if err != nil {
			return err
		}
		b, _ := json.Marshal(c)
		var all map[string]any
		_ = json.Unmarshal(b, &all)
		fmt.Fprintf(env.Stdout, "%s = %v (saved to %s; a running Claudeflare applies it within a second)\n", args[1], all[args[1]], core.ConfigPath(home))
		if beforeErr == nil && before.CredentialStore != c.CredentialStore {
			return moveCredentials(env, home, before.CredentialStore, c.CredentialStore)
		}
		return nil
	}
	return usagef("unknown config subcommand %q", args[0])
}

// moveCredentials carries the secrets to the credential store just chosen,
// so the accounts keep working (a running app does the same; the second to
// try finds nothing left to move).
func moveCredentials(env *Env, home, from, to string) error {
	src, err := openCreds(home)(from)
	if err != nil {
		return err
	}
	dst, err := openCreds(home)(to)
	if err != nil {
		return err
	}
	db, err := store.Open(core.DBPath(home))
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := core.MoveSecrets(context.Background(), db, src, dst)
	if err != nil {
		return fmt.Errorf("credential_store is now %s, but %w", to, err)
	}
	noun := "secrets"
	if n == 1 {
		noun = "secret"
	}
	fmt.Fprintf(env.Stdout, "Moved %d %s from %s to %s.\n", n, noun, src.Describe(), dst.Describe())
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
