package client

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/claudeflare/claudeflare/core/events"
)

// maxEventLine bounds one line of the event stream: an event is a small
// JSON document (a configuration, a request row).
const maxEventLine = 1 << 20

// Subscribe reads GET /api/events. The channel closes when ctx ends or the
// stream does (the engine stopped or moved): there is no reconnecting, so a
// caller knows it may have missed events and re-reads what it shows.
// Events of kinds this program does not know are skipped.
func (h *HTTP) Subscribe(ctx context.Context) (<-chan events.Event, error) {
	ctx, cancel := context.WithCancel(ctx)
	// Only the wait for the answer's headers is bounded: the stream itself
	// lasts as long as ctx does.
	timer := time.AfterFunc(h.timeout(), cancel)
	resp, err := h.send(ctx, http.MethodGet, "/api/events", nil, http.StatusOK)
	if !timer.Stop() && err == nil {
		resp.Body.Close()
		err = errors.New("subscribing to Claudeflare's events: no answer in time")
	}
	if err != nil {
		cancel()
		return nil, err
	}
	ch := make(chan events.Event, 64)
	go func() {
		defer cancel()
		defer close(ch)
		defer resp.Body.Close()
		readEvents(ctx, resp, ch)
	}()
	return ch, nil
}

// readEvents decodes the stream's data lines into events until it ends.
func readEvents(ctx context.Context, resp *http.Response, ch chan<- events.Event) {
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), maxEventLine)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue // "event:", comments (": keep-alive") and blank lines
		}
		e, err := events.Decode([]byte(data))
		if err != nil {
			continue
		}
		select {
		case ch <- e:
		case <-ctx.Done():
			return
		}
	}
}
