package api

import (
	"context"
	"errors"
	"github.com/claudeflare/claudeflare/core/clock"
	"github.com/claudeflare/claudeflare/core/view"
	"net/http"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/oauth"
	"github.com/claudeflare/claudeflare/core/pool"
)

// OAuthLogins is what the login endpoints need; *oauth.Logins is one.
type OAuthLogins interface {
	Start(ctx context.Context, req oauth.Request) (string, *oauth.Login, error)
	Get(id string) (*oauth.Login, error)
	Complete(ctx context.Context, id, pasted string) (account.Account, error)
}

// OAuthRoutes returns a Deps.Extra function that serves SPEC §5's login
// endpoints over logins; d (without Extra) answers with accounts:
//
//	POST /api/oauth/start     {"name","mode"?,"priority"?,"manual"?,"relogin"?,"open_browser"?}
//	                          → 200 {"session_id","authorize_url","manual"}
//	GET  /api/oauth/{id}      → {"state":"pending"|"done"|"failed","error"?,"account"?}
//	POST /api/oauth/complete  {"session_id","code"} (the pasted code#state) → 201 the account
//
// mode defaults to "claude". relogin logs an existing account in again.
// open_browser asks the server to open the authorize URL itself.
func OAuthRoutes(d Deps, logins OAuthLogins) func(*http.ServeMux) {
	if d.Now == nil {
		d.Now = clock.Real
	}
	h := &oauthHandlers{server: &server{d}, logins: logins}
	return func(mux *http.ServeMux) {
		mux.HandleFunc("POST /api/oauth/start", h.start)
		mux.HandleFunc("POST /api/oauth/complete", h.complete)
		mux.HandleFunc("GET /api/oauth/{session_id}", h.status)
	}
}

type oauthHandlers struct {
	*server
	logins OAuthLogins
}

func (h *oauthHandlers) start(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name        *string `json:"name"`
		Mode        string  `json:"mode"`
		Priority    int     `json:"priority"`
		Manual      bool    `json:"manual"`
		Relogin     bool    `json:"relogin"`
		OpenBrowser bool    `json:"open_browser"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeBodyError(w, err)
		return
	}
	if body.Name == nil {
		WriteError(w, http.StatusBadRequest, "name: required")
		return
	}
	id, l, err := h.logins.Start(r.Context(), oauth.Request{
		Name: *body.Name, Mode: body.Mode, Priority: body.Priority, Manual: body.Manual, Relogin: body.Relogin,
	})
	if err != nil {
		writeLoginError(w, err)
		return
	}
	if body.OpenBrowser {
		go func() { _ = l.OpenBrowser() }()
	}
	writeJSON(w, http.StatusOK, map[string]any{"session_id": id, "authorize_url": l.URL, "manual": l.Manual})
}

func (h *oauthHandlers) status(w http.ResponseWriter, r *http.Request) {
	l, err := h.logins.Get(r.PathValue("session_id"))
	if err != nil {
		writeLoginError(w, err)
		return
	}
	state, a, lerr := l.Status()
	out := map[string]any{"state": state, "manual": l.Manual}
	if lerr != nil {
		out["error"] = lerr.Error()
	}
	if state == oauth.StateDone {
		out["account"] = h.accountJSON(r.Context(), a)
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *oauthHandlers) complete(w http.ResponseWriter, r *http.Request) {
	var body struct {
		SessionID *string `json:"session_id"`
		Code      *string `json:"code"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeBodyError(w, err)
		return
	}
	switch {
	case body.SessionID == nil:
		WriteError(w, http.StatusBadRequest, "session_id: required")
		return
	case body.Code == nil:
		WriteError(w, http.StatusBadRequest, "code: required (the code#state shown after logging in)")
		return
	}
	a, err := h.logins.Complete(r.Context(), *body.SessionID, *body.Code)
	if err != nil {
		writeLoginError(w, err)
		return
	}
	h.respondAccount(w, r, http.StatusCreated, a)
}

// accountJSON is a as the pool shows it.
func (h *oauthHandlers) accountJSON(ctx context.Context, a account.Account) view.Account {
	if h.Reload != nil {
		_ = h.Reload(ctx)
	}
	now := h.Now()
	for _, v := range h.Pool.Views(now, h.Config.Get().SessionDuration()) {
		if v.ID == a.ID {
			return view.AccountOf(v, now)
		}
	}
	return view.AccountOf(pool.View{Account: a, Status: a.StatusAt(now, false)}, now)
}

// writeLoginError maps login errors to statuses; account errors as writeAccountError does.
func writeLoginError(w http.ResponseWriter, err error) {
	var te *oauth.TokenError
	switch {
	case errors.Is(err, oauth.ErrUnknownSession):
		WriteError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, oauth.ErrInProgress), errors.Is(err, oauth.ErrFinished),
		errors.Is(err, oauth.ErrTimedOut), errors.Is(err, oauth.ErrCancelled):
		WriteError(w, http.StatusConflict, err.Error())
	case errors.Is(err, oauth.ErrBadCode), errors.Is(err, oauth.ErrStateMismatch), errors.Is(err, oauth.ErrDenied):
		WriteError(w, http.StatusBadRequest, err.Error())
	case errors.As(err, &te) && te.Code == "invalid_grant":
		WriteError(w, http.StatusBadRequest, err.Error())
	case errors.As(err, &te), errors.Is(err, oauth.ErrUpstream):
		WriteError(w, http.StatusBadGateway, err.Error())
	default:
		writeAccountError(w, err)
	}
}
