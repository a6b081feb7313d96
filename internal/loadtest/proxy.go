package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/internal/loopback"
	"github.com/claudeflare/claudeflare/platform/apitoken"
	"github.com/claudeflare/claudeflare/platform/filestore"
	"github.com/claudeflare/claudeflare/platform/paths"
)

// Account is an API-key account the proxy is given; the upstream must
// accept its key.
type Account struct {
	Name     string
	Key      string
	Priority int
}

// Proxy is a running Claudeflare proxy that the load goes through.
type Proxy interface {
	// URL is the proxy's base URL, "http://127.0.0.1:PORT".
	URL() string
	// PID is the process serving the proxy: 0 for this one, -1 if unknown.
	PID() int
	// Close stops the proxy (if the load tool started it) and removes its home.
	Close(ctx context.Context) error
	// Token is the proxy's local API token, for /api/ and /metrics ("" if unknown).
	Token() string
}

// settings is the environment of a proxy started by the load tool: a fresh
// home, the file credential store, the given upstream and a free loopback port.
func settings(home, upstream string, port int) map[string]string {
	return map[string]string{
		paths.EnvHome:                  home,
		"CLAUDEFLARE_CREDENTIAL_STORE": "file",
		"CLAUDEFLARE_UPSTREAM_URL":     upstream,
		"CLAUDEFLARE_HOST":             "127.0.0.1",
		"PORT":                         strconv.Itoa(port),
	}
}

// InProcess is the real proxy (core.New and Start) running inside the load
// tool: cheap to set up, but its memory cannot be told apart from the load
// generator's and the fake's.
type InProcess struct {
	core *core.Core
	home string
}

