package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/pool"
	"github.com/claudeflare/claudeflare/core/store"
)

// exchange is one client request on its way through the proxy.
type exchange struct {
	p      *Proxy
	w      http.ResponseWriter
	r      *http.Request
	cfg    config.Config
	start  time.Time
	body   []byte
	target string
	row    store.RequestRow
	usage  Usage
}

func (p *Proxy) newExchange(w http.ResponseWriter, r *http.Request) *exchange {
	start := p.Now()
	ex := &exchange{p: p, w: w, r: r, cfg: p.Config(), start: start}
	ex.row = store.RequestRow{
		ID:     strconv.FormatInt(start.UnixNano(), 36) + "-" + strconv.FormatUint(p.seq.Add(1), 36),
		Start:  start,
		Method: r.Method,
		Path:   r.URL.Path,
	}
	return ex
}

// outcome of one attempt on one account.
type outcome int

const (
	serve outcome = iota // the answer goes to the client
	next                 // fail over to the next candidate
	retry                // try the same account again (after a token refresh)
	gone                 // the client went away
)

// failover tries the candidates in order until one answers with something
// the client should see (SPEC §4's table).
func (ex *exchange) failover(cands []pool.Candidate) {
	var (
		last     *http.Response
		lastName string
		lastErr  error
		tried    int
		from     string
	)
	defer func() {
		if last != nil {
			last.Body.Close()
		}
	}()
	for i := range cands {
		c := &cands[i]
		verdict, reason, resp, err := ex.attempt(c)
		if resp != nil || err != nil {
			tried++
		}
		switch verdict {
		case gone:
			if resp != nil {
				resp.Body.Close()
			}
			ex.row.Status, ex.row.AccountID, ex.row.AccountName = 499, c.ID, c.Name
			ex.row.Error = "client disconnected"
			return
		case serve:
			ex.p.Pool.Served(c.ID, ex.p.Now(), ex.cfg.SessionDuration(), from)
			ex.relay(resp, c.ID, c.Name)
			return
		}
		// Fail over; keep this answer in case no one else can serve.
		if last != nil {
			last.Body.Close()
		}
		last, lastName, lastErr = resp, c.Name, err
		if from == "" {
			from = c.Name
		}
		ex.row.Failovers++
		ex.p.Recorder.Enqueue(store.Event{At: ex.p.Now(), AccountID: c.ID, AccountName: c.Name, Kind: store.EventFailover, Detail: reason})
		to := ""
		if i+1 < len(cands) {
			to = cands[i+1].Name
		}
		ex.p.Bus.Publish(events.Event{Type: events.Failover, At: ex.p.Now(), Data: map[string]any{
			"from": c.Name, "to": to, "reason": reason, "path": ex.row.Path,
		}})
		ex.p.Log.Info("failover", "from", c.Name, "to", to, "reason", reason)
	}
	// No candidate left.
	now := ex.p.Now()
	if earliest, all := ex.p.Pool.EarliestRecovery(now); all {
		wait := max(int64(earliest.Sub(now).Seconds()+0.999), 1)
		ex.w.Header().Set("Retry-After", strconv.FormatInt(wait, 10))
		ex.fail(http.StatusTooManyRequests, "rate_limit_error", fmt.Sprintf(
			"All Claudeflare accounts are rate-limited; the earliest resets at %s (in %s).",
			earliest.UTC().Format(time.RFC3339), time.Duration(wait)*time.Second))
		return
	}
	if last != nil {
		resp := last
		last = nil
		ex.relay(resp, "", lastName)
		return
	}
	if tried > 0 {
		msg := "No upstream answered"
		if lastErr != nil {
			msg += ": " + lastErr.Error()
		}
		ex.fail(http.StatusBadGateway, "api_error", msg)
		return
	}
	msg, back := ex.p.noAccount(now)
	if !back.IsZero() {
		// Clients (the SDKs, Claude Code) wait this long before retrying.
		ex.w.Header().Set("Retry-After", strconv.FormatInt(max(int64(back.Sub(now).Seconds()+0.999), 1), 10))
	}
	ex.fail(http.StatusServiceUnavailable, "api_error", msg)
}

