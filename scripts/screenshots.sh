#!/usr/bin/env bash
# Makes docs/accounts.png and docs/usage.png: the real windows, under Xvfb,
# of a real `claudeflare serve` whose history is a day played in seconds
# against the in-repo fake Anthropic (internal/demo: three Claude accounts
# whose answers report quota, an API-key one paused, sessions that run
# their course, two spent five-hour windows, a pause; the last session
# still open). Needs the test set-up's Xvfb, xdotool and ImageMagick
# (scripts/setup-test.sh).
#
#   scripts/screenshots.sh            # writes docs/accounts.png, docs/usage.png
#   SHOTS_OUT=/tmp/x scripts/screenshots.sh
#
# Times in the pictures are in the machine's time zone (set TZ to choose).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${SHOTS_OUT:-docs}
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
export LANG=en_US.UTF-8

go build -o "$work/claudeflare" .
go build -o "$work/cfdemo" ./internal/demo/cmd/cfdemo

# A screen tall enough for the whole usage window.
Xvfb -displayfd 3 -screen 0 1280x1400x24 -nolisten tcp 3>"$work/display" >"$work/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [[ -s "$work/display" ]] && break; sleep 0.1; done
[[ -s "$work/display" ]] || { echo "Xvfb did not start: $(cat "$work/xvfb.log")" >&2; exit 1; }
export DISPLAY=:$(head -1 "$work/display")

mkdir -m 700 "$work/home"
mkfifo "$work/hold"
# cfdemo serves until its standard input ends: the fifo, held open below.
"$work/cfdemo" -home "$work/home" -bin "$work/claudeflare" <"$work/hold" >"$work/cfdemo.out" 2>"$work/cfdemo.log" &
pids+=($!)
exec 9>"$work/hold"
for _ in $(seq 600); do grep -q '^ready$' "$work/cfdemo.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^ready$' "$work/cfdemo.out" || { echo "the demo did not start:" >&2; cat "$work/cfdemo.log" >&2; exit 1; }
export CLAUDEFLARE_HOME=$work/home

# shoot NAME TITLE WIDTH HEIGHT: opens the window in its own window process,
# sizes it, lets it draw, and takes it.
shoot() {
	"$work/claudeflare" ui "$1" >"$work/ui-$1.log" 2>&1 &
	local ui=$! wid
	wid=$(timeout 30 xdotool search --sync --onlyvisible --name "$2" | head -1)
	xdotool windowsize "$wid" "$3" "$4"
	sleep 3
	import -window "$wid" "$out/$1.png"
	kill "$ui"
	wait "$ui" 2>/dev/null || true
	echo "screenshots: $out/$1.png ($3x$4)"
}
shoot accounts "Claudeflare accounts" 820 600
shoot usage "Claudeflare usage" 800 1260
exec 9>&-
