package fakeanthropic

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// StreamText is the text of a stream of n deltas: delta i (from 0) carries "chunk-<i> ".
func StreamText(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(deltaText(i))
	}
	return b.String()
}

func deltaText(i int) string { return fmt.Sprintf("chunk-%d ", i) }

// SSE event payloads, with "type" first as the real API sends them.
type (
	messageStartEvent struct {
		Type    string  `json:"type"`
		Message message `json:"message"`
	}
	blockStartEvent struct {
		Type         string       `json:"type"`
		Index        int          `json:"index"`
		ContentBlock contentBlock `json:"content_block"`
	}
	// blockDeltaEvent carries FakeSentUnixNano, the server's clock (Unix nanoseconds) when the
	// event was written, so load tests can measure how late each event reaches the client.
	blockDeltaEvent struct {
		Type             string       `json:"type"`
		Index            int          `json:"index"`
		Delta            contentDelta `json:"delta"`
		FakeSentUnixNano int64        `json:"fake_sent_unix_nano"`
	}
	contentDelta struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	blockStopEvent struct {
		Type  string `json:"type"`
		Index int    `json:"index"`
	}
	messageDeltaEvent struct {
		Type  string `json:"type"`
		Delta struct {
			StopReason   string  `json:"stop_reason"`
			StopSequence *string `json:"stop_sequence"`
		} `json:"delta"`
		Usage Usage `json:"usage"`
	}
	typeOnly struct {
		Type string `json:"type"`
	}
)

// stream answers a streaming request. Events, in order: message_start (usage with
// output_tokens = StreamStartOutputTokens), ping, content_block_start, StreamChunks ×
// content_block_delta, content_block_stop, message_delta (usage cumulative: the final usage,
// all four fields), message_stop. Each event is flushed; Options.EventDelay is waited before
// every event but the first. A client that goes away ends the stream.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, model string, final Usage, b Behavior) {
	s.streams.Add(1)
	defer s.streams.Add(-1)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	first := true
	send := func(name string, data any) bool {
		if !first && !s.sleep(r.Context(), s.opts.EventDelay) {
			return false
		}
		first = false
		if d, ok := data.(*blockDeltaEvent); ok {
			d.FakeSentUnixNano = time.Now().UnixNano()
		}
		payload, err := json.Marshal(data)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, payload); err != nil {
			return false
		}
		return rc.Flush() == nil
	}

	start := final
	start.OutputTokens = StreamStartOutputTokens
	msg := message{ID: newMessageID(), Type: "message", Role: "assistant", Model: model,
		Content: []contentBlock{}, Usage: start}
	if !send("message_start", messageStartEvent{Type: "message_start", Message: msg}) {
		return
	}
	if b.FailMidStream {
		var e errorBody
		e.Type, e.Error.Type, e.Error.Message = "error", "overloaded_error", "Overloaded"
		e.RequestID = h.Get("request-id")
		send("error", e)
		return
	}
	if !send("ping", typeOnly{"ping"}) ||
		!send("content_block_start", blockStartEvent{Type: "content_block_start",
			ContentBlock: contentBlock{Type: "text"}}) {
		return
	}
	for i := range s.opts.StreamChunks {
		ev := &blockDeltaEvent{Type: "content_block_delta",
			Delta: contentDelta{Type: "text_delta", Text: deltaText(i)}}
		if !send("content_block_delta", ev) {
			return
		}
		if b.CutMidStream {
			abortConnection(w, false)
			return
		}
	}
	md := messageDeltaEvent{Type: "message_delta", Usage: final}
	md.Delta.StopReason = "end_turn"
	_ = send("content_block_stop", blockStopEvent{Type: "content_block_stop"}) &&
		send("message_delta", md) &&
		send("message_stop", typeOnly{"message_stop"})
}
