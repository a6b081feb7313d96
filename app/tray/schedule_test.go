package tray

import (
	"testing"
	"time"
)

func TestNextRebuild(t *testing.T) {
	t.Parallel()
	last := now
	tests := []struct {
		name    string
		changed bool
		want    time.Time
	}{
		{"a change waits out the second since the last rebuild", true, last.Add(time.Second)},
		{"no change: the countdown refresh", false, last.Add(30 * time.Second)},
	}
	for _, tt := range tests {
		if got := NextRebuild(last, tt.changed); !got.Equal(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	// A change long after the last rebuild is due at once.
	if due := NextRebuild(last, true); !due.Before(last.Add(time.Minute)) {
		t.Errorf("a change a minute later waits until %v", due)
	}
}
