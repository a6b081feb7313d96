package oauth

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// callback is the loopback listener of the automatic flow: it takes the
// browser's redirect to /callback, hands it to the login and shows the
// browser the outcome.
type callback struct {
	srv  *http.Server
	port int
	hits chan callbackHit
	done chan struct{} // closed when the login no longer takes redirects
}

// callbackHit is one redirect, waiting for the page to show.
type callbackHit struct {
	query url.Values
	reply chan page
}

// page is what the browser is shown.
type page struct {
	status         int
	title, message string
}

// listenCallback listens on 127.0.0.1:port (and, when it can, on [::1] at
// the same port, since browsers may resolve localhost to either). port 0
// picks a free port. An error means the port is taken: use the manual flow.
func listenCallback(port int, log *slog.Logger) (*callback, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	c := &callback{
		port: ln.Addr().(*net.TCPAddr).Port,
		hits: make(chan callbackHit),
		done: make(chan struct{}),
	}
	c.srv = &http.Server{
		Handler:           c,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	lns := []net.Listener{ln}
	if ln6, err := net.Listen("tcp", net.JoinHostPort("::1", strconv.Itoa(c.port))); err == nil {
		lns = append(lns, ln6)
	}
	for _, l := range lns {
		go func() { _ = c.srv.Serve(l) }()
	}
	return c, nil
}

// redirectURI is the redirect_uri of the automatic flow on this listener.
func (c *callback) redirectURI() string {
	return fmt.Sprintf("http://localhost:%d%s", c.port, CallbackPath)
}

// close stops taking redirects and closes the listener once the pages being
// written have reached the browser (at most a few seconds).
func (c *callback) close() {
	close(c.done)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.srv.Shutdown(ctx); err != nil {
		_ = c.srv.Close()
	}
}

func (c *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != CallbackPath {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hit := callbackHit{query: r.URL.Query(), reply: make(chan page, 1)}
	select {
	case c.hits <- hit:
	case <-c.done:
		writePage(w, page{http.StatusGone, "Login already finished",
			"This Claudeflare login has already finished. Go back to Claudeflare to see how it went, or start a new login."})
		return
	case <-r.Context().Done():
		return
	}
	select {
	case p := <-hit.reply:
		writePage(w, p)
	case <-r.Context().Done():
	}
}

// writePage shows the browser a small self-contained HTML page.
func writePage(w http.ResponseWriter, p page) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(p.status)
	fmt.Fprintf(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Claudeflare: %[1]s</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#222}h1{font-size:1.4em}</style>
</head><body><h1>%[1]s</h1><p>%[2]s</p></body></html>
`, html.EscapeString(p.title), html.EscapeString(p.message))
}
