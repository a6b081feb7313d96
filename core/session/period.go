package session

import "time"

// Period is one session: the time an account was the active one, from the
// moment it took over to the moment it stopped, and why. It is what the
// history records (docs/DESIGN.md, "Sessions and their history").
type Period struct {
	AccountID   string
	AccountName string
	Start       time.Time
	Expires     time.Time // when it ends if nothing ends it first (start + session duration)
	End         time.Time // zero while open
	Requests    int64
	StartReason string
	EndReason   string // "" while open
}
