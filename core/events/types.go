package events

import (
	"encoding/json"
	"time"

	"github.com/claudeflare/claudeflare/core/store"
)

// Event is one state change, announced once by the code that owns it
// (docs/DESIGN.md, "Events"): the request log, the metrics, /api/events,
// the tray, its notifications and the log are all subscribers. Every event
// is a pointer to one of the types below; none carries a secret.
type Event interface {
	// Kind is the event's name on /api/events.
	Kind() Kind
	// When is when it happened.
	When() time.Time
}

// Kind names an event type.
type Kind string

// The event kinds, as named on the /api/events stream.
const (
	KindRequest        Kind = "request"         // *Request: a request finished
	KindHop            Kind = "hop"             // *Hop
	KindFailover       Kind = "failover"        // *Failover
	KindRateLimited    Kind = "rate_limited"    // *RateLimited
	KindSessionStarted Kind = "session_started" // *SessionStarted
	KindSessionEnded   Kind = "session_ended"   // *SessionEnded
	KindQuotaCrossed   Kind = "quota_crossed"   // *QuotaCrossed
	KindAccountChanged Kind = "account_changed" // *AccountChanged
	KindConfigChanged  Kind = "config_changed"  // *ConfigChanged
	KindRequestLog     Kind = "request_log"     // *RequestLogFailed
)

// Request: one proxied request finished (its row is written to the log).
type Request struct {
	Row *store.RequestRow
}

// requestJSON is what /api/events shows of a request: no header, no query.
type requestJSON struct {
	At           time.Time `json:"at"`
	ID           string    `json:"id"`
	Path         string    `json:"path"`
	Account      string    `json:"account"`
	Status       int       `json:"status"`
	DurationMS   int64     `json:"duration_ms"`
	Failovers    int       `json:"failovers"`
	Model        string    `json:"model"`
	InputTokens  int64     `json:"input_tokens"`
	OutputTokens int64     `json:"output_tokens"`
	Streamed     bool      `json:"streamed"`
	Error        string    `json:"error,omitempty"`
}

// MarshalJSON shows the row's public part.
func (e *Request) MarshalJSON() ([]byte, error) {
	r := e.Row
	return json.Marshal(requestJSON{At: r.Start, ID: r.ID, Path: r.Path, Account: r.AccountName, Status: r.Status,
		DurationMS: r.Duration.Milliseconds(), Failovers: r.Failovers, Model: r.Model, InputTokens: r.InputTokens,
		OutputTokens: r.OutputTokens, Streamed: r.Streamed, Error: r.Error})
}

// UnmarshalJSON reads what MarshalJSON shows back into a row.
func (e *Request) UnmarshalJSON(b []byte) error {
	var j requestJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	e.Row = &store.RequestRow{Start: j.At, ID: j.ID, Path: j.Path, AccountName: j.Account, Status: j.Status,
		Duration: time.Duration(j.DurationMS) * time.Millisecond, Failovers: j.Failovers, Model: j.Model,
		InputTokens: j.InputTokens, OutputTokens: j.OutputTokens, Streamed: j.Streamed, Error: j.Error}
	return nil
}

// Hop: one request went to another account for a reason that says nothing
// about the first (a request-scoped 429, a broken connection); the session
// stayed.
type Hop struct {
	At        time.Time `json:"at"`
	AccountID string    `json:"account_id"`
	From      string    `json:"from"`
	To        string    `json:"to"` // "" when no candidate was left
	Reason    string    `json:"reason"`
	Path      string    `json:"path"`
}

// Failover: the account itself could no longer serve (spent, refused), so
// the request went to the next candidate and the session moves with it.
type Failover struct {
	At        time.Time `json:"at"`
	AccountID string    `json:"account_id"`
	From      string    `json:"from"`
	To        string    `json:"to"` // "" when no candidate was left
	Reason    string    `json:"reason"`
	Path      string    `json:"path"`
}

// RateLimited: an account's limit was reached (a new occurrence, not every
// 429 of a storm).
type RateLimited struct {
	At        time.Time `json:"at"`
	AccountID string    `json:"account_id"`
	Account   string    `json:"account"`
	Until     time.Time `json:"until"`
}

// MarshalJSON adds the account's new status, as /api/events has always
// shown it beside the reset.
func (e *RateLimited) MarshalJSON() ([]byte, error) {
	type plain RateLimited
	return json.Marshal(struct {
		*plain
		State string `json:"state"`
	}{(*plain)(e), "rate_limited"})
}

// SessionStarted: an account's session started.
type SessionStarted struct {
	At        time.Time `json:"at"`
	AccountID string    `json:"account_id"`
	Account   string    `json:"account"`
	Previous  string    `json:"previous"` // the account active before, "" if none
	Reason    string    `json:"reason"`   // session.Start*
}

// SessionEnded: the active account's session period ended.
type SessionEnded struct {
	At        time.Time `json:"at"` // when it ended
	AccountID string    `json:"account_id"`
	Account   string    `json:"account"`
	Start     time.Time `json:"start"`
	Requests  int64     `json:"requests"`
	Reason    string    `json:"reason"` // session.End*
}

