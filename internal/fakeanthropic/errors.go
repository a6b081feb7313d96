package fakeanthropic

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// apiError is an error answer of the Messages API.
type apiError struct {
	Status  int
	Type    string
	Message string
}

// newAPIError builds an apiError whose type follows from the status, as the real API maps them.
func newAPIError(status int, message string) *apiError {
	return &apiError{Status: status, Type: ErrorType(status), Message: message}
}

// ErrorType returns the Anthropic error type for an HTTP status: invalid_request_error (400),
// authentication_error (401), permission_error (403), not_found_error (404),
// request_too_large (413), rate_limit_error (429), overloaded_error (529), api_error (500 and
// any other 5xx), and invalid_request_error for any other status.
func ErrorType(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusNotFound:
		return "not_found_error"
	case status == http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status == StatusOverloaded:
		return "overloaded_error"
	case status >= 500:
		return "api_error"
	default:
		return "invalid_request_error"
	}
}

// StatusOverloaded is the status Anthropic uses when its servers are overloaded.
const StatusOverloaded = 529

// defaultMessage is the message the fake gives a behaviour-forced error without its own message.
func defaultMessage(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "invalid authentication credentials"
	case http.StatusForbidden:
		return "Your account does not have permission to use the specified resource."
	case http.StatusNotFound:
		return "Not found"
	case http.StatusTooManyRequests:
		return "This request would exceed your account's rate limit. Please try again later."
	case StatusOverloaded:
		return "Overloaded"
	case http.StatusInternalServerError:
		return "Internal server error"
	default:
		return http.StatusText(status)
	}
}

// errorBody is the JSON shape of an Anthropic error.
type errorBody struct {
	Type  string `json:"type"`
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
	RequestID string `json:"request_id,omitempty"`
}

// writeAPIError answers with e as plain JSON (never SSE).
func writeAPIError(w http.ResponseWriter, e *apiError) {
	var b errorBody
	b.Type = "error"
	b.Error.Type = e.Type
	b.Error.Message = e.Message
	b.RequestID = w.Header().Get("request-id")
	if (e.Status == http.StatusTooManyRequests || e.Status >= 500) && w.Header().Get("x-should-retry") == "" {
		w.Header().Set("x-should-retry", "true")
	}
	writeJSON(w, e.Status, b)
}

// gzipWriters are reused: a compressor's state is hundreds of KiB.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// writeJSON answers with v encoded as JSON, gzip-compressed when the client accepts it (as
// Anthropic's servers do; streams are never compressed).
func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "fakeanthropic: encoding answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	data = append(data, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if rw, ok := w.(*recorder); ok && rw.gzip {
		var buf bytes.Buffer
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&buf)
		_, _ = zw.Write(data)
		_ = zw.Close()
		gzipWriters.Put(zw)
		data = buf.Bytes()
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}
