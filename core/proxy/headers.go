package proxy

import (
	"net/http"
	"net/textproto"
	"strings"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/creds"
)

// OAuthBeta must be in anthropic-beta for Bearer (OAuth) requests, or
// Anthropic answers 401 "OAuth authentication is currently not supported.".
const OAuthBeta = "oauth-2025-04-20"

// AccountHeader names the account that served a response ("none" if none).
const AccountHeader = "X-Claudeflare-Account"

// hopHeaders are meaningful for one connection only (RFC 9110 §7.6.1) and
// never cross the proxy.
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

var isHop = func() map[string]bool {
	m := make(map[string]bool, len(hopHeaders))
	for _, k := range hopHeaders {
		m[k] = true
	}
	return m
}()

// removeHopHeaders deletes hop-by-hop headers, including those named by Connection.
func removeHopHeaders(h http.Header) {
	removeConnectionNamed(h, h.Values("Connection"))
	for _, k := range hopHeaders {
		h.Del(k)
	}
}

// removeConnectionNamed deletes from h the headers that the Connection
// values conn name: they are meant for one hop only (RFC 9110 §7.6.1).
func removeConnectionNamed(h http.Header, conn []string) {
	for _, v := range conn {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				h.Del(f)
			}
		}
	}
}

// outboundHeader builds the upstream request's headers from the client's:
// hop-by-hop headers go (also those the Connection header names), and so
// does Accept-Encoding, so that Go's transport negotiates compression itself
// and hands us plain bytes to read usage from. With keepClientAuth false the
// client's own credentials are removed too. The kept values are shared with
// in, each slice capped at its length, so that a change to the result
// (setting the credential, adding a beta) never writes into the client's
// header: one allocation instead of a copy of every value.
func outboundHeader(in http.Header, keepClientAuth bool) http.Header {
	h := make(http.Header, len(in))
	for k, vv := range in {
		if !dropOutbound(textproto.CanonicalMIMEHeaderKey(k), keepClientAuth) {
			h[k] = vv[:len(vv):len(vv)]
		}
	}
	removeConnectionNamed(h, in["Connection"])
	return h
}

// dropOutbound reports whether the client's header k (canonical) stays
// behind.
func dropOutbound(k string, keepClientAuth bool) bool {
	switch k {
	case "Accept-Encoding", "Host":
		return true
	case "Authorization", "X-Api-Key":
		return !keepClientAuth
	}
	return isHop[k]
}

// applyCredential adds the account's credential to h.
func applyCredential(h http.Header, kind account.Kind, s creds.Secret) {
	if kind == account.KindOAuth {
		h.Set("Authorization", "Bearer "+s.AccessToken)
		addBeta(h, OAuthBeta)
		return
	}
	h.Set("X-Api-Key", s.APIKey)
}

// addBeta appends beta to the client's comma-separated anthropic-beta list,
// keeping the list as sent and never adding a duplicate.
func addBeta(h http.Header, beta string) {
	values := h.Values("Anthropic-Beta")
	for _, v := range values {
		for f := range strings.SplitSeq(v, ",") {
			if strings.TrimSpace(f) == beta {
				return
			}
		}
	}
	list := strings.Join(values, ",")
	if strings.TrimSpace(list) == "" {
		h.Set("Anthropic-Beta", beta)
		return
	}
	h.Set("Anthropic-Beta", list+","+beta)
}

// copyResponseHeader copies an upstream response's end-to-end headers to
// dst, but never its Access-Control-* headers: the upstream may allow
// browsers to read its answers, and the proxy must never let a web page read
// one made with the user's accounts. The value slices are shared, not copied
// (src is only read after this), each capped at its length so that an Add to
// dst reallocates rather than writing into src: a dozen fewer allocations per
// request.
func copyResponseHeader(dst, src http.Header) {
	for k, vv := range src {
		if len(k) > 15 && (k[:15] == "Access-Control-" || strings.EqualFold(k[:15], "Access-Control-")) {
			continue
		}
		dst[k] = vv[:len(vv):len(vv)]
	}
	removeHopHeaders(dst)
}
