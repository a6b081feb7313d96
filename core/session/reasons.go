package session

// Why a session started (Period.StartReason).
const (
	StartFirst     = "first"     // the first session since the proxy started
	StartExpired   = "expired"   // the previous session had run its course
	StartFailover  = "failover"  // the active account could no longer serve: this one took over
	StartResumed   = "resumed"   // an account went back to a session that an interruption had ended
	StartContinued = "continued" // a session begun before a restart goes on
)

// Why a session ended (Period.EndReason).
const (
	EndExpired    = "expired"     // it ran for the whole session duration
	EndRateLimit  = "rate_limit"  // the account's limit was reached (a spent window)
	EndNeedsLogin = "needs_login" // the account's credential was refused
	EndFailover   = "failover"    // the account could not serve and another took over
	EndPause      = "pause"       // the account was paused
	EndRemoved    = "removed"     // the account was removed
	EndOther      = "unavailable" // another account took over while this one could not serve
)
