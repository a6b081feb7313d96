// Package api serves Claudeflare's HTTP API beside the proxy on the same
// listener, behind the guards of core/server (Host, Origin, content type,
// the local API token). Its handlers only decode and encode: each calls one
// verb of the typed surface (docs/DESIGN.md, "The typed surface").
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// maxAPIBody bounds API request bodies: they are small JSON documents.
const maxAPIBody = 1 << 20

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

// WriteError answers {"error": msg} with status, as every API error does.
func WriteError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// errBodyTooLarge refuses a body over maxAPIBody (413).
var errBodyTooLarge = errors.New("request body is larger than 1 MiB")

// decodeBody reads one JSON object into v, refusing unknown fields, trailing
// data and oversize bodies with a message that says which. The body is read
// whole first: trailing data is anything but JSON white space after the
// object (json.Decoder.More alone misses a stray "}" or "]").
func decodeBody(r *http.Request, v any) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxAPIBody+1))
	if err != nil {
		return fmt.Errorf("reading the request body: %w", err)
	}
	if len(data) > maxAPIBody {
		return errBodyTooLarge
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return errors.New("request body is empty: a JSON object is required")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return errors.New("request body is not valid JSON (it ends too early)")
		case errors.As(err, &syn):
			return fmt.Errorf("request body is not valid JSON (at byte %d)", syn.Offset)
		case errors.As(err, &typ):
			if typ.Field != "" {
				return fmt.Errorf("%s: must be %s, got %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
			}
			return fmt.Errorf("request body must be a JSON object, got %s", typ.Value)
		default:
			return fmt.Errorf("request body: %v", err)
		}
	}
	if rest := bytes.Trim(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return errors.New("request body has data after the JSON object")
	}
	return nil
}

// writeBodyError answers a decodeBody error: 413 for an oversize body, else 400.
func writeBodyError(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	if errors.Is(err, errBodyTooLarge) {
		status = http.StatusRequestEntityTooLarge
	}
	WriteError(w, status, err.Error())
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "int32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "map", "struct":
		return "an object"
	}
	return goKind
}
