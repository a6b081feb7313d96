#!/usr/bin/env bash
# Installs what the tests need on top of scripts/setup.sh: a virtual display
# and screenshots (Xvfb, ImageMagick, xdotool), a clipboard tool the tray's
# Copy item uses and the smoke test reads (xclip), a session bus with a real
# Secret Service (dbus, gnome-keyring), a StatusNotifierItem tray host, and
# the Claude Code CLI from npm for the end-to-end tests. A user who only
# builds and runs Claudeflare needs none of it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/apt.sh

apt_install xvfb xauth imagemagick xdotool xclip \
	dbus dbus-x11 gnome-keyring libsecret-tools libglib2.0-bin \
	haskell-gtk-sni-tray-utils

if command -v npm >/dev/null 2>&1 && [ -f package-lock.json ]; then
	if [ ! -x node_modules/.bin/claude ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
		echo "setup: installing the Claude Code CLI for the end-to-end tests (npm ci)"
		npm ci --no-audit --no-fund --loglevel=error
	fi
else
	echo "setup: npm not found: the end-to-end tests with the real Claude Code CLI will be skipped" >&2
fi
