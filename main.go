// Command claudeflare runs Claudeflare: the tray app by default, or one of
// the headless commands (serve, accounts, config, stats…). It only wires.
package main

import (
	"os"

	"github.com/claudeflare/claudeflare/cli"
)

func main() {
	os.Exit(cli.Run(&cli.Env{
		Args:   os.Args[1:],
		Lookup: os.LookupEnv,
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Tray:   trayFunc,
		UI:     uiFunc,
	}))
}
