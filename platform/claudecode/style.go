package claudecode

import (
	"bytes"
	"encoding/json"
	"strings"
)

// style is how a settings file is laid out, so an edit keeps that layout.
//
// sjson edits JSON text in place: every byte it does not touch stays as it
// was, but what it inserts is compact and lands just before the closing
// brace ("…\n,\"env\":{…}}"). A file that is exactly what a standard
// indenter makes of it (Claude Code writes its settings with
// JSON.stringify(settings, null, 2)) can be re-indented after the edit
// without changing a byte the user wrote, and then the new keys are laid out
// like the rest. Any other file keeps sjson's edit as it is.
type style struct {
	// canonical: the file is its own json.Indent (or json.Compact) output.
	canonical bool
	// indent is the canonical indentation ("" for a compact file).
	indent string
	// trailing is the white space after the closing brace, kept as it was.
	trailing string
}

// defaultStyle is Claude Code's own: two spaces and a final newline, for a
// file Claudeflare creates.
var defaultStyle = style{canonical: true, indent: "  ", trailing: "\n"}

// indents are the indentations recognised as canonical, commonest first.
var indents = []string{"  ", "    ", "\t"}

// detectStyle finds the layout of data, a valid JSON document.
func detectStyle(data []byte) style {
	body := bytes.TrimRight(data, " \t\r\n")
	s := style{trailing: string(data[len(body):])}
	if len(body) == 0 || body[0] != '{' { // leading white space: keep it by editing in place
		return s
	}
	var compact bytes.Buffer
	if json.Compact(&compact, body) != nil {
		return s
	}
	if compact.String() == "{}" {
		// No member shows an indentation: lay the new ones out as Claude
		// Code would. (Disable puts such a file back byte for byte from the
		// record: it holds no setting, so no secret either.)
		s.canonical, s.indent = true, defaultStyle.indent
		return s
	}
	if bytes.Equal(compact.Bytes(), body) {
		s.canonical = true
		return s
	}
	for _, in := range indents {
		var out bytes.Buffer
		if json.Indent(&out, compact.Bytes(), "", in) == nil && bytes.Equal(out.Bytes(), body) {
			s.canonical, s.indent = true, in
			return s
		}
	}
	return s
}

// render lays out text, the document after an edit, in the style.
func (s style) render(text string) []byte {
	body := strings.TrimRight(text, " \t\r\n")
	if s.canonical {
		var compact, out bytes.Buffer
		if json.Compact(&compact, []byte(body)) == nil {
			if s.indent == "" {
				out = compact
			} else if json.Indent(&out, compact.Bytes(), "", s.indent) != nil {
				out.Reset()
				out.WriteString(body)
			}
			return append(out.Bytes(), s.trailing...)
		}
	}
	return []byte(body + s.trailing)
}
