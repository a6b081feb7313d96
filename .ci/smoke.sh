#!/usr/bin/env bash
# Smoke test of the real tray binary on a virtual desktop: Xvfb, a session bus
# with an unlocked gnome-keyring (run this under .ci/with-keyring.sh), and a
# StatusNotifierItem tray host. Driven as a desktop shell drives a tray, over
# D-Bus (docs/DESIGN.md, "The tray and its windows"):
#   .ci/with-keyring.sh .ci/smoke.sh .ci/out/claudeflare .ci/out/fakeanthropic
# The app must register its icon; its menu, read with com.canonical.dbusmenu
# GetLayout, must list its items and follow an account added from the command
# line through the real keychain; a click on an item (a dbusmenu Event, as the
# shell sends) must open that window in a window process within about a
# second, a second click raise it in the same process, closing the last
# window end that process; CLAUDEFLARE_SHOW must open windows at start; a
# second instance must be refused; Quit must end the app and its windows;
# an app started before the tray host (at login, before the panel) must wait
# for it and land in the tray.
# A Claude account logged in through the browser at the fake Anthropic
# (cmd/fakeanthropic, whose answers report quota as Anthropic's do) must show
# its 5-hour and weekly use in its menu line after traffic, and the check
# items "Use with Claude Code" and "Start at login" must write and take back
# Claude Code's settings and the XDG autostart entry.
set -euo pipefail
usage="usage: smoke.sh PATH-TO-TRAY-BINARY PATH-TO-FAKEANTHROPIC"
bin=$(realpath "${1:?$usage}")
fake_bin=$(realpath "${2:?$usage}")
here=$(realpath "$(dirname "$0")")
out=$here/out
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "smoke: FAIL: $*" >&2
	echo "--- app log"; cat "$work/app.log" 2>/dev/null || true
	echo "--- tray host log"; tail -20 "$work/tray.log" 2>/dev/null || true
	exit 1
}
passed=0
ok() { echo "smoke: ok: $*"; passed=$((passed + 1)); }
source "$here/desktop.sh"

start_display || fail "no display"
echo "smoke: Xvfb on $DISPLAY"
start_tray_host || fail "no tray host"

# Every desktop notification the app sends, as the bus carries it (no
# notification daemon is needed to see the call).
dbus-monitor --session "type='method_call',interface='org.freedesktop.Notifications',member='Notify'" >"$work/notify.log" 2>&1 &
pids+=($!)

# The fake Anthropic: every login starts at 5h 62 %, 7d 18 %, each answer adding 1 %.
mkfifo "$work/fake.out"
"$fake_bin" -addr 127.0.0.1:0 -quota 0.62,0.18 -quota-step 0.01 >"$work/fake.out" 2>"$work/fake.log" &
pids+=($!)
read -r fake <"$work/fake.out" || fail "the fake Anthropic printed no URL: $(cat "$work/fake.log")"
cat "$work/fake.out" >/dev/null &
# The "browser" of logins: an xdg-open first on PATH (pkg/browser runs it)
# that fetches the page with curl, following the redirect to the callback.
mkdir -p "$work/bin" "$work/user"
printf '#!/bin/sh\nexec curl -sSL --max-time 20 -o "%s" "$1"\n' "$work/page.html" >"$work/bin/xdg-open"
chmod +x "$work/bin/xdg-open"

port=$(free_port)
# HOME and XDG_CONFIG_HOME of the user's desktop files (Claude Code's
# settings, the autostart entry) are the test's, never the machine's.
export CLAUDEFLARE_HOME=$work/home PORT=$port LANG=en_US.UTF-8 CLAUDEFLARE_SHOW=settings \
	HOME=$work/user XDG_CONFIG_HOME=$work/user/.config PATH="$work/bin:$PATH" \
	CLAUDEFLARE_UPSTREAM_URL=$fake CLAUDEFLARE_AUTHORIZE_URL=$fake/oauth/authorize \
	CLAUDEFLARE_TOKEN_URL=$fake/v1/oauth/token CLAUDEFLARE_OAUTH_CALLBACK_PORT=$(free_port)
"$bin" >"$work/app.log" 2>&1 &
app=$!
pids+=($app)
unset CLAUDEFLARE_SHOW

for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/health" >/dev/null || fail "proxy did not answer /health"

