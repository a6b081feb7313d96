#!/usr/bin/env bash
# Installs what building and running Claudeflare need on Debian/Ubuntu: the C
# toolchain and the X11/GL headers for Fyne's cgo build (the tray app's
# windows), and the Go modules. The tests need more: scripts/setup-test.sh.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt.sh

apt_install gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
	libxinerama-dev libxi-dev libxxf86vm-dev

command -v go >/dev/null || { echo "setup: Go 1.26 or newer is required (https://go.dev/dl/)" >&2; exit 1; }
go mod download
