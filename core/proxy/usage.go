package proxy

import (
	"bytes"
	"encoding/json"
)

// Usage is what one response cost, as Anthropic reports it.
type Usage struct {
	Model               string
	InputTokens         int64
	OutputTokens        int64
	CacheReadTokens     int64
	CacheCreationTokens int64
	// Error is the type of an error event or error body, e.g. "overloaded_error".
	Error string
}

type usageJSON struct {
	InputTokens         *int64 `json:"input_tokens"`
	OutputTokens        *int64 `json:"output_tokens"`
	CacheReadTokens     *int64 `json:"cache_read_input_tokens"`
	CacheCreationTokens *int64 `json:"cache_creation_input_tokens"`
}

// merge overwrites the fields present in u: message_delta usage is
// cumulative, so the last value seen is the total.
func (dst *Usage) merge(u *usageJSON) {
	if u == nil {
		return
	}
	set := func(d *int64, s *int64) {
		if s != nil {
			*d = *s
		}
	}
	set(&dst.InputTokens, u.InputTokens)
	set(&dst.OutputTokens, u.OutputTokens)
	set(&dst.CacheReadTokens, u.CacheReadTokens)
	set(&dst.CacheCreationTokens, u.CacheCreationTokens)
}

// maxLine bounds one buffered SSE line; longer lines (big content deltas)
// are skipped, since usage never travels in them.
const maxLine = 1 << 20

// sseUsage reads usage from a server-sent event stream as its bytes pass
// by. It only looks: the bytes the proxy forwards are never touched. Only
// message_start, message_delta and error events are decoded; content
// deltas are skipped without parsing.
type sseUsage struct {
	Usage
	line     []byte
	skipping bool // inside an over-long line
	event    []byte
	data     []byte
	tooBig   bool // the event's data lines add up to more than maxLine: it passes unread
}

// Write feeds the next chunk of the stream.
func (s *sseUsage) Write(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.buffer(p)
			return
		}
		s.buffer(p[:i])
		if !s.skipping {
			s.handleLine(bytes.TrimSuffix(s.line, []byte("\r")))
		}
		s.line, s.skipping = s.line[:0], false
		p = p[i+1:]
	}
}

func (s *sseUsage) buffer(p []byte) {
	if s.skipping {
		return
	}
	if len(s.line)+len(p) > maxLine {
		s.skipping, s.line = true, s.line[:0]
		return
	}
	s.line = append(s.line, p...)
}

func (s *sseUsage) handleLine(line []byte) {
	switch {
	case len(line) == 0:
		s.dispatch()
	case bytes.HasPrefix(line, []byte("event:")):
		s.event = append(s.event[:0], bytes.TrimSpace(line[len("event:"):])...)
	case bytes.HasPrefix(line, []byte("data:")):
		if s.wanted() && !s.tooBig {
			d := bytes.TrimPrefix(line[len("data:"):], []byte(" "))
			if len(s.data)+len(d) > maxLine {
				// One event of many lines is bounded like one long line:
				// the reader never holds (or decodes) more than maxLine.
				s.tooBig, s.data = true, s.data[:0]
				return
			}
			s.data = append(s.data, d...)
		}
	}
}

func (s *sseUsage) wanted() bool {
	switch string(s.event) {
	case "message_start", "message_delta", "error":
		return true
	}
	return false
}

func (s *sseUsage) dispatch() {
	defer func() { s.event, s.data, s.tooBig = s.event[:0], s.data[:0], false }()
	if len(s.data) == 0 {
		return
	}
	switch string(s.event) {
	case "message_start":
		var ev struct {
			Message struct {
				Model string     `json:"model"`
				Usage *usageJSON `json:"usage"`
			} `json:"message"`
		}
		if json.Unmarshal(s.data, &ev) == nil {
			if ev.Message.Model != "" {
				s.Model = ev.Message.Model
			}
			s.merge(ev.Message.Usage)
		}
	case "message_delta":
		var ev struct {
			Usage *usageJSON `json:"usage"`
		}
		if json.Unmarshal(s.data, &ev) == nil {
			s.merge(ev.Usage)
		}
	case "error":
		s.Error = errorType(s.data)
		if s.Error == "" {
			s.Error = "stream error"
		}
	}
}

// jsonUsage reads usage, model and error type from a complete JSON body,
// decoding it once.
func jsonUsage(body []byte) Usage {
	var doc struct {
		Type  string     `json:"type"`
		Model string     `json:"model"`
		Usage *usageJSON `json:"usage"`
		Error *struct {
			Type string `json:"type"`
		} `json:"error"`
	}
	var u Usage
	if json.Unmarshal(body, &doc) != nil {
		return u
	}
	u.Model = doc.Model
	u.merge(doc.Usage)
	if doc.Type == "error" && doc.Error != nil {
		u.Error = doc.Error.Type
	}
	return u
}

// errorType reads error.type from an Anthropic error document.
func errorType(body []byte) string {
	var e struct {
		Type  string `json:"type"`
		Error *struct {
			Type string `json:"type"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Type != "error" || e.Error == nil {
		return ""
	}
	return e.Error.Type
}
