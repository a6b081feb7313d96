package api

import (
	"net/http"

	"github.com/claudeflare/claudeflare/core/view"
)

func (s *server) listAccounts(w http.ResponseWriter, r *http.Request) {
	list, err := s.API.Accounts(r.Context())
	respond(w, http.StatusOK, list, err)
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
	a, err := s.API.AddAPIKey(r.Context(), *body.Name, *body.APIKey, prio)
	respond(w, http.StatusCreated, a, err)
}

func (s *server) patchAccount(w http.ResponseWriter, r *http.Request) {
	var body view.AccountPatch
	if err := decodeBody(r, &body); err != nil {
		writeBodyError(w, err)
		return
	}
	a, err := s.API.UpdateAccount(r.Context(), r.PathValue("name"), body)
	respond(w, http.StatusOK, a, err)
}

func (s *server) pauseAccount(w http.ResponseWriter, r *http.Request) {
	a, err := s.API.Pause(r.Context(), r.PathValue("name"))
	respond(w, http.StatusOK, a, err)
}

func (s *server) resumeAccount(w http.ResponseWriter, r *http.Request) {
	a, err := s.API.Resume(r.Context(), r.PathValue("name"))
	respond(w, http.StatusOK, a, err)
}

func (s *server) deleteAccount(w http.ResponseWriter, r *http.Request) {
	if err := s.API.Remove(r.Context(), r.PathValue("name")); err != nil {
		writeRefusal(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
