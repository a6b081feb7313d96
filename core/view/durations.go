package view

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Remaining writes a time left compactly, as every countdown shows it: a
// session's, a rate limit's, a quota window's: "4h05m", "12m", "40s".
func Remaining(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// Length writes a length of time to the second, without zero units:
// "1h20m", "10m40s", "45s", "5h".
func Length(d time.Duration) string {
	s := (time.Duration(math.Round(d.Seconds())) * time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
