#!/usr/bin/env bash
# Installs what is needed, builds Claudeflare and runs it: the tray app with
# no arguments, or any command, e.g. `scripts/run.sh serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >&2
go build -o claudeflare .
exec ./claudeflare "$@"
