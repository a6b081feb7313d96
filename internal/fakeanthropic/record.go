package fakeanthropic

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"time"
)

// Seen is one request received by the fake.
type Seen struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	// Credential is the x-api-key, else the Bearer token, the request carried ("" if none).
	Credential string
	Body       []byte
	At         time.Time
	// Status is the status answered; 0 while no answer has been sent, and for good when the
	// request hung until the client left or the connection was reset.
	Status int
}

// Requests returns a copy of every request received, in the order they arrived (only the latest
// Options.MaxRecorded when that is set).
func (s *Server) Requests() []Seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Seen, len(s.seen))
	for i, r := range s.seen {
		out[i] = *r
		out[i].Header = r.Header.Clone()
		out[i].Body = bytes.Clone(r.Body)
	}
	return out
}

// ResetRequests forgets every request received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = nil
}

// record appends the request to the log and returns its entry, whose Status is set later.
func (s *Server) record(r *http.Request, body []byte, at time.Time) *Seen {
	e := &Seen{
		Method:     r.Method,
		Path:       r.URL.Path,
		RawQuery:   r.URL.RawQuery,
		Header:     r.Header.Clone(),
		Credential: credentialOf(r.Header),
		Body:       body,
		At:         at,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, e)
	if keep := s.opts.MaxRecorded; keep > 0 && len(s.seen) > keep {
		s.seen = append([]*Seen(nil), s.seen[len(s.seen)-keep:]...)
	}
	return e
}

// credentialOf returns the x-api-key, else the Bearer token, of a request.
func credentialOf(h http.Header) string {
	if k := h.Get("x-api-key"); k != "" {
		return k
	}
	tok, _ := bearerToken(h)
	return tok
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(h http.Header) (string, bool) {
	auth := h.Get("Authorization")
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// readBody reads at most limit bytes of the body; tooLarge reports a longer body, the rest of
// which is drained (up to a bound) so the client can read the answer.
func readBody(r *http.Request, limit int64) (body []byte, tooLarge bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(body)) > limit {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 8*limit))
		return body[:limit], true, nil
	}
	return body, false, nil
}

// recorder notes the status of the answer in the request's log entry.
type recorder struct {
	http.ResponseWriter
	s     *Server
	seen  *Seen
	wrote bool
	gzip  bool // the client accepts gzip: whole JSON answers are compressed (writeJSON)
}

// acceptsGzip reports whether a request's Accept-Encoding allows gzip, as Anthropic's servers
// read it (Go's transport sends "gzip" by itself when its caller sets no Accept-Encoding).
func acceptsGzip(h http.Header) bool {
	for _, v := range h.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			coding, q, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
				return true
			}
		}
	}
	return false
}

func (rw *recorder) WriteHeader(code int) {
	if !rw.wrote {
		rw.wrote = true
		rw.s.mu.Lock()
		rw.seen.Status = code
		rw.s.mu.Unlock()
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recorder) Write(p []byte) (int, error) {
	if !rw.wrote {
		rw.WriteHeader(http.StatusOK)
	}
	return rw.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach Flush and Hijack.
func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }
