package fakeanthropic

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestMessageAnswer(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.AddAPIKey("k")
	resp, data := do(t, t.Context(), "POST", s.URL+"/v1/messages?beta=true", apiKeyAuth("k"), msgBody)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, data)
	}
	if resp.Header.Get("request-id") == "" {
		t.Error("no request-id header")
	}
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	want := UsageFor([]byte(msgBody))
	if want != (Usage{len(msgBody) / 4, 7, 5, 12}) {
		t.Fatalf("UsageFor = %+v, not the documented figures", want)
	}
	switch {
	case !strings.HasPrefix(m.ID, "msg_"), m.Type != "message", m.Role != "assistant":
		t.Errorf("id/type/role = %q %q %q", m.ID, m.Type, m.Role)
	case m.Model != "claude-sonnet-4-5-20250929":
		t.Errorf("model = %q, want the request's", m.Model)
	case len(m.Content) != 1 || m.Content[0].Type != "text" || m.Content[0].Text != ReplyText:
		t.Errorf("content = %+v", m.Content)
	case m.StopReason == nil || *m.StopReason != "end_turn":
		t.Errorf("stop_reason = %v", m.StopReason)
	case m.Usage != want:
		t.Errorf("usage = %+v, want %+v", m.Usage, want)
	}
}

func TestMessageValidation(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.AddAPIKey("k")
	tests := []struct {
		name, body, wantMsg string
	}{
		{"not json", `{"model":`, "There was an error parsing"},
		{"array", `[1,2]`, "There was an error parsing"},
		{"null", `null`, "There was an error parsing"},
		{"empty", ``, "There was an error parsing"},
		{"no model", `{"max_tokens":5,"messages":[{}]}`, "model: Field required"},
		{"model not string", `{"model":3,"max_tokens":5,"messages":[{}]}`, "model: Input should be"},
		{"no max_tokens", `{"model":"m","messages":[{}]}`, "max_tokens: Field required"},
		{"zero max_tokens", `{"model":"m","max_tokens":0,"messages":[{}]}`, "max_tokens: Input should be"},
		{"no messages", `{"model":"m","max_tokens":5}`, "messages: Field required"},
		{"messages not list", `{"model":"m","max_tokens":5,"messages":{}}`, "messages: Input should be a valid list"},
		{"empty messages", `{"model":"m","max_tokens":5,"messages":[]}`, "messages: at least one"},
		{"stream not bool", `{"model":"m","max_tokens":5,"messages":[{}],"stream":"yes"}`, "stream:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, data := do(t, t.Context(), "POST", s.URL+"/v1/messages", apiKeyAuth("k"), tt.body)
			typ, msg := apiErr(t, data)
			if resp.StatusCode != 400 || typ != "invalid_request_error" || !strings.HasPrefix(msg, tt.wantMsg) {
				t.Errorf("got %d %s %q, want 400 invalid_request_error %q…", resp.StatusCode, typ, msg, tt.wantMsg)
			}
		})
	}
}

func TestCountTokens(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.AddAPIKey("k")
	body := `{"model":"m","messages":[{"role":"user","content":"a rather longer question"}]}`
	resp, data := do(t, t.Context(), "POST", s.URL+"/v1/messages/count_tokens?beta=true", apiKeyAuth("k"), body)
	var got struct {
		InputTokens int `json:"input_tokens"`
	}
	if err := json.Unmarshal(data, &got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, body %s, err %v", resp.StatusCode, data, err)
	}
	if got.InputTokens != InputTokens([]byte(body)) || got.InputTokens != len(body)/4 {
		t.Errorf("input_tokens = %d, want %d", got.InputTokens, len(body)/4)
	}
	if InputTokens(nil) != 1 {
		t.Errorf("InputTokens(nil) = %d, want at least 1", InputTokens(nil))
	}
}

func TestModels(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.AddAPIKey("k")
	resp, data := do(t, t.Context(), "GET", s.URL+"/v1/models", apiKeyAuth("k"), "")
	var page modelPage
	if err := json.Unmarshal(data, &page); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, body %s, err %v", resp.StatusCode, data, err)
	}
	if len(page.Data) != len(Models) || page.HasMore || page.FirstID != Models[0].ID {
		t.Errorf("page = %+v", page)
	}
	resp, data = do(t, t.Context(), "GET", s.URL+"/v1/models/"+Models[1].ID, apiKeyAuth("k"), "")
	var m Model
	if err := json.Unmarshal(data, &m); err != nil || resp.StatusCode != 200 || m.ID != Models[1].ID {
		t.Errorf("one model: %d %s", resp.StatusCode, data)
	}
	resp, data = do(t, t.Context(), "GET", s.URL+"/v1/models/claude-nope", apiKeyAuth("k"), "")
	if typ, _ := apiErr(t, data); resp.StatusCode != 404 || typ != "not_found_error" {
		t.Errorf("unknown model: %d %s", resp.StatusCode, typ)
	}
}

func TestRoutingErrors(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{MaxBodyBytes: 1024})
	s.AddAPIKey("k")
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantType                 string
	}{
		{"unknown path", "POST", "/v1/nothing", msgBody, 404, "not_found_error"},
		{"wrong method", "GET", "/v1/messages", "", 405, "invalid_request_error"},
		{"too large", "POST", "/v1/messages", `{"model":"` + strings.Repeat("x", 4000) + `"}`, 413, "request_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, data := do(t, t.Context(), tt.method, s.URL+tt.path, apiKeyAuth("k"), tt.body)
			if typ, _ := apiErr(t, data); resp.StatusCode != tt.wantStatus || typ != tt.wantType {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, typ, tt.wantStatus, tt.wantType)
			}
		})
	}
}

func TestRequireAnthropicVersion(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{RequireAnthropicVersion: true})
	s.AddAPIKey("k")
	req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL+"/v1/messages", strings.NewReader(msgBody))
	req.Header.Set("x-api-key", "k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("without anthropic-version: %d, want 400", resp.StatusCode)
	}
	if resp, _ := do(t, t.Context(), "POST", s.URL+"/v1/messages", apiKeyAuth("k"), msgBody); resp.StatusCode != 200 {
		t.Errorf("with anthropic-version: %d, want 200", resp.StatusCode)
	}
}
