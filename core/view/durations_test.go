package view

import (
	"testing"
	"time"
)

func TestDurations(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ got, want string }{
		{Remaining(-time.Second), "0s"}, {Remaining(40 * time.Second), "40s"}, {Remaining(12*time.Minute + 59*time.Second), "12m"},
		{Remaining(4*time.Hour + 5*time.Minute + 30*time.Second), "4h05m"}, {Remaining(50 * time.Hour), "50h00m"},
		{Length(120 * time.Second), "2m"}, {Length(640 * time.Second), "10m40s"}, {Length(4800 * time.Second), "1h20m"},
		{Length(45 * time.Second), "45s"}, {Length(5 * time.Hour), "5h"}, {Length(1500 * time.Millisecond), "2s"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
