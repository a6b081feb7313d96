package fakeanthropic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/testkit"
)

// streamEventNames is the event order of a stream with n deltas.
func streamEventNames(n int) []string {
	names := []string{"message_start", "ping", "content_block_start"}
	for range n {
		names = append(names, "content_block_delta")
	}
	return append(names, "content_block_stop", "message_delta", "message_stop")
}

func TestStreamFraming(t *testing.T) {
	t.Parallel()
	for _, chunks := range []int{0, 1, 5} {
		t.Run(fmt.Sprintf("chunks=%d", chunks), func(t *testing.T) {
			t.Parallel()
			s := newTestServer(t, Options{StreamChunks: chunks})
			access, _ := s.IssueTokens()
			n := chunks
			if n == 0 {
				n = DefaultStreamChunks
			}
			resp, err := send(t.Context(), "POST", s.URL+"/v1/messages?beta=true", oauthAuth(access), streamBody)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/event-stream") {
				t.Fatalf("status %d, Content-Type %q", resp.StatusCode, ct)
			}
			events, err := readSSE(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range events {
				names = append(names, e.name)
			}
			if want := streamEventNames(n); strings.Join(names, ",") != strings.Join(want, ",") {
				t.Fatalf("events = %v, want %v", names, want)
			}
			checkStreamPayloads(t, events, UsageFor([]byte(streamBody)), n)
		})
	}
}

// checkStreamPayloads checks the type field of each event, the usage and the text.
func checkStreamPayloads(t *testing.T, events []sseEvent, final Usage, n int) {
	t.Helper()
	var text strings.Builder
	for _, e := range events {
		var p struct {
			Type    string `json:"type"`
			Message struct {
				Model string `json:"model"`
				Usage Usage  `json:"usage"`
			} `json:"message"`
			Delta struct {
				Type, Text string
			} `json:"delta"`
			Usage    Usage `json:"usage"`
			SentNano int64 `json:"fake_sent_unix_nano"`
		}
		if err := json.Unmarshal(e.data, &p); err != nil {
			t.Fatalf("event %s: bad JSON %s", e.name, e.data)
		}
		if p.Type != e.name {
			t.Errorf("event %s has type %q", e.name, p.Type)
		}
		switch e.name {
		case "message_start":
			start := final
			start.OutputTokens = StreamStartOutputTokens
			if p.Message.Model != "claude-sonnet-4-5-20250929" || p.Message.Usage != start {
				t.Errorf("message_start model %q usage %+v, want usage %+v", p.Message.Model, p.Message.Usage, start)
			}
		case "content_block_delta":
			text.WriteString(p.Delta.Text)
			if p.Delta.Type != "text_delta" || p.SentNano == 0 {
				t.Errorf("delta %s", e.data)
			}
		case "message_delta":
			if p.Usage != final || p.Usage.OutputTokens != OutputTokens {
				t.Errorf("message_delta usage %+v, want %+v", p.Usage, final)
			}
		}
	}
	if text.String() != StreamText(n) {
		t.Errorf("text = %q, want %q", text.String(), StreamText(n))
	}
}

func TestStreamEventDelay(t *testing.T) {
	t.Parallel()
	const delay = 20 * time.Millisecond
	s := newTestServer(t, Options{EventDelay: delay, StreamChunks: 3})
	s.AddAPIKey("k")
	start := time.Now()
	resp, data := do(t, t.Context(), "POST", s.URL+"/v1/messages", apiKeyAuth("k"), streamBody)
	events, _ := readSSE(strings.NewReader(string(data)))
	if resp.StatusCode != 200 || len(events) != len(streamEventNames(3)) {
		t.Fatalf("status %d, %d events", resp.StatusCode, len(events))
	}
	if least := time.Duration(len(events)-1) * delay; time.Since(start) < least {
		t.Errorf("stream took %v, want at least %v", time.Since(start), least)
	}
	var sent []int64
	for _, e := range events {
		if e.name == "content_block_delta" {
			var p blockDeltaEvent
			_ = json.Unmarshal(e.data, &p)
			sent = append(sent, p.FakeSentUnixNano)
		}
	}
	for i := 1; i < len(sent); i++ {
		if gap := time.Duration(sent[i] - sent[i-1]); gap < delay {
			t.Errorf("deltas %d and %d sent %v apart, want at least %v", i-1, i, gap, delay)
		}
	}
}

func TestStreamStopsWhenClientLeaves(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{EventDelay: 10 * time.Millisecond, StreamChunks: 10000})
	s.AddAPIKey("k")
	ctx, cancel := context.WithCancel(t.Context())
	resp, err := send(ctx, "POST", s.URL+"/v1/messages", apiKeyAuth("k"), streamBody)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if _, err := resp.Body.Read(buf); err != nil {
		t.Fatal(err)
	}
	if s.streams.Load() != 1 {
		t.Fatalf("%d streams running, want 1", s.streams.Load())
	}
	cancel()
	resp.Body.Close()
	testkit.WaitFor(t, "the stream to stop", func() bool { return s.streams.Load() == 0 })
}

func TestFailMidStream(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.AddAPIKey("k")
	s.SetBehavior("k", Behavior{FailMidStream: true})
	resp, data := do(t, t.Context(), "POST", s.URL+"/v1/messages", apiKeyAuth("k"), streamBody)
	events, _ := readSSE(strings.NewReader(string(data)))
	if resp.StatusCode != 200 || len(events) != 2 || events[0].name != "message_start" || events[1].name != "error" {
		t.Fatalf("status %d, events %v", resp.StatusCode, events)
	}
	if typ, _ := apiErr(t, events[1].data); typ != "overloaded_error" {
		t.Errorf("error event type %q, want overloaded_error", typ)
	}
	// A non-streaming request is answered normally.
	if resp, _ := do(t, t.Context(), "POST", s.URL+"/v1/messages", apiKeyAuth("k"), msgBody); resp.StatusCode != 200 {
		t.Errorf("non-streaming status %d, want 200", resp.StatusCode)
	}
}

func TestCutMidStream(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{StreamChunks: 5})
	s.AddAPIKey("k")
	s.SetBehavior("k", Behavior{CutMidStream: true})
	resp, err := send(t.Context(), "POST", s.URL+"/v1/messages", apiKeyAuth("k"), streamBody)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events, err := readSSE(resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read error = %v, want unexpected EOF", err)
	}
	var names []string
	for _, e := range events {
		names = append(names, e.name)
	}
	if got := strings.Join(names, ","); got != "message_start,ping,content_block_start,content_block_delta" {
		t.Errorf("events before the cut = %s", got)
	}
}
