#!/usr/bin/env bash
# Smoke test of the real tray binary on a virtual desktop: Xvfb, a session bus
# with an unlocked gnome-keyring (run this under .ci/with-keyring.sh), and a
# StatusNotifierItem tray host. The app must start, register its tray icon,
# open the settings window, refuse a second instance, and a screenshot is kept.
#   .ci/with-keyring.sh .ci/smoke.sh .ci/out/claudeflare
set -euo pipefail
bin=$(realpath "${1:?usage: smoke.sh PATH-TO-TRAY-BINARY}")
out=$(realpath "$(dirname "$0")")/out
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "smoke: FAIL: $*" >&2; echo "--- app log"; cat "$work/app.log" 2>/dev/null || true; echo "--- tray host log"; tail -20 "$work/tray.log" 2>/dev/null || true; exit 1; }

# -displayfd lets Xvfb pick a free display number and tell us which.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" >"$work/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [[ -s "$work/display" ]] && break; sleep 0.1; done
[[ -s "$work/display" ]] || fail "Xvfb did not start: $(cat "$work/xvfb.log")"
export DISPLAY=:$(head -1 "$work/display")
echo "smoke: Xvfb on $DISPLAY"

# The tray host must be up before the app, or the icon never appears.
LANG=C.UTF-8 LC_ALL=C.UTF-8 gtk-sni-tray-standalone --watcher --top --end --size 32 >"$work/tray.log" 2>&1 &
pids+=($!)
tray_host=$!
gdbus wait --session --timeout 20 org.kde.StatusNotifierWatcher || fail "no StatusNotifierWatcher"
sleep 1
kill -0 "$tray_host" 2>/dev/null || fail "the tray host exited"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export CLAUDEFLARE_HOME=$work/home PORT=$port LANG=en_US.UTF-8 CLAUDEFLARE_SHOW=settings
"$bin" >"$work/app.log" 2>&1 &
app=$!
pids+=($app)

for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/health" >/dev/null || fail "proxy did not answer /health"

registered=""
for _ in $(seq 50); do
	registered=$(gdbus call --session --dest org.kde.StatusNotifierWatcher --object-path /StatusNotifierWatcher \
		--method org.freedesktop.DBus.Properties.Get org.kde.StatusNotifierWatcher RegisteredStatusNotifierItems || true)
	[[ "$registered" == *"'"* ]] && break
	sleep 0.2
done
[[ "$registered" == *"'"* ]] || fail "tray icon not registered: $registered"
echo "smoke: tray icon registered: $registered"

timeout 20 xdotool search --sync --onlyvisible --name "Claudeflare settings" >/dev/null || fail "settings window did not open"
echo "smoke: settings window open"

# An API-key account through the real keychain, picked up by the running app.
printf 'sk-ant-api03-smoke' | "$bin" accounts add smoke --api-key-stdin >/dev/null || fail "accounts add (real keychain)"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" | grep -q '"accounts":1' && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/health" | grep -q '"available":1' || fail "the app did not load the account from the keychain"
echo "smoke: account added through the real keychain and live in the app"

if "$bin" >"$work/second.log" 2>&1; then fail "a second instance started"; fi
grep -q "already running" "$work/second.log" || fail "second instance said: $(cat "$work/second.log")"
echo "smoke: second instance refused: $(head -1 "$work/second.log")"

sleep 1
import -window root "$out/smoke.png" && echo "smoke: screenshot at $out/smoke.png"
# The tray host draws at the top right; a right click opens the menu (a picture only, not a check).
xdotool mousemove 1263 16 click 3 || true
sleep 1.5
import -window root "$out/smoke-menu.png" && echo "smoke: tray menu screenshot at $out/smoke-menu.png"
kill -0 "$app" || fail "the app died"
echo "smoke: 1 passed, 0 failed"
