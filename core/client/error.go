package client

import (
	"errors"
	"fmt"
)

// Error is a request the engine refused: the HTTP status the API answers
// with (400 a bad input, 404 an unknown account or login, 409 a conflict,
// 503 an unreachable credential store, 5xx a failure) and its message, for
// users as it is. In the engine's own process Err is the cause, so callers
// can still tell config or account errors apart with errors.As; over HTTP
// it is nil.
type Error struct {
	Status  int
	Message string
	Err     error
}

func (e *Error) Error() string { return e.Message }

func (e *Error) Unwrap() error { return e.Err }

// Refusal makes an *Error of status around err, its message err's.
func Refusal(status int, err error) *Error {
	return &Error{Status: status, Message: err.Error(), Err: err}
}

// Refusef makes an *Error of status with a message of its own.
func Refusef(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// StatusOf is the status of the *Error in err's chain, or 0 when there is
// none (the engine could not be reached, a context ended).
func StatusOf(err error) int {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Status
	}
	return 0
}
