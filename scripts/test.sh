#!/usr/bin/env bash
# The whole test suite, as CI runs it: set-up, vet, both builds, every Go
# test with the race detector inside a session bus with a real, unlocked
# gnome-keyring (so the keychain tests use the real Secret Service).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-test.sh

out=.ci/out
mkdir -p "$out"
export LANG=en_US.UTF-8

echo "== vet, staticcheck, deadcode"
CGO_ENABLED=0 go vet -tags nogui ./...
go vet ./app/...
# Pinned linters, built into .ci/out/bin (the Go build cache makes this quick after once).
GOBIN="$PWD/$out/bin" go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOBIN="$PWD/$out/bin" go install golang.org/x/tools/cmd/deadcode@v0.52.0
CGO_ENABLED=0 "$out/bin/staticcheck" -tags nogui ./...
"$out/bin/staticcheck" . ./app/...
# Nothing unreachable, counting what the tests use (the fake, the test kit).
dead=$("$out/bin/deadcode" -test ./...)
if [[ -n "$dead" ]]; then
	echo "deadcode: unreachable functions:" >&2
	echo "$dead" >&2
	exit 1
fi
# The per-OS code (autostart's LaunchAgent and Run key, the lock, the
# keychain) is only run on Linux here: it must at least compile elsewhere.
GOOS=darwin CGO_ENABLED=0 go vet -tags nogui ./platform/... ./cli/...
GOOS=windows CGO_ENABLED=0 go vet -tags nogui ./platform/... ./cli/...
# The tray process on Windows (systray's native tray, beeep's toasts) builds
# without cgo; on macOS systray needs cgo and a Mac.
GOOS=windows CGO_ENABLED=0 go vet ./app/tray/

echo "== build: headless (CGO_ENABLED=0 -tags nogui) and tray"
CGO_ENABLED=0 go build -tags nogui -o "$out/claudeflare-nogui" .
go build -o "$out/claudeflare" .
export CLAUDEFLARE_BIN="$PWD/$out/claudeflare-nogui"

echo "== tests (race detector, real Secret Service)"
# The main package has no tests; leaving it out spares a second, race-instrumented
# cgo build of the GL driver (minutes on two cores) that the tray build above already proved.
packages=$(go list ./... | grep -v '^github.com/claudeflare/claudeflare$')
.ci/with-keyring.sh go test -race -count=1 -timeout 25m $packages

echo "== idle: what an idle serve costs (reported, not asserted: the goal is ≤ 2 wake-ups/s, < 30 MB)"
# Fails only if the measurement itself breaks (docs/DESIGN.md, "The typed surface").
scripts/idle.sh "$out/claudeflare-nogui" serve

echo "== smoke: the real tray app on Xvfb with a tray host and the real keychain"
go build -o "$out/fakeanthropic" ./internal/fakeanthropic/cmd/fakeanthropic
.ci/with-keyring.sh .ci/smoke.sh "$out/claudeflare" "$out/fakeanthropic"

echo "== idle cost of the tray with no window open, beside serve (a report, not a test)"
.ci/with-keyring.sh .ci/idle-tray.sh "$out/claudeflare" 20s

echo "== fuzz (briefly)"
# A count of inputs per target, never a duration: Go 1.26's fuzzing
# coordinator can end a duration -fuzztime with a bare "context deadline
# exceeded" and no failing input (golang/go#75804, fixed in Go 1.27), which
# made CI fail by chance. Each count fits in a few seconds on two cores.
fuzz() { go test -run '^$' -fuzz "^$1\$" -fuzztime "$2" "$3"; }
fuzz FuzzSSEUsage 20000x ./core/proxy/
fuzz FuzzRateLimitedUntil 20000x ./core/proxy/
fuzz FuzzDecide 20000x ./core/proxy/
fuzz FuzzLoad 5000x ./core/config/
fuzz FuzzPatchConfig 1000x ./core/api/
fuzz FuzzPutStrategy 2000x ./core/api/
fuzz FuzzAddAccount 2000x ./core/api/
fuzz FuzzPatchAccount 2000x ./core/api/
fuzz FuzzOAuthStart 2000x ./core/api/
fuzz FuzzOAuthComplete 2000x ./core/api/
