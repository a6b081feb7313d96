package tray

import (
	"log/slog"

	"github.com/gen2brain/beeep"
)

// notifications sends notices as desktop notifications through beeep
// (org.freedesktop.Notifications over D-Bus on Linux, with notify-send as a
// fallback; the Notification Center on macOS; toast notifications on
// Windows), one at a time on a goroutine of their own so the tray never
// waits for the desktop. When they pile up, the newest are dropped: the
// Notifier already sends at most one a minute of each kind.
type notifications struct {
	queue chan Notice
}

func startNotifications(icon []byte, log *slog.Logger) *notifications {
	beeep.AppName = "Claudeflare"
	n := &notifications{queue: make(chan Notice, 8)}
	go func() {
		for x := range n.queue {
			if err := beeep.Notify(x.Title, x.Body, icon); err != nil {
				log.Warn("desktop notification not shown", "title", x.Title, "err", err)
			}
		}
	}()
	return n
}

func (n *notifications) send(x Notice) {
	select {
	case n.queue <- x:
	default:
	}
}