// StartInProcess starts a core in a temporary home in front of upstream, with
// accounts added through its account service.
func StartInProcess(ctx context.Context, upstream string, accounts []Account) (_ *InProcess, err error) {
	home, err := os.MkdirTemp("", "cfload-home-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(home)
		}
	}()
	port, err := loopback.FreePort()
	if err != nil {
		return nil, err
	}
	env := settings(home, upstream, port)
	c, err := core.New(ctx, core.Options{
		Home:    home,
		Lookup:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Version: "cfload",
		OpenCreds: func(string) (creds.Store, error) {
			return filestore.New(paths.CredentialsPath(home)), nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("starting the proxy: %w", err)
	}
	p := &InProcess{core: c, home: home}
	fail := func(err error) (*InProcess, error) {
		_ = c.Shutdown(context.WithoutCancel(ctx))
		return nil, err
	}
	for _, a := range accounts {
		if _, err := c.AddAPIKey(ctx, a.Name, a.Key, a.Priority); err != nil {
			return fail(fmt.Errorf("adding account %s: %w", a.Name, err))
		}
	}
	if err := c.Start(ctx); err != nil {
		return fail(fmt.Errorf("starting the proxy: %w", err))
	}
	return p, nil
}

func (p *InProcess) URL() string { return "http://" + p.core.Addr() }
func (p *InProcess) PID() int    { return 0 }

// Token is "": the load tool reads the in-process engine's figures directly.
func (p *InProcess) Token() string { return "" }

func (p *InProcess) Close(ctx context.Context) error {
	err := p.core.Shutdown(ctx)
	return errors.Join(err, os.RemoveAll(p.home))
}

// Subprocess is a proxy in a process of its own: `claudeflare serve` run
// from a binary (built with -tags nogui), or the floor proxy. Its
// /proc/PID/status is the proxy's alone, the honest memory figure.
type Subprocess struct {
	cmd  *exec.Cmd
	url  string
	home string
	log  *os.File
	done chan struct{}
	err  error // of Wait, once done is closed
}

// StartSubprocess runs `bin serve` in a temporary home in front of upstream,
// waits until it answers /health and adds accounts through its HTTP API.
// extraEnv ("GOMAXPROCS=1", …) is added to its environment.
func StartSubprocess(ctx context.Context, bin, upstream string, accounts []Account, extraEnv ...string) (*Subprocess, error) {
	port, err := loopback.FreePort()
	if err != nil {
		return nil, err
	}
	p, err := startProcess(ctx, port, func(home string) []string {
		return append(childEnv(os.Environ(), settings(home, upstream, port)), extraEnv...)
	}, bin, "serve")
	if err != nil {
		return nil, err
	}
	for _, a := range accounts {
		if err := p.addAccount(ctx, a); err != nil {
			return nil, p.fail(ctx, err)
		}
	}
	return p, nil
}

// startProcess runs name with args and the environment env(home) in a
// fresh temporary home, and waits until it answers /health on port.
func startProcess(ctx context.Context, port int, env func(home string) []string, name string, args ...string) (*Subprocess, error) {
	home, err := os.MkdirTemp("", "cfload-home-")
	if err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(home, "output.log"))
	if err != nil {
		os.RemoveAll(home)
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Env = env(home)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		os.RemoveAll(home)
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Subprocess{cmd: cmd, url: "http://127.0.0.1:" + strconv.Itoa(port), home: home, log: log, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	if err := p.waitHealthy(ctx, 15*time.Second); err != nil {
		return nil, p.fail(ctx, err)
	}
	return p, nil
}

// fail stops the process after err, adding its output to err.
func (p *Subprocess) fail(ctx context.Context, err error) error {
	if tail := p.logTail(); tail != "" {
		err = fmt.Errorf("%w; its output:\n%s", err, tail)
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = p.Close(cctx)
	return err
}

// childEnv is base without any Claudeflare setting, plus set.
func childEnv(base []string, set map[string]string) []string {
	var out []string
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "CLAUDEFLARE_") || k == "PORT" || k == "LB_STRATEGY" || k == "SESSION_DURATION_MS" {
			continue
		}
		out = append(out, kv)
	}
	for k, v := range set {
		out = append(out, k+"="+v)
	}
	return out
}

func (p *Subprocess) waitHealthy(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	c := &http.Client{Timeout: time.Second}
	for {
		resp, err := c.Get(p.url + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before answering /health: %v", p.cmd.Path, p.err)
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer %s/health within %s", p.cmd.Path, p.url, limit)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (p *Subprocess) addAccount(ctx context.Context, a Account) error {
	body, _ := json.Marshal(map[string]any{"name": a.Name, "api_key": a.Key, "priority": a.Priority})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url+"/api/accounts", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+p.Token())
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("adding account %s: %w", a.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("adding account %s: status %d: %s", a.Name, resp.StatusCode, msg)
	}
	return nil
}

func (p *Subprocess) URL() string { return p.url }

// Token is the local API token serve made in its home.
func (p *Subprocess) Token() string {
	tok, _ := apitoken.Read(p.home)
	return tok
}
func (p *Subprocess) PID() int { return p.cmd.Process.Pid }

// Close asks the process to shut down (SIGTERM), kills it if it has not
// within ctx, and removes its home.
func (p *Subprocess) Close(ctx context.Context) error {
	err := p.stop(ctx)
	return errors.Join(err, os.RemoveAll(p.home))
}

func (p *Subprocess) stop(ctx context.Context) error {
	defer p.log.Close()
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("%s: %w; output:\n%s", p.cmd.Path, p.err, p.logTail())
		}
		return nil
	case <-ctx.Done():
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not shut down in time and was killed", p.cmd.Path)
	}
}

// logTail is the end of the process's output.
func (p *Subprocess) logTail() string {
	b, err := os.ReadFile(p.log.Name())
	if err != nil {
		return ""
	}
	if len(b) > 2048 {
		b = b[len(b)-2048:]
	}
	return strings.TrimSpace(string(b))
}

// External is a proxy someone else started; the load tool only sends to it.
type External struct {
	BaseURL  string
	Pid      int    // 0: unknown (its memory is not reported)
	APIToken string // its local API token: `claudeflare api-token`
}

func (p External) Token() string { return p.APIToken }

func (p External) URL() string { return p.BaseURL }

func (p External) PID() int {
	if p.Pid <= 0 {
		return -1
	}
	return p.Pid
}

func (p External) Close(context.Context) error { return nil }

// CheckLoopback refuses a base URL whose host is not a loopback address:
// the load tool sends traffic to this machine only.
func CheckLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	if u.Scheme != "http" {
		return fmt.Errorf("%q: only http:// on loopback is supported", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%q is not on loopback: the load tool only sends to 127.0.0.1", raw)
}