// QuotaCrossed: an account's quota window reached 80 % or 95 %, once per
// window period and threshold.
type QuotaCrossed struct {
	At          time.Time `json:"at"`
	Account     string    `json:"account"`
	Window      string    `json:"window"`    // five_hour, seven_day, 7d_oi…
	Threshold   float64   `json:"threshold"` // 0.8 or 0.95
	Utilization float64   `json:"utilization"`
	ResetsAt    time.Time `json:"resets_at,omitzero"`
}

// How an account changed (AccountChanged.State).
const (
	AccountAdded      = "added"
	AccountRemoved    = "removed"
	AccountSettings   = "settings" // name, priority, paused or a new login
	AccountNeedsLogin = "needs_login"
	AccountCooldown   = "cooldown" // Until: when it ends
)

// AccountChanged: an account was added, removed or changed, or its
// credential was refused, or it is cooling down.
type AccountChanged struct {
	At        time.Time `json:"at"`
	AccountID string    `json:"account_id"`
	Account   string    `json:"account"`
	State     string    `json:"state"`
	Until     time.Time `json:"until,omitzero"`
}

// ConfigChanged: the running configuration changed (Config is its view),
// or a change could not be applied (Error says why; nothing changed).
type ConfigChanged struct {
	At     time.Time
	Config any
	Error  string
}

// MarshalJSON shows the configuration's own keys, or {"error"}, as
// /api/events always has.
func (e *ConfigChanged) MarshalJSON() ([]byte, error) {
	if e.Error != "" || e.Config == nil {
		return json.Marshal(map[string]any{"at": e.At, "error": e.Error})
	}
	b, err := json.Marshal(e.Config)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["at"] = e.At
	return json.Marshal(m)
}

// UnmarshalJSON reads it back: the keys other than at and error are the
// configuration (as a map).
func (e *ConfigChanged) UnmarshalJSON(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if at, ok := m["at"].(string); ok {
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return err
		}
		e.At = t
	}
	delete(m, "at")
	if msg, ok := m["error"].(string); ok {
		e.Error = msg
		return nil
	}
	e.Config = m
	return nil
}

// RequestLogFailed: request rows could not be written (a full disk, a
// broken database). Sent once per failure streak; requests still go through.
type RequestLogFailed struct {
	At    time.Time `json:"at"`
	Error string    `json:"error"`
}

func (*Request) Kind() Kind          { return KindRequest }
func (*Hop) Kind() Kind              { return KindHop }
func (*Failover) Kind() Kind         { return KindFailover }
func (*RateLimited) Kind() Kind      { return KindRateLimited }
func (*SessionStarted) Kind() Kind   { return KindSessionStarted }
func (*SessionEnded) Kind() Kind     { return KindSessionEnded }
func (*QuotaCrossed) Kind() Kind     { return KindQuotaCrossed }
func (*AccountChanged) Kind() Kind   { return KindAccountChanged }
func (*ConfigChanged) Kind() Kind    { return KindConfigChanged }
func (*RequestLogFailed) Kind() Kind { return KindRequestLog }

func (e *Request) When() time.Time          { return e.Row.Start }
func (e *Hop) When() time.Time              { return e.At }
func (e *Failover) When() time.Time         { return e.At }
func (e *RateLimited) When() time.Time      { return e.At }
func (e *SessionStarted) When() time.Time   { return e.At }
func (e *SessionEnded) When() time.Time     { return e.At }
func (e *QuotaCrossed) When() time.Time     { return e.At }
func (e *AccountChanged) When() time.Time   { return e.At }
func (e *ConfigChanged) When() time.Time    { return e.At }
func (e *RequestLogFailed) When() time.Time { return e.At }

// New returns an empty event of kind k to decode into, or nil for a kind
// this program does not know.
func New(k Kind) Event {
	switch k {
	case KindRequest:
		return &Request{}
	case KindHop:
		return &Hop{}
	case KindFailover:
		return &Failover{}
	case KindRateLimited:
		return &RateLimited{}
	case KindSessionStarted:
		return &SessionStarted{}
	case KindSessionEnded:
		return &SessionEnded{}
	case KindQuotaCrossed:
		return &QuotaCrossed{}
	case KindAccountChanged:
		return &AccountChanged{}
	case KindConfigChanged:
		return &ConfigChanged{}
	case KindRequestLog:
		return &RequestLogFailed{}
	}
	return nil
}

// Envelope is an event as /api/events sends it: its kind, time and data.
type Envelope struct {
	Type Kind      `json:"type"`
	At   time.Time `json:"at"`
	Data Event     `json:"data"`
}

// Wrap puts e in its envelope.
func Wrap(e Event) Envelope { return Envelope{Type: e.Kind(), At: e.When().UTC(), Data: e} }

// Decode reads an envelope's JSON back into a typed event.
func Decode(b []byte) (Event, error) {
	var raw struct {
		Type Kind            `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	e := New(raw.Type)
	if e == nil {
		return nil, &UnknownKindError{raw.Type}
	}
	if len(raw.Data) > 0 {
		if err := json.Unmarshal(raw.Data, e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// UnknownKindError is an event of a kind this program does not know (a
// newer Claudeflare): callers skip it.
type UnknownKindError struct{ Kind Kind }

func (e *UnknownKindError) Error() string { return "unknown event kind " + string(e.Kind) }
