package tray

import "time"

// hostWait is how long a tray started with a session bus but no tray host
// waits for one before it opens its accounts window instead. Started at
// login, the app often comes up before the desktop's panel: waiting lets
// it land in the tray as the user expects, with no window in their face;
// a desktop with no tray at all gets the window a few seconds later.
const hostWait = 8 * time.Second

// awaitHost reports whether probe finds a tray host within d, asking every
// quarter second (a few dozen D-Bus calls at most, at start only).
func awaitHost(probe func() bool, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !probe() {
		if !time.Now().Before(deadline) {
			return false
		}
		time.Sleep(250 * time.Millisecond)
	}
	return true
}
