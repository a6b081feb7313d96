package api

import (
	"encoding/json"
	"net/http"
)

func (s *server) getConfig(w http.ResponseWriter, r *http.Request) {
	c, err := s.API.Config(r.Context())
	respond(w, http.StatusOK, c, err)
}

func (s *server) patchConfig(w http.ResponseWriter, r *http.Request) {
	var patch map[string]json.RawMessage
	if err := decodeBody(r, &patch); err != nil {
		writeBodyError(w, err)
		return
	}
	c, err := s.API.PatchConfig(r.Context(), patch)
	respond(w, http.StatusOK, c, err)
}

func (s *server) getStrategy(w http.ResponseWriter, r *http.Request) {
	c, err := s.API.Config(r.Context())
	respond(w, http.StatusOK, map[string]string{"strategy": c.LBStrategy}, err)
}

func (s *server) putStrategy(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Strategy *string `json:"strategy"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeBodyError(w, err)
		return
	}
	if body.Strategy == nil {
		WriteError(w, http.StatusBadRequest, `strategy: required, e.g. {"strategy":"session"}`)
		return
	}
	raw, _ := json.Marshal(*body.Strategy)
	c, err := s.API.PatchConfig(r.Context(), map[string]json.RawMessage{"lb_strategy": raw})
	respond(w, http.StatusOK, map[string]string{"strategy": c.LBStrategy}, err)
}
