package api

import (
	"net/http"

	"github.com/claudeflare/claudeflare/core/view"
)

// The login endpoints (browser logins; the API calls a login's id its
// session_id):
//
//	POST   /api/oauth/start     {"name","mode"?,"priority"?,"manual"?,"relogin"?,"open_browser"?}
//	                            → 200 {"session_id","authorize_url","manual","name","mode","fallback"?}
//	GET    /api/oauth/{id}      → {"state":"pending"|"done"|"failed","manual","error"?,"account"?}
//	POST   /api/oauth/complete  {"session_id","code"} (the pasted code#state) → 201 the account
//	DELETE /api/oauth/{id}      → 204: the login is cancelled
//
// mode defaults to "claude". relogin logs an existing account in again.
// open_browser asks the server to open the authorize URL itself.

func (s *server) startLogin(w http.ResponseWriter, r *http.Request) {
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
	start, err := s.API.StartLogin(r.Context(), view.LoginRequest{Name: *body.Name, Mode: body.Mode, Priority: body.Priority,
		Manual: body.Manual, Relogin: body.Relogin, OpenBrowser: body.OpenBrowser})
	respond(w, http.StatusOK, start, err)
}

func (s *server) loginStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.API.LoginStatus(r.Context(), r.PathValue("session_id"))
	respond(w, http.StatusOK, st, err)
}

func (s *server) cancelLogin(w http.ResponseWriter, r *http.Request) {
	if err := s.API.CancelLogin(r.Context(), r.PathValue("session_id")); err != nil {
		writeRefusal(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) completeLogin(w http.ResponseWriter, r *http.Request) {
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
	a, err := s.API.CompleteLogin(r.Context(), *body.SessionID, *body.Code)
	respond(w, http.StatusCreated, a, err)
}
