package proxy

import (
	"errors"
	"fmt"
	"github.com/claudeflare/claudeflare/core/clock"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Request bodies are read whole before the first attempt, so that a
// failover can send them again (docs/DESIGN.md, "The listener"). These are
// the bounds on doing so.
const (
	// MaxBodyBytes is the largest request body accepted.
	MaxBodyBytes = 32 << 20
	// MaxBodiesInFlight bounds the bodies held at once, over all requests:
	// beyond it a request is refused with 503 overloaded_error and
	// retry-after, rather than the process growing without bound.
	MaxBodiesInFlight = 256 << 20
	// BodyIdleTimeout ends a request whose body stops arriving (408).
	BodyIdleTimeout = 60 * time.Second
	// bodyChunk is how much of a body of unknown length is reserved at a time.
	bodyChunk = 256 << 10
)

// wallClock sets socket deadlines: they are real time whatever the
// engine's clock says (a test may run it ahead).
var wallClock = clock.Real

// bodyBudget counts the body bytes held by requests in flight.
type bodyBudget struct {
	limit int64
	used  atomic.Int64
}

func (b *bodyBudget) take(n int64) bool {
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

func (b *bodyBudget) give(n int64) { b.used.Add(-n) }

// uploads are the requests whose bodies are still arriving: at shutdown
// they are cut at once (Proxy.CutUploads), while answers in flight finish.
type uploads struct {
	mu      sync.Mutex
	cutting bool
	m       map[*http.ResponseController]struct{}
}

// add registers rc; it reports false once shutdown has begun.
func (u *uploads) add(rc *http.ResponseController) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.cutting {
		return false
	}
	if u.m == nil {
		u.m = make(map[*http.ResponseController]struct{})
	}
	u.m[rc] = struct{}{}
	return true
}

func (u *uploads) remove(rc *http.ResponseController) {
	u.mu.Lock()
	delete(u.m, rc)
	u.mu.Unlock()
}

// CutUploads ends every request whose body is still arriving, now and from
// now on: their reads fail at once and their rows are written as 499.
// Answers in flight are not touched. The core calls it when it shuts down.
func (p *Proxy) CutUploads() {
	p.uploads.mu.Lock()
	defer p.uploads.mu.Unlock()
	p.uploads.cutting = true
	for rc := range p.uploads.m {
		_ = rc.SetReadDeadline(wallClock().Add(-time.Second))
	}
}

// bodyError is why a request body could not be read, as the client is told.
type bodyError struct {
	status  int
	errType string
	message string
	retry   int // seconds for retry-after, 0 for none
}

var errCut = errors.New("upload cut: Claudeflare is shutting down")

// readBody reads the request body whole, within the bounds above: at most
// MaxBodyBytes, at most BodyIdleTimeout between two reads, and only while
// the bodies of all requests together fit in MaxBodiesInFlight. It returns
// the body and the bytes of the budget it holds (given back when the
// request ends), or what to answer instead; cut is set when the client
// went away or the proxy is shutting down (nothing is answered then). A
// malformed body (bad chunked framing, shorter than its Content-Length) is
// a 400: nothing is sent upstream.
func (p *Proxy) readBody(w http.ResponseWriter, r *http.Request) (body []byte, held int64, refuse *bodyError, cut error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, 0, tooLarge(), nil
	}
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil, 0, nil, nil
	}
	rc := http.NewResponseController(w)
	if !p.uploads.add(rc) {
		return nil, 0, nil, errCut
	}
	defer func() {
		p.uploads.remove(rc)
		if refuse == nil && cut == nil {
			// The answer may take long: no deadline on it. A request that
			// failed keeps its deadline, so that net/http, discarding the
			// rest of the body, does not wait for it either.
			_ = rc.SetReadDeadline(time.Time{})
		}
	}()
	in := idleReader{r: r.Body, rc: rc, idle: p.bodyIdle(), uploads: &p.uploads}
	var err error
	if n := r.ContentLength; n > 0 {
		if !p.budget.take(n) {
			return nil, 0, overloaded(), nil
		}
		held = n
		body = make([]byte, n)
		_, err = io.ReadFull(in, body)
	} else {
		body, held, err = p.readChunked(in)
		if errors.Is(err, errOverBudget) {
			return nil, held, overloaded(), nil
		}
	}
	switch {
	case err == nil:
		if int64(len(body)) > MaxBodyBytes {
			return nil, held, tooLarge(), nil
		}
		return body, held, nil, nil
	case p.uploads.isCutting():
		return nil, held, nil, errCut
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, held, &bodyError{http.StatusRequestTimeout, "invalid_request_error",
			fmt.Sprintf("The request body stopped arriving for %s.", p.bodyIdle()), 0}, nil
	case errors.Is(err, io.ErrUnexpectedEOF):
		// Also what a client that hangs up mid-body looks like: told all
		// the same, in case it still listens.
		return nil, held, malformed("it ended before its Content-Length"), nil
	case r.Context().Err() != nil:
		return nil, held, nil, err // the client went away
	}
	return nil, held, malformed(err.Error()), nil
}

var errOverBudget = errors.New("over the bodies' budget")

// readChunked reads a body of unknown length, reserving budget as it grows,
// up to one byte past MaxBodyBytes (which the caller refuses).
func (p *Proxy) readChunked(in io.Reader) (body []byte, held int64, err error) {
	for {
		if len(body) == cap(body) {
			if int64(len(body)) > MaxBodyBytes {
				return body, held, nil
			}
			grow := int64(max(cap(body), bodyChunk))
			if !p.budget.take(grow) {
				return nil, held, errOverBudget
			}
			held += grow
			body = append(body[:cap(body)], make([]byte, grow)...)[:len(body)]
		}
		limit := min(int64(cap(body)), MaxBodyBytes+1)
		n, rerr := in.Read(body[len(body):limit])
		body = body[:len(body)+n]
		if rerr == io.EOF {
			return body, held, nil
		}
		if rerr != nil {
			return nil, held, rerr
		}
		if int64(len(body)) > MaxBodyBytes {
			return body, held, nil
		}
	}
}

// idleReader gives every read of a body BodyIdleTimeout to arrive. The
// deadline is set under the uploads' lock, so that a cut (which sets every
// upload's deadline in the past under the same lock) is never undone by a
// read starting at that moment.
type idleReader struct {
	r       io.Reader
	rc      *http.ResponseController
	idle    time.Duration
	uploads *uploads
}

func (d idleReader) Read(b []byte) (int, error) {
	d.uploads.mu.Lock()
	if d.uploads.cutting {
		d.uploads.mu.Unlock()
		return 0, errCut
	}
	_ = d.rc.SetReadDeadline(wallClock().Add(d.idle))
	d.uploads.mu.Unlock()
	return d.r.Read(b)
}

func (u *uploads) isCutting() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.cutting
}

func (p *Proxy) bodyIdle() time.Duration {
	if p.BodyIdleTimeout > 0 {
		return p.BodyIdleTimeout
	}
	return BodyIdleTimeout
}

func tooLarge() *bodyError {
	return &bodyError{http.StatusRequestEntityTooLarge, "request_too_large", "Request body is larger than the proxy's 32 MiB limit.", 0}
}

func overloaded() *bodyError {
	return &bodyError{http.StatusServiceUnavailable, "overloaded_error",
		"Claudeflare is holding " + strconv.Itoa(MaxBodiesInFlight>>20) + " MiB of request bodies already; try again in a moment.", 1}
}

func malformed(why string) *bodyError {
	return &bodyError{http.StatusBadRequest, "invalid_request_error", "The request body could not be read: " + why + ".", 0}
}
