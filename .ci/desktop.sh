# Sourced by the desktop scripts (.ci/smoke.sh, .ci/idle-tray.sh): a virtual
# display and a StatusNotifierItem tray host on the session bus that is
# already running (.ci/with-keyring.sh or dbus-run-session provides it).
# Expects $work (a scratch folder) and the array pids (killed on exit).

# start_display: Xvfb on a free display (-displayfd says which); exports DISPLAY.
start_display() {
	Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" >"$work/xvfb.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do [[ -s "$work/display" ]] && break; sleep 0.1; done
	[[ -s "$work/display" ]] || { echo "Xvfb did not start: $(cat "$work/xvfb.log")" >&2; return 1; }
	export DISPLAY=:$(head -1 "$work/display")
}

# start_tray_host: gtk-sni-tray-standalone as StatusNotifierWatcher and host.
# Start it before the app: an app that finds none waits 8 s for one (smoke.sh tests that).
start_tray_host() {
	LANG=C.UTF-8 LC_ALL=C.UTF-8 gtk-sni-tray-standalone --watcher --top --end --size 32 >"$work/tray.log" 2>&1 &
	pids+=($!)
	tray_host=$!
	gdbus wait --session --timeout 20 org.kde.StatusNotifierWatcher || { echo "no StatusNotifierWatcher" >&2; return 1; }
	sleep 1
	kill -0 "$tray_host" 2>/dev/null || { echo "the tray host exited: $(tail -5 "$work/tray.log")" >&2; return 1; }
}

# free_port: a TCP port nobody listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
