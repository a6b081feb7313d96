package proxy

import (
	"bytes"
	"context"
	"encoding/json"
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

// failover tries the candidates in order until one answers with something
// the client should see. Decide says what each answer means; this applies
// it (docs/DESIGN.md, "What an answer means").
func (ex *exchange) failover(cands []pool.Candidate) {
	var (
		last     *http.Response
		lastName string
		lastErr  error
		tried    int
		route    pool.Route
	)
	defer func() {
		if last != nil {
			last.Body.Close()
		}
	}()
	for i := range cands {
		c := &cands[i]
		v, resp, err := ex.attempt(c)
		if resp != nil || err != nil {
			tried++
		}
		if v.Request != Serve && ex.r.Context().Err() != nil {
			if resp != nil {
				resp.Body.Close()
			}
			ex.row.Status, ex.row.AccountID, ex.row.AccountName = 499, c.ID, c.Name
			ex.row.Error = "client disconnected"
			return
		}
		if v.Request == Serve {
			ex.p.Pool.Served(c.ID, ex.p.Now(), ex.cfg.SessionDuration(), route)
			ex.relay(resp, c.ID, c.Name)
			return
		}
		// Next candidate; keep this answer in case no one else can serve.
		if i == 0 {
			// Only the strategy's choice decides whether the session moves:
			// if its own failure was about this request alone, whoever
			// serves it is a hop, whatever else happens on the way.
			route = pool.Route{From: c.Name, Hop: !v.MovesSession}
		}
		if last != nil {
			last.Body.Close()
		}
		last, lastName, lastErr = resp, c.Name, err
		ex.row.Failovers++
		to := ""
		if i+1 < len(cands) {
			to = cands[i+1].Name
		}
		ex.announceMove(c, to, v)
	}
	// No candidate left.
	now := ex.p.Now()
	if earliest, limitHeaders, all := ex.p.Pool.EarliestRecovery(now); all {
		ex.exhausted(now, earliest, limitHeaders)
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

// announceMove tells that this request left c for the next candidate: a
// failover when c itself can no longer serve, a hop when the answer was
// about this request only. The event is the one record of it: the request
// log, the metrics and the log follow the bus.
func (ex *exchange) announceMove(c *pool.Candidate, to string, v Verdict) {
	now := ex.p.Now()
	if v.MovesSession {
		ex.p.Bus.Publish(&events.Failover{At: now, AccountID: c.ID, From: c.Name, To: to, Reason: v.Reason, Path: ex.row.Path})
		return
	}
	ex.p.Bus.Publish(&events.Hop{At: now, AccountID: c.ID, From: c.Name, To: to, Reason: v.Reason, Path: ex.row.Path})
}

// exhausted answers when every account is rate-limited: 429 with an honest
// retry-after and, when the account that resets first was limited on
// subscription traffic, the anthropic-ratelimit-unified-* headers of its
// own 429, so that Claude Code names the limit and its reset exactly as it
// does talking to Anthropic directly (it decides what to tell its user from
// those headers).
func (ex *exchange) exhausted(now, earliest time.Time, limitHeaders http.Header) {
	wait := max(int64(earliest.Sub(now).Seconds()+0.999), 1)
	h := ex.w.Header()
	for k, vv := range limitHeaders {
		h[k] = vv[:len(vv):len(vv)]
	}
	h.Set("Retry-After", strconv.FormatInt(wait, 10))
	ex.fail(http.StatusTooManyRequests, "rate_limit_error", fmt.Sprintf(
		"All Claudeflare accounts are rate-limited; the earliest resets at %s (in %s).",
		earliest.UTC().Format(time.RFC3339), time.Duration(wait)*time.Second))
}

// attempt sends the request on c and settles every retry on c itself: a
// token refreshed first when it is about to expire, once more after a 401
// that a refresh cures, and once more after an overload. It applies the
// verdict to the account and returns it with the answer (nil when none came).
func (ex *exchange) attempt(c *pool.Candidate) (Verdict, *http.Response, error) {
	ctx := ex.r.Context()
	if c.Kind == account.KindOAuth && ex.p.Tokens != nil {
		s, err := ex.p.Tokens.Fresh(ctx, *c)
		if errors.Is(err, ErrNeedsLogin) {
			v := RefreshOutcome(err, true, ex.p.Now())
			ex.apply(c, v, nil, false)
			return v, nil, nil
		}
		if err == nil {
			c.Secret = s
		}
	}
	ans := Answer{Kind: c.Kind}
	for {
		resp, err := ex.send(c)
		ans.Status, ans.Header, ans.Err, ans.ErrorType = 0, nil, err, ""
		if resp != nil {
			ans.Status, ans.Header = resp.StatusCode, resp.Header
			ans.ErrorType = peekErrorType(resp)
		}
		if err != nil && ctx.Err() != nil {
			return Verdict{Request: Next}, nil, err // the client went away
		}
		now := ex.p.Now()
		quota := false
		if resp != nil {
			if q := parseQuota(resp.Header); q != nil {
				ex.p.Pool.SetQuota(c.ID, now, q)
				quota = true
			}
		}
		v := Decide(ans, now)
		switch {
		case v.Account == RefreshAccount && ex.p.Tokens == nil:
			v = RefreshOutcome(nil, true, now) // nothing can refresh it: the token is refused
		case v.Account == RefreshAccount:
			s, rerr := ex.p.Tokens.Refresh(ctx, *c, c.Secret)
			if rerr == nil {
				resp.Body.Close()
				c.Secret, ans.Refreshed = s, true
				continue
			}
			if ctx.Err() != nil {
				resp.Body.Close()
				return Verdict{Request: Next}, nil, ctx.Err()
			}
			v = RefreshOutcome(rerr, errors.Is(rerr, ErrNeedsLogin), ex.p.Now())
		case v.Request == Retry:
			resp.Body.Close()
			if !sleepCtx(ctx, v.Pause) {
				return Verdict{Request: Next}, nil, ctx.Err()
			}
			ans.Overloaded = true
			continue
		}
		ex.apply(c, v, resp, quota)
		return v, resp, err
	}
}

// apply marks c as the verdict says. An answer that marks nothing but
// reported the quota, and is not served, is persisted here (Served persists
// the rest).
func (ex *exchange) apply(c *pool.Candidate, v Verdict, resp *http.Response, quota bool) {
	now := ex.p.Now()
	switch v.Account {
	case RateLimitAccount:
		var limit http.Header
		if resp != nil {
			limit = unifiedHeaders(resp.Header)
		}
		ex.p.Pool.RateLimited(c.ID, now, v.Until, limit)
	case NeedsLoginAccount:
		ex.p.Pool.NeedsLogin(c.ID, now)
	case CooldownAccount:
		ex.p.Pool.Cooldown(c.ID, now, v.Until)
	default:
		if quota && v.Request != Serve {
			ex.p.Pool.Persist(c.ID)
		}
	}
}

// sleepCtx waits d, or less if ctx ends first (then it reports false).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// maxErrorPeek bounds how much of an error body is read before deciding.
const maxErrorPeek = 64 << 10

// peekErrorType reads the error.type of a JSON error answer (status 400 or
// more), leaving the body to be read again from its start. Streams and
// other answers are not touched.
func peekErrorType(resp *http.Response) string {
	if resp.StatusCode < 400 || isStream(resp.Header.Get("Content-Type")) ||
		!strings.Contains(resp.Header.Get("Content-Type"), "json") {
		return ""
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorPeek))
	resp.Body = &replayBody{Reader: io.MultiReader(bytes.NewReader(head), resp.Body), Closer: resp.Body}
	if err != nil {
		return ""
	}
	var e struct {
		Error struct {
			Type string `json:"type"`
		} `json:"error"`
	}
	if json.Unmarshal(head, &e) != nil {
		return ""
	}
	return e.Error.Type
}

type replayBody struct {
	io.Reader
	io.Closer
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
	WriteError(ex.w, status, errType, message)
}

// finish completes the request's row and announces it, which writes it
// (the request log is a sink of the bus): never waiting on the database.
func (ex *exchange) finish() {
	ex.row.Duration = ex.p.Now().Sub(ex.start)
	u := ex.usage
	ex.row.Model, ex.row.InputTokens, ex.row.OutputTokens = u.Model, u.InputTokens, u.OutputTokens
	ex.row.CacheReadTokens, ex.row.CacheCreationTokens = u.CacheReadTokens, u.CacheCreationTokens
	ex.p.Bus.Publish(&events.Request{Row: &ex.row})
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
		parts = append(parts, fmt.Sprintf("wait a minute: the token refresh of %s failed and is tried again then", strings.Join(cooling, ", ")))
	}
	if len(noCred) > 0 {
		parts = append(parts, fmt.Sprintf("check the credential store: the credentials of %s could not be read", strings.Join(noCred, ", ")))
	}
	if len(parts) == 0 {
		return "No Claudeflare account can serve this request.", back
	}
	return "No Claudeflare account can serve this request: " + strings.Join(parts, "; ") + ".", back
}
