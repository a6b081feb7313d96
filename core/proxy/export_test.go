package proxy

// SetBodyBudget changes the bodies' budget (MaxBodiesInFlight), for tests.
func (p *Proxy) SetBodyBudget(n int64) { p.budget.limit = n }

// BodyBytesHeld is the budget in use.
func (p *Proxy) BodyBytesHeld() int64 { return p.budget.used.Load() }
