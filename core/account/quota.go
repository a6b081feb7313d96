package account

import (
	"maps"
	"time"
)

// Names of the quota windows Anthropic reports on every subscription answer
// (anthropic-ratelimit-unified-<window>-*). The header's 5h and 7d are
// shown under these names; any other window (such as 7d_oi, a model's own
// weekly window) keeps its header name.
const (
	WindowFiveHour = "five_hour"
	WindowSevenDay = "seven_day"
)

// Thresholds of a quota window's utilization (a fraction of the window).
const (
	// WarnAt is the first threshold users are told about.
	WarnAt = 0.80
	// NearlySpentAt is where a window counts as nearly spent: a session
	// started there would soon end in a forced switch (docs/DESIGN.md,
	// "Choosing the account").
	NearlySpentAt = 0.95
)

// thresholds are announced in this order, once per window period each.
var thresholds = [...]float64{WarnAt, NearlySpentAt}

// Window is one quota window of an account as Anthropic last reported it.
type Window struct {
	// Utilization is the fraction used: 0 … 1, and more past the limit.
	Utilization float64 `json:"utilization"`
	// ResetsAt is when the window starts over; zero when not reported.
	ResetsAt time.Time `json:"resets_at"`
	// Status is Anthropic's word for it: allowed, allowed_warning or rejected.
	Status string `json:"status"`
	// Announced is the highest threshold already announced in this window
	// period, so each crossing is told once (0: none).
	Announced float64 `json:"announced,omitempty"`
}

// Passed reports whether the window has reset since it was reported.
func (w Window) Passed(now time.Time) bool {
	return !w.ResetsAt.IsZero() && !now.Before(w.ResetsAt)
}

// Quota holds an account's quota windows by name. A Quota is never changed
// in place once an account holds it: changes make a new map, so a snapshot
// taken under the pool's lock can be read later without copying.
type Quota map[string]Window

// Current is the quota as it stands at now: a window whose reset has passed
// counts as unused (utilization 0, status allowed, no reset known) until the
// next answer reports it again.
func (q Quota) Current(now time.Time) Quota {
	if len(q) == 0 {
		return nil
	}
	out := make(Quota, len(q))
	for name, w := range q {
		if w.Passed(now) {
			w = Window{Status: "allowed"}
		}
		out[name] = w
	}
	return out
}

// NearlySpent reports whether any window is at NearlySpentAt or more and
// has not reset yet.
func (q Quota) NearlySpent(now time.Time) bool {
	for _, w := range q {
		if w.Utilization >= NearlySpentAt && !w.Passed(now) {
			return true
		}
	}
	return false
}

// Crossing is a threshold a window has just reached.
type Crossing struct {
	Window    string  // its name, e.g. five_hour
	Threshold float64 // WarnAt or NearlySpentAt
	Reported  Window  // the window as the answer reported it
}

// Merge returns q updated with the windows of one answer (reported) at now,
// and the thresholds that answer crossed. Windows the answer does not
// mention are kept (a model's own window appears only on that model's
// answers). A window whose reset has passed starts a new period: its
// announcements start over. Of thresholds crossed at once only the highest
// is returned, so one answer is at most one notice per window. q itself is
// never modified.
func (q Quota) Merge(reported Quota, now time.Time) (Quota, []Crossing) {
	if len(reported) == 0 {
		return q, nil
	}
	out := make(Quota, len(q)+len(reported))
	maps.Copy(out, q)
	var crossed []Crossing
	for name, w := range reported {
		prev, had := q[name]
		if had && !prev.Passed(now) {
			w.Announced = prev.Announced
		}
		var reached float64
		for _, t := range thresholds {
			if w.Utilization >= t && w.Announced < t {
				reached = t
			}
		}
		if reached > 0 {
			w.Announced = reached
			crossed = append(crossed, Crossing{Window: name, Threshold: reached, Reported: w})
		}
		out[name] = w
	}
	return out, crossed
}

// Equal reports whether q and o hold the same windows.
func (q Quota) Equal(o Quota) bool {
	return maps.EqualFunc(q, o, func(a, b Window) bool {
		return a.Utilization == b.Utilization && a.ResetsAt.Equal(b.ResetsAt) && a.Status == b.Status && a.Announced == b.Announced
	})
}
