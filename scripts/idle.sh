#!/usr/bin/env bash
# Measures an idle Claudeflare (issue 11: at most 2 wake-ups a second and
# under 30 MB resident): starts COMMAND on a temporary home with one account
# in front of the in-repo fake upstream, sends one request, waits, then
# counts the process's context switches (all threads, voluntary and not) and
# CPU time over 30 s, and prints wake-ups per second, CPU % of a core and
# RSS. The numbers are printed, never asserted; the script fails only if a
# step fails.
#
#   scripts/idle.sh                      # a headless build of this tree, `serve`
#   scripts/idle.sh /path/to/claudeflare serve
#   scripts/idle.sh /path/to/claudeflare # the tray app: run it where it has a display
#                                        # (e.g. under Xvfb with DISPLAY set)
#
# IDLE_WINDOW (default 30s) and IDLE_SETTLE (default 5s) change the timing;
# IDLE_GOALS (e.g. "-goal-wakeups 5 -goal-cpu 0.1 -goal-rss 40", the tray's:
# .ci/idle-tray.sh) the goals the report compares with.
# The process measured is the one COMMAND starts (not its children); see
# internal/idle for the counting.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
	bin=$(mktemp -d)/claudeflare
	trap 'rm -rf "$(dirname "$bin")"' EXIT
	CGO_ENABLED=0 go build -tags nogui -o "$bin" .
	set -- "$bin" serve
fi
# shellcheck disable=SC2086 # IDLE_GOALS is a list of flags
go run ./internal/idle/cmd/cfidle -settle "${IDLE_SETTLE:-5s}" -window "${IDLE_WINDOW:-30s}" ${IDLE_GOALS:-} -- "$@"