// attempt sends the request on c, refreshing an OAuth token first if it is
// about to expire, and once more after a 401 that a refresh can cure.
func (ex *exchange) attempt(c *pool.Candidate) (outcome, string, *http.Response, error) {
	if c.Kind == account.KindOAuth && ex.p.Tokens != nil {
		s, err := ex.p.Tokens.Fresh(ex.r.Context(), *c)
		if errors.Is(err, ErrNeedsLogin) {
			ex.p.Pool.NeedsLogin(c.ID, ex.p.Now())
			return next, "needs login (refresh refused)", nil, nil
		}
		if err == nil {
			c.Secret = s
		}
	}
	resp, err := ex.send(c)
	verdict, reason := ex.judge(c, resp, err, false)
	if verdict == retry {
		resp.Body.Close()
		resp, err = ex.send(c)
		verdict, reason = ex.judge(c, resp, err, true)
	}
	return verdict, reason, resp, err
}

// judge applies SPEC §4's failover table to one upstream answer.
func (ex *exchange) judge(c *pool.Candidate, resp *http.Response, err error, refreshed bool) (outcome, string) {
	now := ex.p.Now()
	if err != nil {
		if ex.r.Context().Err() != nil {
			return gone, ""
		}
		return next, "upstream unreachable: " + err.Error()
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		until := rateLimitedUntil(resp.Header, now)
		ex.p.Pool.RateLimited(c.ID, now, until)
		return next, "rate limited (429)"
	case 529:
		ex.p.Pool.Cooldown(c.ID, now, now.Add(overloadCooldown))
		return next, "overloaded (529)"
	case http.StatusUnauthorized, http.StatusForbidden:
		if c.Kind == account.KindOAuth {
			if resp.StatusCode == http.StatusForbidden {
				break
			}
			if ex.p.Tokens != nil && !refreshed {
				s, rerr := ex.p.Tokens.Refresh(ex.r.Context(), *c, c.Secret)
				if rerr == nil {
					c.Secret = s
					return retry, ""
				}
				if !errors.Is(rerr, ErrNeedsLogin) {
					return next, "token refresh failed"
				}
			}
			ex.p.Pool.NeedsLogin(c.ID, now)
			return next, "needs login (401)"
		}
		ex.p.Pool.NeedsLogin(c.ID, now)
		return next, fmt.Sprintf("API key refused (%d)", resp.StatusCode)
	}
	if u := utilization(resp.Header); u >= 0 {
		ex.p.Pool.SetUtilization(c.ID, u)
	}
	return serve, ""
}

// send makes one upstream attempt with c's credential, or with the client's
// own when c is nil (no accounts configured).
func (ex *exchange) send(c *pool.Candidate) (*http.Response, error) {
	var body io.Reader = http.NoBody
	if len(ex.body) > 0 {
		body = bytes.NewReader(ex.body)
	}
	req, err := http.NewRequestWithContext(ex.r.Context(), ex.r.Method, ex.target, body)
	if err != nil {
		return nil, err
	}
	req.Header = outboundHeader(ex.r.Header, c == nil)
	if c != nil {
		applyCredential(req.Header, c.Kind, c.Secret)
	}
	return ex.p.Transport.RoundTrip(req)
}

// passThrough forwards with the client's own credentials: no accounts exist.
func (ex *exchange) passThrough() {
	resp, err := ex.send(nil)
	if err != nil {
		if ex.r.Context().Err() != nil {
			ex.row.Status, ex.row.Error = 499, "client disconnected"
			return
		}
		ex.fail(http.StatusBadGateway, "api_error", "No upstream answered: "+err.Error())
		return
	}
	ex.relay(resp, "", "")
}

