package fakeanthropic

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Deterministic answers, so tests can assert exact figures.
const (
	// ReplyText is the text of every non-streaming answer.
	ReplyText = "Hello from the fake Anthropic API."
	// OutputTokens is the output_tokens of every answer: of a Message, and the final value in a
	// stream's message_delta.
	OutputTokens = 12
	// StreamStartOutputTokens is the output_tokens in a stream's message_start.
	StreamStartOutputTokens = 1
	// CacheReadInputTokens is the cache_read_input_tokens of every answer.
	CacheReadInputTokens = 5
	// CacheCreationInputTokens is the cache_creation_input_tokens of every answer.
	CacheCreationInputTokens = 7
)

// Usage is the usage object of an answer.
type Usage struct {
	InputTokens              int `json:"input_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
	OutputTokens             int `json:"output_tokens"`
}

// InputTokens is the input_tokens the fake reports for a request body (of /v1/messages or
// count_tokens): len(body)/4, at least 1.
func InputTokens(body []byte) int { return max(1, len(body)/4) }

// UsageFor is the final usage the fake reports for a /v1/messages request body, streaming or
// not: InputTokens(body), CacheCreationInputTokens, CacheReadInputTokens, OutputTokens.
func UsageFor(body []byte) Usage {
	return Usage{
		InputTokens:              InputTokens(body),
		CacheCreationInputTokens: CacheCreationInputTokens,
		CacheReadInputTokens:     CacheReadInputTokens,
		OutputTokens:             OutputTokens,
	}
}

// messagesRequest is what the fake reads of a /v1/messages body.
type messagesRequest struct {
	Model  string
	Stream bool
}

// parseMessagesRequest checks a body as the real API does: a JSON object with model, messages
// and (for /v1/messages) max_tokens.
func parseMessagesRequest(body []byte, needMaxTokens bool) (messagesRequest, *apiError) {
	var req messagesRequest
	bad := func(msg string) (messagesRequest, *apiError) {
		return req, newAPIError(http.StatusBadRequest, msg)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return bad("There was an error parsing the body of your request: expected a JSON object")
	}
	m, ok := raw["model"]
	if !ok {
		return bad("model: Field required")
	}
	if json.Unmarshal(m, &req.Model) != nil || req.Model == "" {
		return bad("model: Input should be a valid string")
	}
	if needMaxTokens {
		mt, ok := raw["max_tokens"]
		if !ok {
			return bad("max_tokens: Field required")
		}
		var n int
		if json.Unmarshal(mt, &n) != nil || n < 1 {
			return bad("max_tokens: Input should be a valid integer greater than or equal to 1")
		}
	}
	msgs, ok := raw["messages"]
	if !ok {
		return bad("messages: Field required")
	}
	var list []json.RawMessage
	if json.Unmarshal(msgs, &list) != nil || list == nil {
		return bad("messages: Input should be a valid list")
	}
	if len(list) == 0 {
		return bad("messages: at least one message is required")
	}
	if st, ok := raw["stream"]; ok && json.Unmarshal(st, &req.Stream) != nil {
		return bad("stream: Input should be a valid boolean")
	}
	return req, nil
}

// message is a Messages API answer.
type message struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Role         string         `json:"role"`
	Model        string         `json:"model"`
	Content      []contentBlock `json:"content"`
	StopReason   *string        `json:"stop_reason"`
	StopSequence *string        `json:"stop_sequence"`
	Usage        Usage          `json:"usage"`
}

type contentBlock struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// admit authenticates an API request and applies its behaviour. It reports false if the
// request has been answered; otherwise the rate-limit headers of a normal answer are set.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (credential, Behavior, bool) {
	cred, err := s.authenticate(r)
	if err != nil {
		writeAPIError(w, err)
		return credential{}, Behavior{}, false
	}
	if s.opts.RequireAnthropicVersion && r.Header.Get("anthropic-version") == "" {
		writeAPIError(w, newAPIError(http.StatusBadRequest, "anthropic-version: header is required"))
		return credential{}, Behavior{}, false
	}
	b := s.takeBehavior(cred.value)
	if s.applyBehavior(w, r, cred, b) || s.refuseSpent(w, cred) {
		return credential{}, Behavior{}, false
	}
	s.chargeQuota(cred.value)
	s.setRateLimitHeaders(w.Header(), cred, b, http.StatusOK)
	return cred, b, true
}

func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request, body []byte) {
	_, b, ok := s.admit(w, r)
	if !ok {
		return
	}
	req, err := parseMessagesRequest(body, true)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	if req.Stream {
		s.stream(w, r, req.Model, UsageFor(body), b)
		return
	}
	endTurn := "end_turn"
	writeJSON(w, http.StatusOK, message{
		ID:         newMessageID(),
		Type:       "message",
		Role:       "assistant",
		Model:      req.Model,
		Content:    []contentBlock{{Type: "text", Text: ReplyText}},
		StopReason: &endTurn,
		Usage:      UsageFor(body),
	})
}

func (s *Server) handleCountTokens(w http.ResponseWriter, r *http.Request, body []byte) {
	if _, _, ok := s.admit(w, r); !ok {
		return
	}
	if _, err := parseMessagesRequest(body, false); err != nil {
		writeAPIError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"input_tokens": InputTokens(body)})
}

// Model is an entry of the fake's model list.
type Model struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	CreatedAt   string `json:"created_at"`
}

// Models is what GET /v1/models lists, in order.
var Models = []Model{
	{"model", "claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05T00:00:00Z"},
	{"model", "claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z"},
	{"model", "claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-01T00:00:00Z"},
}

// modelPage is the answer of GET /v1/models.
type modelPage struct {
	Data    []Model `json:"data"`
	HasMore bool    `json:"has_more"`
	FirstID string  `json:"first_id"`
	LastID  string  `json:"last_id"`
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request, _ []byte) {
	if _, _, ok := s.admit(w, r); !ok {
		return
	}
	if id, one := strings.CutPrefix(r.URL.Path, "/v1/models/"); one {
		for _, m := range Models {
			if m.ID == id {
				writeJSON(w, http.StatusOK, m)
				return
			}
		}
		writeAPIError(w, newAPIError(http.StatusNotFound, "model: "+id))
		return
	}
	writeJSON(w, http.StatusOK, modelPage{
		Data: Models, FirstID: Models[0].ID, LastID: Models[len(Models)-1].ID,
	})
}
