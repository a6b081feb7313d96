#!/usr/bin/env bash
# Runs a command against a real, throwaway Secret Service:
#   bash .ci/with-keyring.sh go test -race -run Real -v ./platform/keychain/
#
# It starts a private D-Bus session bus (dbus-run-session), a fresh
# gnome-keyring-daemon (secrets component only) unlocked with a random password
# in a new XDG_DATA_HOME, waits until org.freedesktop.secrets is on the bus,
# exports CLAUDEFLARE_TEST_REAL_KEYCHAIN=1 and runs the command. The command's
# exit status is the script's; the keyring folder is removed afterwards.
#
# Needs the Debian packages dbus, gnome-keyring and libglib2.0-bin (gdbus);
# libsecret-tools (secret-tool) helps when debugging. Pitfalls this avoids: no
# session bus fails fast; a keyring that is not unlocked, unlocked with an
# empty password, or left over with another password fails with "failed to
# unlock correct collection" (so the folder is new each run); HOME is not
# changed, so Go's caches stay warm.
set -euo pipefail

if [[ $# -eq 0 ]]; then
	echo "usage: $0 COMMAND [ARG...]" >&2
	exit 2
fi

for tool in dbus-run-session gnome-keyring-daemon gdbus; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "with-keyring: $tool not found; install: apt-get install -y --no-install-recommends dbus gnome-keyring libsecret-tools libglib2.0-bin" >&2
		exit 1
	fi
done

# Outside the session bus: start one and run this script again inside it.
if [[ "${CLAUDEFLARE_WITH_KEYRING_INNER:-}" != 1 ]]; then
	exec dbus-run-session -- env CLAUDEFLARE_WITH_KEYRING_INNER=1 bash "${BASH_SOURCE[0]}" "$@"
fi
unset CLAUDEFLARE_WITH_KEYRING_INNER

data_home=$(mktemp -d "${TMPDIR:-/tmp}/claudeflare-keyring.XXXXXX")
daemon_pid=
cleanup() {
	if [[ -n "$daemon_pid" ]]; then
		kill "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	rm -rf "$data_home"
}
trap cleanup EXIT

password=$(head -c 18 /dev/urandom | base64)
(printf %s "$password" | XDG_DATA_HOME="$data_home" exec gnome-keyring-daemon \
	--foreground --unlock --components=secrets >"$data_home/daemon.log" 2>&1) &
daemon_pid=$!

if ! gdbus wait --session --timeout 15 org.freedesktop.secrets; then
	echo "with-keyring: org.freedesktop.secrets did not appear on the session bus within 15s" >&2
	cat "$data_home/daemon.log" >&2 || true
	exit 1
fi

export CLAUDEFLARE_TEST_REAL_KEYCHAIN=1
# The pid of the process serving the secrets (the daemon, a child of the
# subshell above) lets a test stop it (SIGSTOP) to play a keychain that hangs.
owner=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
	--method org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets)
owner=${owner#*uint32 }
export CLAUDEFLARE_TEST_KEYRING_PID=${owner%%,*}
status=0
"$@" || status=$?
exit "$status"
