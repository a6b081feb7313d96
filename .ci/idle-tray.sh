#!/usr/bin/env bash
# The idle cost of the tray app with no window open, beside `serve` (the same
# engine without a UI), on a virtual desktop with a StatusNotifierItem host:
# scripts/idle.sh gives each a fresh home with one account, sends one
# request, lets it settle and counts a quiet interval. A report for CI, not
# an assertion (docs/DESIGN.md, "The tray and its windows"):
#   .ci/idle-tray.sh PATH-TO-TRAY-BINARY [WINDOW]      (WINDOW: 30s by default)
# Needs a session bus (.ci/with-keyring.sh gives one; else it starts its own).
set -euo pipefail
bin=$(realpath "${1:?usage: idle-tray.sh PATH-TO-TRAY-BINARY [WINDOW]}")
here=$(realpath "$(dirname "$0")")
if [[ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]]; then
	exec dbus-run-session -- bash "$0" "$@"
fi
export IDLE_WINDOW=${2:-30s}
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
source "$here/desktop.sh"
start_display
start_tray_host

echo "== the tray process, no window open (DISPLAY $DISPLAY, a tray host on the session bus)"
IDLE_GOALS="-goal-wakeups 5 -goal-cpu 0.1 -goal-rss 40" LANG=en_US.UTF-8 "$here/../scripts/idle.sh" "$bin"
echo "== serve from the same binary: the same engine without a UI (it maps Fyne's code too; the headless"
echo "   build's serve is scripts/idle.sh's own report, under 30 MB)"
IDLE_GOALS="-goal-rss 40" "$here/../scripts/idle.sh" "$bin" serve
