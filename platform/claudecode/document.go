package claudecode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
)

// InvalidError says why a settings file cannot be edited. Nothing was
// written: the file is exactly as it was.
type InvalidError struct {
	Path   string
	Reason string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("%s %s; fix it (or move it away) and try again: Claudeflare left it unchanged", e.Path, e.Reason)
}

// document is a settings file's JSON text, checked to be editable.
type document struct {
	text  string
	style style
}

// parseDocument checks that data (the file at path) is a JSON object whose
// "env", if any, is an object, and that neither holds a key twice. Claude Code
// reads JSON with JavaScript's JSON.parse, which keeps the last of duplicate
// keys, while gjson and sjson read and edit the first: an edit there could
// be silently ignored, so such a file is refused rather than guessed at. A
// blank file counts as an empty object, as it holds no setting.
func parseDocument(path string, data []byte) (*document, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return &document{text: "{}", style: defaultStyle}, nil
	}
	if err := syntaxError(data); err != nil {
		return nil, &InvalidError{Path: path, Reason: "is not valid JSON (" + err.Error() + ")"}
	}
	text := string(data)
	root := gjson.Parse(text)
	if !root.IsObject() {
		return nil, &InvalidError{Path: path, Reason: "does not hold a JSON object at the top level (Claude Code's settings are an object, {…})"}
	}
	if dup := duplicateKey(root); dup != "" {
		return nil, &InvalidError{Path: path, Reason: fmt.Sprintf("has the key %q twice at the top level (Claude Code keeps only the last one): merge them", dup)}
	}
	if env := root.Get("env"); env.Exists() {
		if !env.IsObject() {
			return nil, &InvalidError{Path: path, Reason: `has an "env" that is not an object (it must be {"NAME": "value", …})`}
		}
		if dup := duplicateKey(env); dup != "" {
			return nil, &InvalidError{Path: path, Reason: fmt.Sprintf("has the key %q twice in \"env\" (Claude Code keeps only the last one): merge them", dup)}
		}
	}
	return &document{text: text, style: detectStyle(data)}, nil
}

// syntaxError returns why data is not one valid JSON value, with the line
// and column, or nil.
func syntaxError(data []byte) error {
	if json.Valid(data) {
		return nil
	}
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := position(data, se.Offset)
		return fmt.Errorf("line %d, column %d: %s", line, col, se.Error())
	}
	if err == nil { // cannot happen: json.Valid and json.Unmarshal agree
		err = errors.New("invalid JSON")
	}
	return err
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}

// duplicateKey returns a key the object holds more than once, or "".
func duplicateKey(obj gjson.Result) string {
	seen := map[string]bool{}
	dup := ""
	obj.ForEach(func(k, _ gjson.Result) bool {
		if seen[k.String()] {
			dup = k.String()
			return false
		}
		seen[k.String()] = true
		return true
	})
	return dup
}

// members counts the members of the object at path ("" for the top level).
func (d *document) members(path string) int {
	obj := gjson.Parse(d.text)
	if path != "" {
		obj = obj.Get(path)
	}
	n := 0
	obj.ForEach(func(_, _ gjson.Result) bool { n++; return true })
	return n
}

// get returns the value at path.
func (d *document) get(path string) gjson.Result { return gjson.Get(d.text, path) }

// sameJSON reports whether two JSON texts are the same value written alike,
// ignoring only insignificant white space.
func sameJSON(a, b string) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, []byte(a)) != nil || json.Compact(&cb, []byte(b)) != nil {
		return strings.TrimSpace(a) == strings.TrimSpace(b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
