package proxy

import (
	"net"
	"net/http"
	"time"
)

// NewTransport returns the one transport all upstream requests share. Idle
// connections are kept generously: a Claude Code session sends bursts of
// requests to one host, and a fresh TLS handshake costs far more than the
// proxy's own work. No response-header timeout is set, since a long
// non-streaming answer may legitimately take minutes; the client's context
// bounds every request.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ReadBufferSize:        32 << 10,
		WriteBufferSize:       32 << 10,
	}
}