// relay copies resp to the client, flushing each chunk of an event stream
// the moment it arrives, and reads usage on the way.
func (ex *exchange) relay(resp *http.Response, id, name string) {
	defer resp.Body.Close()
	ex.row.TTFB = ex.p.Now().Sub(ex.start)
	ex.row.AccountID, ex.row.AccountName, ex.row.Status = id, name, resp.StatusCode
	if name == "" {
		name = "none"
	}
	h := ex.w.Header()
	copyResponseHeader(h, resp.Header)
	h.Set(AccountHeader, name)
	ex.w.WriteHeader(resp.StatusCode)

	streaming := isStream(resp.Header.Get("Content-Type"))
	ex.row.Streamed = streaming
	var sse *sseUsage
	var whole []byte
	if streaming {
		sse = &sseUsage{}
	}
	rc := http.NewResponseController(ex.w)
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := ex.w.Write(buf[:n]); werr != nil {
				ex.row.Status, ex.row.Error = 499, "client disconnected"
				break
			}
			if streaming {
				_ = rc.Flush()
				sse.Write(buf[:n])
			} else if len(whole)+n <= maxLine {
				whole = append(whole, buf[:n]...)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if ex.r.Context().Err() != nil {
				ex.row.Status, ex.row.Error = 499, "client disconnected"
			} else {
				ex.row.Error = "upstream stream broke: " + rerr.Error()
			}
			break
		}
	}
	if ex.row.Error != "" && ex.row.Status != 499 {
		// The upstream broke mid-answer: cut the client's connection too, so it
		// sees a truncated response rather than one that looks complete.
		ex.keepUsage(streaming, sse, whole)
		panic(http.ErrAbortHandler)
	}
	ex.keepUsage(streaming, sse, whole)
}

// keepUsage stores the usage read from the answer for the request row.
func (ex *exchange) keepUsage(streaming bool, sse *sseUsage, whole []byte) {
	if streaming {
		ex.usage = sse.Usage
	} else {
		ex.usage = jsonUsage(whole)
	}
	if ex.row.Error == "" && ex.usage.Error != "" {
		ex.row.Error = ex.usage.Error
	}
}

// fail answers the client with an error of the proxy's own.
func (ex *exchange) fail(status int, errType, message string) {
	ex.row.Status, ex.row.Error = status, errType+": "+message
	ex.w.Header().Set(AccountHeader, "none")
	writeError(ex.w, status, errType, message)
}

// finish writes the request row and announces it, never waiting on the database.
func (ex *exchange) finish() {
	ex.row.Duration = ex.p.Now().Sub(ex.start)
	u := ex.usage
	ex.row.Model, ex.row.InputTokens, ex.row.OutputTokens = u.Model, u.InputTokens, u.OutputTokens
	ex.row.CacheReadTokens, ex.row.CacheCreationTokens = u.CacheReadTokens, u.CacheCreationTokens
	ex.p.Recorder.Enqueue(ex.row)
	ex.p.Bus.Publish(events.Event{Type: events.Request, At: ex.start, Data: &events.RequestData{
		ID: ex.row.ID, Path: ex.row.Path, Account: ex.row.AccountName, Status: ex.row.Status,
		DurationMS: ex.row.Duration.Milliseconds(), Failovers: ex.row.Failovers, Model: u.Model,
		InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, Streamed: ex.row.Streamed,
	}})
}

// noAccount tells the user what to do when no account can serve, and when
// the first overloaded account's cooldown ends (zero if none is cooling
// down: only the user can bring the others back).
func (p *Proxy) noAccount(now time.Time) (message string, back time.Time) {
	views := p.Pool.Views(now, p.Config().SessionDuration())
	var paused, login, cooling, noCred []string
	for _, v := range views {
		switch {
		case v.Paused:
			paused = append(paused, v.Name)
		case v.NeedsLogin:
			login = append(login, v.Name)
		case now.Before(v.CooldownUntil):
			cooling = append(cooling, v.Name)
			if back.IsZero() || v.CooldownUntil.Before(back) {
				back = v.CooldownUntil
			}
		case !v.HasCredential:
			noCred = append(noCred, v.Name)
		}
	}
	var parts []string
	if len(login) > 0 {
		parts = append(parts, fmt.Sprintf("log in again with `claudeflare accounts login NAME` (%s)", strings.Join(login, ", ")))
	}
	if len(paused) > 0 {
		parts = append(parts, fmt.Sprintf("resume a paused account with `claudeflare accounts resume NAME` (%s)", strings.Join(paused, ", ")))
	}
	if len(cooling) > 0 {
		parts = append(parts, fmt.Sprintf("wait a few seconds for overloaded accounts to cool down (%s)", strings.Join(cooling, ", ")))
	}
	if len(noCred) > 0 {
		parts = append(parts, fmt.Sprintf("check the credential store: the credentials of %s could not be read", strings.Join(noCred, ", ")))
	}
	if len(parts) == 0 {
		return "No Claudeflare account can serve this request.", back
	}
	return "No Claudeflare account can serve this request: " + strings.Join(parts, "; ") + ".", back
}