# The icon: the watcher lists the item, by its unique bus name.
registered=""
for _ in $(seq 50); do
	registered=$(gdbus call --session --dest org.kde.StatusNotifierWatcher --object-path /StatusNotifierWatcher \
		--method org.freedesktop.DBus.Properties.Get org.kde.StatusNotifierWatcher RegisteredStatusNotifierItems || true)
	[[ "$registered" == *"'"* ]] && break
	sleep 0.2
done
[[ "$registered" == *"'"* ]] || fail "tray icon not registered: $registered"
item=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
	--method org.freedesktop.DBus.GetNameOwner "org.kde.StatusNotifierItem-$app-1" | sed "s/[(',)]//g")
[[ "$registered" == *"$item"* ]] || fail "the registered items $registered are not the app's ($item)"
ok "tray icon registered: $registered"

# The window process of the windows open now (there is at most one).
window_process() { pgrep -P "$app" -f " ui --tray" || true; }
wait_gone() { for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; return 1; }
# close_window TITLE: Ctrl+W in it, as a user does (there is no window manager for a close button).
close_window() {
	local id
	id=$(xdotool search --onlyvisible --name "$1" | head -1)
	[[ -n "$id" ]] || fail "no window '$1' to close"
	xdotool windowfocus --sync "$id" key ctrl+w
}

timeout 20 xdotool search --sync --onlyvisible --name "Claudeflare settings" >/dev/null || fail "CLAUDEFLARE_SHOW=settings: no settings window"
first=$(window_process)
[[ -n "$first" ]] || fail "the settings window is not in a window process of the app"
ok "CLAUDEFLARE_SHOW opened the settings window in window process $first ($(tr '\0' ' ' </proc/"$first"/cmdline))"
close_window "Claudeflare settings"
wait_gone "$first" || fail "the window process $first is still running after its last window closed"
ok "closing the last window ended the window process"

# The menu as the shell reads it. menu_json prints [[id, label, enabled, mark], …]
# (mark: null for a plain item, 0 or 1 for a check item).
menu_json() {
	LANG=C.UTF-8 gdbus call --session --dest "$item" --object-path /StatusNotifierMenu \
		--method com.canonical.dbusmenu.GetLayout -- 0 -1 "@as []" | python3 "$here/menu.py"
}
# item_id LABEL: the id of the enabled item whose label starts with LABEL.
item_id() { menu_json | python3 -c 'import json,sys; print(next(i for i,l,e,_ in json.load(sys.stdin) if l.startswith(sys.argv[1]) and e))' "$1"; }
click() {
	gdbus call --session --dest "$item" --object-path /StatusNotifierMenu \
		--method com.canonical.dbusmenu.Event -- "$(item_id "$1")" clicked '<int32 0>' 0 >/dev/null
}
menu=$(menu_json)
for want in "Proxy on http://127.0.0.1:$port" "No accounts: requests pass through" "Add account…" "Accounts…" "Usage…" \
	"Settings…" "Copy the shell line: export ANTHROPIC…URL=http://127.0.0.1:$port" "Quit"; do
	[[ "$menu" == *"\"$want\""* ]] || fail "menu lacks '$want': $menu"
done
ok "menu read over D-Bus (GetLayout): $menu"

# An API-key account through the real keychain, picked up by the running app and its menu.
printf 'sk-ant-api03-smoke' | "$bin" accounts add smoke --api-key-stdin >/dev/null || fail "accounts add (real keychain)"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" | grep -q '"accounts":1' && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/health" | grep -q '"available":1' || fail "the app did not load the account from the keychain"
for _ in $(seq 30); do [[ "$(menu_json)" == *'"smoke — available"'* ]] && break; sleep 0.1; done
[[ "$(menu_json)" == *'"smoke — available"'* ]] || fail "the menu did not show the new account: $(menu_json)"
ok "account added through the real keychain, live in the app and its menu"

# No account able to serve: the menu says so and a desktop notification tells it.
"$bin" accounts pause smoke >/dev/null || fail "accounts pause"
for _ in $(seq 30); do [[ "$(menu_json)" == *'"smoke — paused"'* ]] && break; sleep 0.1; done
[[ "$(menu_json)" == *'"smoke — paused"'* ]] || fail "the menu did not show the pause: $(menu_json)"
for _ in $(seq 30); do grep -q "No Claude account can serve" "$work/notify.log" && break; sleep 0.1; done
grep -q "No Claude account can serve" "$work/notify.log" || fail "no notification that none can serve: $(cat "$work/notify.log")"
ok "none can serve: the menu follows and a desktop notification went out (org.freedesktop.Notifications.Notify)"

