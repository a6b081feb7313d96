package proxy

import (
	"strings"
	"testing"
)

const realisticStream = "event: message_start\r\n" +
	`data: {"type":"message_start","message":{"id":"msg_1","model":"claude-opus-4-1","usage":{"input_tokens":1200,"cache_creation_input_tokens":300,"cache_read_input_tokens":4000,"output_tokens":2}}}` + "\r\n\r\n" +
	"event: ping\ndata: {\"type\":\"ping\"}\n\n" +
	"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"event: message_delta\\ndata: {\\\"usage\\\":{\\\"output_tokens\\\":999}}\"}}\n\n" +
	"event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":40}}\n\n" +
	"event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":75}}\n\n" +
	"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"

func TestSSEUsageAtEveryChunking(t *testing.T) {
	t.Parallel()
	want := Usage{Model: "claude-opus-4-1", InputTokens: 1200, CacheCreationTokens: 300, CacheReadTokens: 4000, OutputTokens: 75}
	for size := 1; size <= len(realisticStream); size += 7 {
		var s sseUsage
		for i := 0; i < len(realisticStream); i += size {
			s.Write([]byte(realisticStream[i:min(i+size, len(realisticStream))]))
		}
		if s.Usage != want {
			t.Fatalf("chunks of %d: %+v, want %+v (message_delta is cumulative; text inside a delta is not an event)", size, s.Usage, want)
		}
	}
}

func TestSSEUsageErrorEvent(t *testing.T) {
	t.Parallel()
	var s sseUsage
	s.Write([]byte("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"))
	if s.Error != "overloaded_error" {
		t.Fatalf("Error = %q", s.Error)
	}
}

func TestSSEUsageSurvivesHugeLinesAndGarbage(t *testing.T) {
	t.Parallel()
	var s sseUsage
	s.Write([]byte("event: content_block_delta\ndata: " + strings.Repeat("x", maxLine+10) + "\n\n"))
	s.Write([]byte("event: message_start\ndata: {not json\n\n"))
	s.Write([]byte("event: message_delta\ndata: {\"usage\":{\"output_tokens\":5}}\n\n"))
	if s.OutputTokens != 5 || len(s.line) != 0 {
		t.Fatalf("usage %+v, buffered %d", s.Usage, len(s.line))
	}
}

// TestSSEUsageBoundsAnEventOfManyLines: a 30 MB event of many data lines,
// each under the line bound, is not gathered (nor decoded) whole: the
// reader holds at most maxLine of one event, and the next event is read.
func TestSSEUsageBoundsAnEventOfManyLines(t *testing.T) {
	t.Parallel()
	var s sseUsage
	line := "data: " + strings.Repeat("x", 64<<10) + "\n"
	s.Write([]byte("event: message_start\n"))
	most := 0
	for range 30 << 20 / len(line) {
		s.Write([]byte(line))
		most = max(most, cap(s.data), cap(s.line))
	}
	s.Write([]byte("\nevent: message_delta\ndata: {\"usage\":{\"output_tokens\":7}}\n\n"))
	if most > 2*maxLine {
		t.Errorf("the usage reader grew to %d bytes for one event, want at most about %d", most, maxLine)
	}
	if s.OutputTokens != 7 {
		t.Errorf("usage after the huge event: %+v", s.Usage)
	}
}

func TestJSONUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want Usage
	}{
		{"message", `{"model":"m","usage":{"input_tokens":3,"output_tokens":4,"cache_read_input_tokens":5,"cache_creation_input_tokens":6}}`,
			Usage{Model: "m", InputTokens: 3, OutputTokens: 4, CacheReadTokens: 5, CacheCreationTokens: 6}},
		{"error", `{"type":"error","error":{"type":"invalid_request_error","message":"x"}}`, Usage{Error: "invalid_request_error"}},
		{"not json", `<html>`, Usage{}},
		{"count_tokens", `{"input_tokens":9}`, Usage{}},
	}
	for _, tt := range tests {
		if got := jsonUsage([]byte(tt.body)); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func FuzzSSEUsage(f *testing.F) {
	f.Add([]byte(realisticStream), 3)
	f.Add([]byte("event: message_delta\ndata: {\"usage\":{\"output_tokens\":1}}\n\n"), 1)
	f.Fuzz(func(t *testing.T, stream []byte, chunk int) {
		chunk = int(uint(chunk)%64) + 1 // small chunks; never an overflowing step
		orig := string(stream)
		var s sseUsage
		for i := 0; i < len(stream); i += chunk {
			s.Write(stream[i:min(i+chunk, len(stream))])
		}
		if string(stream) != orig {
			t.Fatal("the usage reader changed the bytes it was given")
		}
	})
}
