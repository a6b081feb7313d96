package api

import (
	"errors"
	"github.com/claudeflare/claudeflare/core/view"
	"net/http"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/accounts"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/pool"
	"github.com/claudeflare/claudeflare/core/store"
)

func (s *server) listAccounts(w http.ResponseWriter, r *http.Request) {
	now := s.Now()
	views := s.Pool.Views(now, s.Config.Get().SessionDuration())
	out := make([]view.Account, len(views))
	for i, v := range views {
		out[i] = view.AccountOf(v, now)
	}
	writeJSON(w, http.StatusOK, out)
}

// respondAccount reloads the pool (so the change applies to the next
// request) and answers with the account as the pool now sees it.
func (s *server) respondAccount(w http.ResponseWriter, r *http.Request, status int, a account.Account) {
	_ = s.Reload(r.Context())
	now := s.Now()
	for _, v := range s.Pool.Views(now, s.Config.Get().SessionDuration()) {
		if v.ID == a.ID {
			writeJSON(w, status, view.AccountOf(v, now))
			return
		}
	}
	writeJSON(w, status, view.AccountOf(pool.View{Account: a, Status: a.StatusAt(now, false)}, now))
}

func (s *server) addAccount(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name     *string `json:"name"`
		APIKey   *string `json:"api_key"`
		Priority *int    `json:"priority"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeBodyError(w, err)
		return
	}
	switch {
	case body.Name == nil:
		WriteError(w, http.StatusBadRequest, "name: required")
		return
	case body.APIKey == nil:
		WriteError(w, http.StatusBadRequest, "api_key: required (to add a Claude Pro/Max account, log in with POST /api/oauth/start or `claudeflare accounts add NAME`)")
		return
	}
	prio := 0
	if body.Priority != nil {
		prio = *body.Priority
	}
	a, err := s.Accounts.AddAPIKey(r.Context(), *body.Name, *body.APIKey, prio)
	if err != nil {
		writeAccountError(w, err)
		return
	}
	s.respondAccount(w, r, http.StatusCreated, a)
}

func (s *server) patchAccount(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name     *string `json:"name"`
		Priority *int    `json:"priority"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeBodyError(w, err)
		return
	}
	if body.Name == nil && body.Priority == nil {
		WriteError(w, http.StatusBadRequest, "nothing to change: send name and/or priority")
		return
	}
	a, err := s.Accounts.Update(r.Context(), r.PathValue("name"), body.Name, body.Priority)
	if err != nil {
		writeAccountError(w, err)
		return
	}
	s.respondAccount(w, r, http.StatusOK, a)
}

func (s *server) pauseAccount(w http.ResponseWriter, r *http.Request)  { s.setPaused(w, r, true) }
func (s *server) resumeAccount(w http.ResponseWriter, r *http.Request) { s.setPaused(w, r, false) }

func (s *server) setPaused(w http.ResponseWriter, r *http.Request, paused bool) {
	a, err := s.Accounts.SetPaused(r.Context(), r.PathValue("name"), paused)
	if err != nil {
		writeAccountError(w, err)
		return
	}
	s.respondAccount(w, r, http.StatusOK, a)
}

func (s *server) deleteAccount(w http.ResponseWriter, r *http.Request) {
	if err := s.Accounts.Remove(r.Context(), r.PathValue("name")); err != nil {
		writeAccountError(w, err)
		return
	}
	_ = s.Reload(r.Context())
	w.WriteHeader(http.StatusNoContent)
}

// writeAccountError maps service errors to statuses.
func writeAccountError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, accounts.ErrInvalid):
		WriteError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, store.ErrNotFound):
		WriteError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, store.ErrNameTaken):
		WriteError(w, http.StatusConflict, err.Error())
	case errors.Is(err, creds.ErrUnavailable):
		WriteError(w, http.StatusServiceUnavailable, err.Error())
	default:
		WriteError(w, http.StatusInternalServerError, err.Error())
	}
}