# A Claude account logged in through the browser, then traffic: its answers
# report its quota, and its menu line says it (with smoke still paused, it
# is the one that serves).
"$bin" accounts add max >"$work/login.log" 2>&1 || fail "accounts add max (browser login): $(cat "$work/login.log")"
grep -q "You may close this window" "$work/page.html" 2>/dev/null || fail "the login's browser page: $(cat "$work/page.html" 2>&1)"
for _ in 1 2 3; do
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v1/messages" -H 'content-type: application/json' \
		-H 'anthropic-version: 2023-06-01' -d '{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}')
	[[ "$code" == 200 ]] || fail "a request through the proxy answered $code"
done
# Three answers: 5h 62+3 = 65 %, 7d 18+3 = 21 %, with their resets; the session's time left.
quota_line='"max — active · 5h 65% \(resets [^)]+\) · 7d 21% \(resets [^)]+\) · session [0-9hm]+ left"'
for _ in $(seq 30); do [[ "$(menu_json)" =~ $quota_line ]] && break; sleep 0.1; done
[[ "$(menu_json)" =~ $quota_line ]] || fail "the menu does not show max's quota: $(menu_json)"
ok "after traffic the account's line shows its quota: $(menu_json | python3 -c 'import json,sys; print(next(l for _,l,_,_ in json.load(sys.stdin) if l.startswith("max")))')"
"$bin" accounts resume smoke >/dev/null || fail "accounts resume"

# The check items: each writes its file, shows its mark, and takes it back.
mark() { menu_json | python3 -c 'import json,sys; print(next(m for _,l,_,m in json.load(sys.stdin) if l == sys.argv[1]))' "$1"; }
wait_mark() { for _ in $(seq 30); do [[ "$(mark "$1")" == "$2" ]] && return 0; sleep 0.1; done; return 1; }
settings=$HOME/.claude/settings.json
entry=$XDG_CONFIG_HOME/autostart/claudeflare.desktop
[[ "$(mark "Use with Claude Code")" == 0 && "$(mark "Start at login")" == 0 ]] || fail "check items missing or on at start: $(menu_json)"
click "Use with Claude Code"
wait_mark "Use with Claude Code" 1 || fail "Use with Claude Code: no mark after the click: $(menu_json)"
grep -q "\"ANTHROPIC_BASE_URL\": \"http://127.0.0.1:$port\"" "$settings" || fail "Claude Code's settings after the click: $(cat "$settings" 2>&1)"
status=$("$bin" claude-code status 2>&1) || fail "claude-code status: $status"
[[ "$status" == *"set by \`claude-code enable\`"* ]] || fail "claude-code status does not see the tray's change: $status"
click "Use with Claude Code"
wait_mark "Use with Claude Code" 0 || fail "Use with Claude Code: still marked after the second click"
[[ ! -e "$settings" ]] || fail "the second click left $settings: $(cat "$settings")"
ok "Use with Claude Code wired Claude Code's settings to http://127.0.0.1:$port and took it back"
click "Start at login"
wait_mark "Start at login" 1 || fail "Start at login: no mark after the click"
grep -q "^Exec=$bin$" "$entry" || fail "the autostart entry: $(cat "$entry" 2>&1)"
"$bin" autostart off >/dev/null || fail "autostart off"
[[ ! -e "$entry" ]] || fail "autostart off left $entry"
# The desktop opens the menu ("opened" on its root, as a shell sends): the mark follows the terminal's change.
gdbus call --session --dest "$item" --object-path /StatusNotifierMenu \
	--method com.canonical.dbusmenu.Event -- 0 opened '<int32 0>' 0 >/dev/null
wait_mark "Start at login" 0 || fail "Start at login still marked after \`autostart off\` and the menu opening"
ok "Start at login wrote $entry (Exec=$bin); after \`autostart off\` the opened menu shows it off"

# A click opens the window in a new window process, within about a second.
start=$(date +%s%N)
click "Usage…"
timeout 20 xdotool search --sync --onlyvisible --name "Claudeflare usage" >/dev/null || fail "Usage… opened no window"
ms=$((($(date +%s%N) - start) / 1000000))
second=$(window_process)
[[ -n "$second" ]] || fail "the usage window is not in a window process"
ok "Usage… opened the usage window in ${ms} ms (window process $second)"
((ms < 3000)) || fail "the window took ${ms} ms to open"

