#!/usr/bin/env bash
# Installs everything Claudeflare needs to build, run and test on Debian/Ubuntu:
# the C toolchain and X11/GL headers for Fyne's cgo build, a virtual display,
# a session bus with a real Secret Service (gnome-keyring), a tray host, Go
# modules and the Claude Code CLI (npm) used by the end-to-end tests.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
  libxinerama-dev libxi-dev libxxf86vm-dev
  xvfb xauth imagemagick xdotool
  dbus dbus-x11 gnome-keyring libsecret-tools libglib2.0-bin
  haskell-gtk-sni-tray-utils
)

if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "setup: not a Debian system; install a C compiler, X11/GL headers, dbus and gnome-keyring yourself" >&2
fi

command -v go >/dev/null || { echo "setup: Go 1.26 or newer is required (https://go.dev/dl/)" >&2; exit 1; }
go mod download

if command -v npm >/dev/null 2>&1 && [ -f package-lock.json ]; then
  if [ ! -x node_modules/.bin/claude ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "setup: installing the Claude Code CLI for the end-to-end tests (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
