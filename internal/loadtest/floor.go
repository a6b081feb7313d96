package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/claudeflare/claudeflare/internal/loopback"
)

// The floor is the least a reverse proxy can do: Go's
// httputil.ReverseProxy swapping the credential, with a transport tuned like
// Claudeflare's and nothing else (no accounts, usage, request log or
// events). Measured beside Claudeflare it splits the proxy's cost into what
// any Go proxy process pays for the extra hop and what is Claudeflare's own.

// FloorHandler forwards every request to upstream with x-api-key set to key,
// and answers GET /health itself.
func FloorHandler(upstream, key string) (http.Handler, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, fmt.Errorf("floor proxy: upstream %q: %w", upstream, err)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = u.Host
			r.Out.Header.Del("Authorization")
			r.Out.Header.Set("X-Api-Key", key)
		},
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 128,
			IdleConnTimeout:     90 * time.Second,
			ReadBufferSize:      32 << 10,
			WriteBufferSize:     32 << 10,
		},
		FlushInterval: -1, // flush every write, as Claudeflare does for streams
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// ReverseProxy streams the request body upstream while the answer
		// comes back. Without full duplex, net/http may discard the rest of
		// the request body when the answer's headers go out, racing the
		// transport still reading it; the transport then drops the upstream
		// connection mid-answer. (Claudeflare reads the body whole first.)
		_ = http.NewResponseController(w).EnableFullDuplex()
		rp.ServeHTTP(w, r)
	}))
	return mux, nil
}

// ServeFloor serves the floor proxy on addr until ctx ends.
func ServeFloor(ctx context.Context, addr, upstream, key string) error {
	h, err := FloorHandler(upstream, key)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// FloorInProcess is the floor proxy served by this process.
type FloorInProcess struct {
	srv *http.Server
	url string
}

// StartFloorInProcess serves the floor proxy on a free loopback port.
func StartFloorInProcess(upstream, key string) (*FloorInProcess, error) {
	h, err := FloorHandler(upstream, key)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &FloorInProcess{srv: &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}, url: "http://" + ln.Addr().String()}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

func (f *FloorInProcess) URL() string                     { return f.url }
func (f *FloorInProcess) PID() int                        { return 0 }
func (f *FloorInProcess) Close(ctx context.Context) error { return f.srv.Shutdown(ctx) }
func (f *FloorInProcess) Token() string                   { return "" }

// FloorServeArg is the first argument that makes a program that calls
// MaybeServeFloor serve the floor proxy instead of doing its own work; the
// load tool re-executes itself this way to run the floor in a process of
// its own.
const FloorServeArg = "-internal-floor-serve"

// StartFloorSubprocess runs the floor proxy as `exe -internal-floor-serve
// ADDR UPSTREAM KEY`, with extraEnv added to its environment; exe must call
// MaybeServeFloor first thing in main.
func StartFloorSubprocess(ctx context.Context, exe, upstream, key string, extraEnv ...string) (*Subprocess, error) {
	port, err := loopback.FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	return startProcess(ctx, port, func(string) []string { return append(os.Environ(), extraEnv...) }, exe, FloorServeArg, addr, upstream, key)
}

// MaybeServeFloor serves the floor proxy until ctx ends and reports true if
// args ask for it (see StartFloorSubprocess); else it returns false at once.
func MaybeServeFloor(ctx context.Context, args []string) (bool, error) {
	if len(args) != 4 || args[0] != FloorServeArg {
		return false, nil
	}
	if err := CheckLoopback("http://" + args[1]); err != nil {
		return true, err
	}
	return true, ServeFloor(ctx, args[1], args[2], args[3])
}
