#!/usr/bin/env bash
# The whole test suite, as CI runs it: set-up, vet, both builds, every Go
# test with the race detector inside a session bus with a real, unlocked
# gnome-keyring (so the keychain tests use the real Secret Service).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

out=.ci/out
mkdir -p "$out"
export LANG=en_US.UTF-8

echo "== vet"
CGO_ENABLED=0 go vet -tags nogui ./...
go vet ./app/...

echo "== build: headless (CGO_ENABLED=0 -tags nogui) and tray"
CGO_ENABLED=0 go build -tags nogui -o "$out/claudeflare-nogui" .
go build -o "$out/claudeflare" .
export CLAUDEFLARE_BIN="$PWD/$out/claudeflare-nogui"

echo "== tests (race detector, real Secret Service)"
# The main package has no tests; leaving it out spares a second, race-instrumented
# cgo build of the GL driver (minutes on two cores) that the tray build above already proved.
packages=$(go list ./... | grep -v '^github.com/claudeflare/claudeflare$')
.ci/with-keyring.sh go test -race -count=1 -timeout 25m $packages

echo "== smoke: the real tray app on Xvfb with a tray host and the real keychain"
.ci/with-keyring.sh .ci/smoke.sh "$out/claudeflare"

echo "== fuzz (briefly)"
go test -run '^$' -fuzz '^FuzzSSEUsage$' -fuzztime 10s ./core/proxy/
go test -run '^$' -fuzz '^FuzzRateLimitedUntil$' -fuzztime 10s ./core/proxy/
go test -run '^$' -fuzz '^FuzzLoad$' -fuzztime 10s ./core/config/
go test -run '^$' -fuzz '^FuzzPatchConfig$' -fuzztime 10s ./core/api/
go test -run '^$' -fuzz '^FuzzPutStrategy$' -fuzztime 10s ./core/api/
go test -run '^$' -fuzz '^FuzzAddAccount$' -fuzztime 10s ./core/api/
go test -run '^$' -fuzz '^FuzzPatchAccount$' -fuzztime 10s ./core/api/
go test -run '^$' -fuzz '^FuzzOAuthStart$' -fuzztime 10s ./core/api/
go test -run '^$' -fuzz '^FuzzOAuthComplete$' -fuzztime 10s ./core/api/
