package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/claudeflare/claudeflare/core/config"
)

func configJSON(c config.Config, src config.Sources) map[string]any {
	out := map[string]any{}
	b, _ := json.Marshal(c)
	_ = json.Unmarshal(b, &out)
	out["sources"] = src
	return out
}

func (s *server) getConfig(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, configJSON(s.Config.Get(), s.Config.Sources()))
}

func (s *server) patchConfig(w http.ResponseWriter, r *http.Request) {
	var patch map[string]json.RawMessage
	if err := decodeBody(r, &patch); err != nil {
		writeBodyError(w, err)
		return
	}
	if len(patch) == 0 {
		WriteError(w, http.StatusBadRequest, "the patch is empty: send at least one configuration key")
		return
	}
	s.applyPatch(w, patch, func(c config.Config) any { return configJSON(c, s.Config.Sources()) })
}

func (s *server) applyPatch(w http.ResponseWriter, patch map[string]json.RawMessage, answer func(config.Config) any) {
	c, err := s.Config.Patch(patch)
	var envErr *config.EnvOverrideError
	var cfgErr *config.Error
	var refused *config.RefusedError
	switch {
	case errors.As(err, &envErr):
		WriteError(w, http.StatusConflict, err.Error())
	case errors.As(err, &refused):
		WriteError(w, http.StatusConflict, "not applied, nothing changed: "+err.Error())
	case errors.As(err, &cfgErr):
		WriteError(w, http.StatusBadRequest, err.Error())
	case err != nil:
		WriteError(w, http.StatusInternalServerError, "saving config: "+err.Error())
	default:
		writeJSON(w, http.StatusOK, answer(c))
	}
}

func (s *server) getStrategy(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"strategy": s.Config.Get().LBStrategy})
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
	s.applyPatch(w, map[string]json.RawMessage{"lb_strategy": raw}, func(c config.Config) any {
		return map[string]string{"strategy": c.LBStrategy}
	})
}
