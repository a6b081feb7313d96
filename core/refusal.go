package core

import (
	"errors"
	"net/http"

	"github.com/claudeflare/claudeflare/core/accounts"
	"github.com/claudeflare/claudeflare/core/client"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/oauth"
	"github.com/claudeflare/claudeflare/core/store"
)

// refuse turns an error of the account service or a login into the
// refusal the API answers with (docs/DESIGN.md, "The typed surface"): the
// statuses are decided here, once, for the tray's calls and the HTTP API's
// alike. The cause stays reachable through errors.Is and errors.As.
func refuse(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*client.Error](err); ok {
		return err
	}
	return client.Refusal(refusalStatus(err), err)
}

func refusalStatus(err error) int {
	te, isToken := errors.AsType[*oauth.TokenError](err)
	switch {
	// The login flow's own errors come first: some wrap account errors.
	case errors.Is(err, oauth.ErrUnknownSession):
		return http.StatusNotFound
	case errors.Is(err, oauth.ErrInProgress), errors.Is(err, oauth.ErrFinished),
		errors.Is(err, oauth.ErrTimedOut), errors.Is(err, oauth.ErrCancelled):
		return http.StatusConflict
	case errors.Is(err, oauth.ErrBadCode), errors.Is(err, oauth.ErrStateMismatch), errors.Is(err, oauth.ErrDenied):
		return http.StatusBadRequest
	case isToken && te.Code == "invalid_grant":
		return http.StatusBadRequest
	case isToken, errors.Is(err, oauth.ErrUpstream):
		return http.StatusBadGateway
	case errors.Is(err, accounts.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, store.ErrNameTaken):
		return http.StatusConflict
	case errors.Is(err, creds.ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