# A second click opens another window in the same process.
click "Accounts…"
timeout 20 xdotool search --sync --onlyvisible --name "Claudeflare accounts" >/dev/null || fail "Accounts… opened no window"
[[ "$(window_process)" == "$second" ]] || fail "a second window process started: $(window_process), was $second"
click "Usage…"
sleep 0.5
[[ "$(window_process)" == "$second" && $(xdotool search --onlyvisible --name "Claudeflare usage" | wc -l) == 1 ]] ||
	fail "a second click on Usage… did not raise the one window"
ok "a second click used the running window process; usage raised, not opened twice"
sleep 1
import -window root "$out/smoke.png" && echo "smoke: screenshot at $out/smoke.png"

close_window "Claudeflare usage"
sleep 0.5
kill -0 "$second" 2>/dev/null || fail "closing one of two windows ended the window process"
close_window "Claudeflare accounts"
wait_gone "$second" || fail "the window process $second is still running after its last window closed"
ok "closing both windows ended the window process"

if command -v xclip >/dev/null; then
	click "Copy the shell line"
	for _ in $(seq 30); do [[ "$(xclip -o -selection clipboard 2>/dev/null || true)" == "export ANTHROPIC_BASE_URL=http://127.0.0.1:$port" ]] && break; sleep 0.1; done
	[[ "$(xclip -o -selection clipboard)" == "export ANTHROPIC_BASE_URL=http://127.0.0.1:$port" ]] ||
		fail "clipboard holds '$(xclip -o -selection clipboard 2>&1)'"
	ok "Copy the shell line put the export line on the clipboard"
fi

if "$bin" >"$work/second.log" 2>&1; then fail "a second instance started"; fi
grep -q "already running" "$work/second.log" || fail "second instance said: $(cat "$work/second.log")"
ok "second instance refused: $(head -1 "$work/second.log")"

# The tray host draws at the top right; a right click opens the menu (a picture only, not a check).
xdotool mousemove 1263 16 click 3 || true
sleep 1.5
import -window root "$out/smoke-menu.png" && echo "smoke: tray menu screenshot at $out/smoke-menu.png"
xdotool key Escape || true

# Quit with a window open ends both processes.
click "Accounts…"
timeout 20 xdotool search --sync --onlyvisible --name "Claudeflare accounts" >/dev/null || fail "Accounts… opened no window"
third=$(window_process)
click "Quit"
wait_gone "$app" || fail "Quit did not end the app"
wait "$app" || fail "the app exited with status $?"
wait_gone "$third" || fail "Quit left the window process $third running"
ok "Quit ended the app and its window process"

# No session bus (so no tray): the accounts window opens instead, and closing it quits.
env -u DBUS_SESSION_BUS_ADDRESS "$bin" >"$work/app.log" 2>&1 &
app=$!
pids+=($app)
timeout 20 xdotool search --sync --onlyvisible --name "Claudeflare accounts" >/dev/null || fail "no tray: no accounts window"
grep -q "no system tray found" "$work/app.log" || fail "no tray: the app did not say so"
close_window "Claudeflare accounts"
wait_gone "$app" || fail "no tray: closing the accounts window did not quit"
ok "without a tray the accounts window opened, and closing it quit the app"

# Started at login before the desktop's panel: the app waits for a tray host
# and lands in the tray, with no window (systray registers with the watcher
# when it appears).
kill "$tray_host"
wait_gone "$tray_host" || fail "the tray host did not stop"
"$bin" >"$work/app.log" 2>&1 &
app=$!
pids+=($app)
sleep 2
start_tray_host || fail "the tray host did not start again"
registered=""
for _ in $(seq 50); do
	registered=$(gdbus call --session --dest org.kde.StatusNotifierWatcher --object-path /StatusNotifierWatcher \
		--method org.freedesktop.DBus.Properties.Get org.kde.StatusNotifierWatcher RegisteredStatusNotifierItems || true)
	[[ "$registered" == *"'"* ]] && break
	sleep 0.2
done
[[ "$registered" == *"'"* ]] || fail "started before the tray host: the icon never registered: $registered"
sleep 8
! grep -q "no system tray found" "$work/app.log" || fail "started before the tray host: the app gave up on the tray"
[[ -z "$(xdotool search --onlyvisible --name 'Claudeflare accounts' 2>/dev/null)" ]] || fail "started before the tray host: a window opened"
item=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
	--method org.freedesktop.DBus.GetNameOwner "org.kde.StatusNotifierItem-$app-1" | sed "s/[(',)]//g")
click "Quit"
wait_gone "$app" || fail "Quit did not end the app started before the tray host"
ok "started 2 s before the tray host, the app waited for it and sits in the tray with no window"
echo "smoke: $passed passed, 0 failed"
