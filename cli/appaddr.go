package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/claudeflare/claudeflare/platform/lock"
	"github.com/claudeflare/claudeflare/platform/paths"
)

// appCandidate is an address where a running Claudeflare may listen.
type appCandidate struct {
	URL    string // e.g. http://127.0.0.1:8080
	Source string // where the address came from, for messages
}

// appCandidates lists where Claudeflare may be running, most telling first:
// the address the running app (the tray or serve) recorded in its
// single-instance lock file (the one it actually bound, kept up to date
// when the port changes), then the configuration's (what the next start
// uses). A configuration
// that does not load leaves only the lock's; cfgErr says why.
func (env *Env) appCandidates(home string) (cands []appCandidate, cfgErr error) {
	if info := lock.Read(paths.LockPath(home)); info.Address != "" {
		src := "the running app's lock file"
		if info.PID > 0 {
			src = fmt.Sprintf("the running app (pid %d)", info.PID)
		}
		cands = append(cands, appCandidate{URL: clientURL(info.Address), Source: src})
	}
	cfg, _, err := env.loadConfig(home)
	if err != nil {
		return cands, err
	}
	u := clientURL("http://" + cfg.Addr())
	if len(cands) == 0 || cands[0].URL != u {
		cands = append(cands, appCandidate{URL: u, Source: "the configuration"})
	}
	return cands, nil
}

// clientURL is the address a client on this machine uses for a listener's
// address: a wildcard host (0.0.0.0, ::), fine to listen on, is no address to
// connect to, so it becomes the loopback address of its family.
func clientURL(address string) string {
	u, err := url.Parse(address)
	if err != nil || u.Host == "" {
		return address
	}
	host, port := u.Hostname(), u.Port()
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	u.Host = net.JoinHostPort(host, port)
	return u.String()
}

// localClient talks to Claudeflare on this machine: no proxy from the
// environment (an HTTP_PROXY must not see local API calls) and no
// connections kept, since every command makes one or two requests and exits.
var localClient = &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}

// isClaudeflare reports whether Claudeflare answers at base: its /health
// says so, or it asks for the client key (remote use guards /health too).
func isClaudeflare(ctx context.Context, base string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/health", nil)
	if err != nil {
		return false
	}
	resp, err := localClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var h struct {
		Status   string  `json:"status"`
		Strategy *string `json:"strategy"`
		Error    *string `json:"error"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&h) != nil {
		return false
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return h.Status == "ok" && h.Strategy != nil
	case http.StatusUnauthorized:
		return h.Error != nil
	}
	return false
}

// findApp returns the first candidate where Claudeflare answers, or, when
// none does, the configuration's address with running false.
func (env *Env) findApp(ctx context.Context, home string) (c appCandidate, running bool, err error) {
	cands, cfgErr := env.appCandidates(home)
	for _, c := range cands {
		if isClaudeflare(ctx, c.URL) {
			return c, true, nil
		}
	}
	for _, c := range cands {
		if c.Source == "the configuration" {
			return c, false, nil
		}
	}
	if cfgErr != nil {
		return appCandidate{}, false, cfgErr
	}
	return cands[0], false, nil
}

// selfPath is the absolute path of the running binary, symbolic links
// resolved: what an entry that starts Claudeflare later must run (a link
// such as /usr/local/bin/claudeflare may be repointed or removed).
func selfPath() (string, error) {
	p, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding this program's path: %w", err)
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	return filepath.Abs(p)
}

// trimURL drops a trailing slash, so addresses compare as the user reads them.
func trimURL(u string) string { return strings.TrimRight(u, "/") }
