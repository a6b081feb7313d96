package claudecode

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// A settings file as Claude Code writes it (JSON.stringify(…, null, 2)),
// with nested objects, arrays, unicode (raw and escaped), numbers as written
// and keys in no sorted order.
const claudeWritten = `{
  "permissions": {
    "allow": [
      "Bash(npm run test:*)",
      "Read(~/.zshrc)"
    ],
    "deny": []
  },
  "model": "opus",
  "env": {
    "MY_TOOL_HOME": "/home/zoë/日本語",
    "ESCAPED": "caf\u00e9 \"quoted\"",
    "BASH_DEFAULT_TIMEOUT_MS": "300000"
  },
  "cleanupPeriodDays": 1.50,
  "hooks": {},
  "alwaysThinkingEnabled": true
}
`

func TestEnableDisableRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// before is the file's content; absent: no file at all.
		before  string
		absent  bool
		mode    os.FileMode
		wiring  Wiring
		wantPH  bool   // the placeholder credential is added
		wantOut string // the exact file after enable, when the layout matters
		// wantLine, when set, is a line the enabled file must contain (layout kept).
		wantLine string
	}{
		{name: "no file", absent: true, wantPH: true, wantOut: `{
  "env": {
    "ANTHROPIC_BASE_URL": "http://127.0.0.1:8080",
    "CLAUDE_CODE_OAUTH_TOKEN": "` + Placeholder + `"
  }
}
`},
		{name: "as Claude Code writes it", before: claudeWritten, mode: 0o644, wantPH: true, wantOut: strings.Replace(claudeWritten,
			`    "BASH_DEFAULT_TIMEOUT_MS": "300000"
`, `    "BASH_DEFAULT_TIMEOUT_MS": "300000",
    "ANTHROPIC_BASE_URL": "http://127.0.0.1:8080",
    "CLAUDE_CODE_OAUTH_TOKEN": "`+Placeholder+`"
`, 1)},
		{name: "no env yet", before: "{\n  \"model\": \"sonnet\",\n  \"includeCoAuthoredBy\": false\n}\n", wantPH: true, wantOut: `{
  "model": "sonnet",
  "includeCoAuthoredBy": false,
  "env": {
    "ANTHROPIC_BASE_URL": "http://127.0.0.1:8080",
    "CLAUDE_CODE_OAUTH_TOKEN": "` + Placeholder + `"
  }
}
`},
		{name: "four spaces", before: "{\n    \"model\": \"opus\",\n    \"env\": {\n        \"A\": \"1\"\n    }\n}\n", wantPH: true,
			wantLine: `        "ANTHROPIC_BASE_URL": "http://127.0.0.1:8080",`},
		{name: "tabs", before: "{\n\t\"model\": \"opus\"\n}", wantPH: true, wantLine: "\t\t\"ANTHROPIC_BASE_URL\": \"http://127.0.0.1:8080\","},
		{name: "compact", before: `{"model":"opus","env":{"A":"1"}}`, wantPH: true,
			wantOut: `{"model":"opus","env":{"A":"1","ANTHROPIC_BASE_URL":"http://127.0.0.1:8080","CLAUDE_CODE_OAUTH_TOKEN":"` + Placeholder + `"}}`},
		{name: "hand formatted", before: "{ \"model\" : \"opus\" ,\n  \"env\": { \"A\":\"1\" },   \"x\": [1,2,\n 3] }\n", wantPH: true,
			wantLine: ` "x": [1,2,`},
		{name: "CRLF", before: "{\r\n  \"model\": \"opus\",\r\n  \"env\": {\r\n    \"A\": \"1\"\r\n  }\r\n}\r\n", wantPH: true,
			wantLine: "  \"model\": \"opus\",\r"},
		{name: "empty object", before: "{}", wantPH: true},
		{name: "empty object with space", before: "{ }\n", wantPH: true},
		{name: "blank file", before: "", wantPH: true},
		{name: "empty env", before: "{\n  \"env\": {}\n}\n", wantPH: true},
		{name: "env first", before: "{\"env\":{\"A\":\"1\"},\"model\":\"opus\"}\n", wantPH: true},
		{name: "old base URL replaced", before: "{\n  \"env\": {\n    \"ANTHROPIC_BASE_URL\": \"https://gateway.example.com/v\\u0031\"\n  }\n}\n", wantPH: true},
		{name: "API key of their own", before: `{"env":{"ANTHROPIC_API_KEY":"sk-ant-api03-theirs"}}`},
		{name: "auth token of their own", before: `{"env":{"ANTHROPIC_AUTH_TOKEN":"theirs"}}`},
		{name: "OAuth token of their own", before: `{"env":{"CLAUDE_CODE_OAUTH_TOKEN":"sk-ant-oat01-theirs"}}`},
		{name: "status line added", before: `{"model":"opus"}`, wantPH: true, wiring: Wiring{StatusLine: "/opt/cf/claudeflare statusline"},
			wantOut: `{"model":"opus","env":{"ANTHROPIC_BASE_URL":"http://127.0.0.1:8080","CLAUDE_CODE_OAUTH_TOKEN":"` + Placeholder + `"},` +
				`"statusLine":{"type":"command","command":"/opt/cf/claudeflare statusline"}}`},
		{name: "status line of their own", before: `{"statusLine":{"type":"command","command":"mine.sh"}}`, wantPH: true,
			wiring: Wiring{StatusLine: "/opt/cf/claudeflare statusline"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := files(t)
			mode := tt.mode
			if mode == 0 {
				mode = 0o600
			}
			if !tt.absent {
				writeSettings(t, f, tt.before, mode)
			}
			w := tt.wiring
			w.BaseURL = testURL
			res, err := Enable(f, w)
			if err != nil {
				t.Fatalf("Enable: %v", err)
			}
			if !res.Written {
				t.Error("Enable reported nothing written")
			}
			after := readFile(t, f.Settings)
			if tt.wantOut != "" && after != tt.wantOut {
				t.Errorf("after enable:\n%s\nwant:\n%s", after, tt.wantOut)
			}
			if tt.wantLine != "" && !strings.Contains(after, tt.wantLine+"\n") {
				t.Errorf("after enable, no line %q:\n%s", tt.wantLine, after)
			}
			if got := gjson.Get(after, keyBaseURL).String(); got != testURL {
				t.Errorf("env.ANTHROPIC_BASE_URL = %q, want %q", got, testURL)
			}
			ph := gjson.Get(after, keyOAuthToken).String() == Placeholder
			if ph != tt.wantPH {
				t.Errorf("placeholder credential set: %v, want %v\n%s", ph, tt.wantPH, after)
			}
			ours := []string{keyBaseURL, keyOAuthToken}
			if w.StatusLine != "" {
				mine := strings.Contains(tt.before, "statusLine")
				cmd := gjson.Get(after, "statusLine.command").String()
				if mine && cmd != "mine.sh" || !mine && cmd != w.StatusLine {
					t.Errorf("statusLine.command = %q (theirs before: %v)", cmd, mine)
				}
				if !mine {
					ours = append(ours, keyStatusLine)
				}
			}
			if !ph {
				ours = ours[:1]
			}
			checkKept(t, tt.before, after, ours...)
			if runtime.GOOS != "windows" {
				info, err := os.Stat(f.Settings)
				if err != nil || info.Mode().Perm() != mode {
					t.Errorf("mode after enable: %v, %v; want %v", info.Mode().Perm(), err, mode)
				}
			}
			if extra := leftovers(t, filepath.Dir(f.Settings), "settings.json"); len(extra) > 0 {
				t.Errorf("left beside the settings file: %v", extra)
			}

			res, err = Disable(f)
			if err != nil {
				t.Fatalf("Disable: %v", err)
			}
			if res.Nothing || len(res.Notes) > 0 {
				t.Errorf("Disable: %+v", res)
			}
			if tt.absent {
				if _, err := os.Stat(filepath.Dir(f.Settings)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("the settings file and its folder, which enable created, are still there (%v)", err)
				}
			} else if got := readFile(t, f.Settings); got != tt.before {
				t.Errorf("after disable:\n%q\nwant the original bytes:\n%q", got, tt.before)
			}
			if _, err := os.Stat(f.Record); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the record outlived its last entry: %v", err)
			}
		})
	}
}

func TestEnableIsIdempotent(t *testing.T) {
	t.Parallel()
	f := files(t)
	writeSettings(t, f, claudeWritten, 0o600)
	w := Wiring{BaseURL: testURL, StatusLine: "/bin/claudeflare statusline"}
	if _, err := Enable(f, w); err != nil {
		t.Fatal(err)
	}
	once, rec := readFile(t, f.Settings), readFile(t, f.Record)
	res, err := Enable(f, w)
	if err != nil {
		t.Fatal(err)
	}
	if res.Written {
		t.Error("the second enable wrote the file")
	}
	if got := readFile(t, f.Settings); got != once {
		t.Errorf("the second enable changed the file:\n%s\nwas:\n%s", got, once)
	}
	if got := readFile(t, f.Record); got != rec {
		t.Errorf("the second enable changed the record:\n%s\nwas:\n%s", got, rec)
	}
	// A plain enable keeps the status line set before.
	if _, err := Enable(f, Wiring{BaseURL: testURL}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, f.Settings); got != once {
		t.Errorf("enable without --statusline changed the file:\n%s", got)
	}
	if _, err := Disable(f); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, f.Settings); got != claudeWritten {
		t.Errorf("after disable:\n%s", got)
	}
}

// TestNewAddress: a second enable with another address updates it, and
// disable still gives back the value from before the first.
func TestNewAddress(t *testing.T) {
	t.Parallel()
	f := files(t)
	before := `{"env":{"ANTHROPIC_BASE_URL":"https://gateway.example.com"}}`
	writeSettings(t, f, before, 0o600)
	for _, u := range []string{testURL, "http://127.0.0.1:9191"} {
		if _, err := Enable(f, Wiring{BaseURL: u}); err != nil {
			t.Fatal(err)
		}
		if got := gjson.Get(readFile(t, f.Settings), keyBaseURL).String(); got != u {
			t.Fatalf("base URL %q, want %q", got, u)
		}
	}
	if _, err := Disable(f); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, f.Settings); got != before {
		t.Errorf("after disable %s, want %s", got, before)
	}
}

// TestUserChangesSurviveDisable: keys the user changed after enable are
// theirs; everything else of enable's goes, and what the user added stays.
func TestUserChangesSurviveDisable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		change    func(s string) string
		wantAfter string
		wantNote  string
	}{
		{
			name: "base URL changed",
			change: func(s string) string {
				return strings.Replace(s, testURL, "http://127.0.0.1:7777", 1)
			},
			wantAfter: `{"model":"opus","env":{"ANTHROPIC_BASE_URL":"http://127.0.0.1:7777"}}`,
			wantNote:  keyBaseURL,
		},
		{
			name: "placeholder replaced by a real token",
			change: func(s string) string {
				return strings.Replace(s, Placeholder, "sk-ant-oat01-real-one", 1)
			},
			wantAfter: `{"model":"opus","env":{"CLAUDE_CODE_OAUTH_TOKEN":"sk-ant-oat01-real-one"}}`,
			wantNote:  keyOAuthToken,
		},
		{
			name: "a key added beside ours",
			change: func(s string) string {
				return strings.Replace(s, `"env":{`, `"env":{"DEBUG":"1",`, 1)
			},
			wantAfter: `{"model":"opus","env":{"DEBUG":"1"}}`,
		},
		{
			name: "base URL removed by hand",
			change: func(s string) string {
				return strings.Replace(s, `"ANTHROPIC_BASE_URL":"`+testURL+`",`, "", 1)
			},
			wantAfter: `{"model":"opus"}`,
			wantNote:  keyBaseURL,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := files(t)
			writeSettings(t, f, `{"model":"opus"}`, 0o600)
			if _, err := Enable(f, Wiring{BaseURL: testURL}); err != nil {
				t.Fatal(err)
			}
			writeSettings(t, f, tt.change(readFile(t, f.Settings)), 0o600)
			res, err := Disable(f)
			if err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, f.Settings); got != tt.wantAfter {
				t.Errorf("after disable %s, want %s", got, tt.wantAfter)
			}
			notes := strings.Join(res.Notes, "\n")
			if tt.wantNote != "" && !strings.Contains(notes, tt.wantNote) || tt.wantNote == "" && notes != "" {
				t.Errorf("notes %q, want one about %q", notes, tt.wantNote)
			}
			if strings.Contains(notes, "real-one") {
				t.Errorf("a note shows the user's token: %q", notes)
			}
		})
	}
}

// TestCredentialAddedLater: once the user sets a credential of their own, a
// new enable takes its placeholder back.
func TestCredentialAddedLater(t *testing.T) {
	t.Parallel()
	f := files(t)
	writeSettings(t, f, `{}`, 0o600)
	if _, err := Enable(f, Wiring{BaseURL: testURL}); err != nil {
		t.Fatal(err)
	}
	s := readFile(t, f.Settings)
	s = strings.Replace(s, `"env": {`, `"env": {"ANTHROPIC_API_KEY": "sk-ant-api03-mine",`, 1)
	writeSettings(t, f, s, 0o600)
	if _, err := Enable(f, Wiring{BaseURL: testURL}); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, f.Settings)
	if gjson.Get(got, keyOAuthToken).Exists() {
		t.Errorf("the placeholder stayed beside the user's API key:\n%s", got)
	}
	if strings.Contains(readFile(t, f.Record), "sk-ant-api03-mine") {
		t.Error("the record holds the user's API key")
	}
	if _, err := Disable(f); err != nil {
		t.Fatal(err)
	}
	got = readFile(t, f.Settings)
	if !reflect.DeepEqual(decode(t, got), map[string]any{"env": map[string]any{"ANTHROPIC_API_KEY": "sk-ant-api03-mine"}}) {
		t.Errorf("after disable, want only the user's key:\n%s", got)
	}
}

func TestDisableWithNothingToUndo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		data     string // "" with absent: no file
		absent   bool
		wantNote string
	}{
		{name: "no file", absent: true},
		{name: "never enabled", data: `{"model":"opus"}`},
		{name: "base URL set by hand", data: `{"env":{"ANTHROPIC_BASE_URL":"http://127.0.0.1:8080"}}`, wantNote: "not set by `claude-code enable`"},
		{name: "broken and never enabled", data: `{`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := files(t)
			if !tt.absent {
				writeSettings(t, f, tt.data, 0o600)
			}
			res, err := Disable(f)
			if err != nil || !res.Nothing || res.Written {
				t.Fatalf("Disable = %+v, %v; want nothing to undo", res, err)
			}
			if notes := strings.Join(res.Notes, "\n"); !strings.Contains(notes, tt.wantNote) || tt.wantNote == "" && notes != "" {
				t.Errorf("notes %q, want %q", notes, tt.wantNote)
			}
			if !tt.absent && readFile(t, f.Settings) != tt.data {
				t.Error("the file changed")
			}
		})
	}
}

// TestFileRemovedAfterEnable: the user deleted the file enable created; a
// disable has nothing left to undo and forgets the entry.
func TestFileRemovedAfterEnable(t *testing.T) {
	t.Parallel()
	f := files(t)
	if _, err := Enable(f, Wiring{BaseURL: testURL}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(f.Settings); err != nil {
		t.Fatal(err)
	}
	res, err := Disable(f)
	if err != nil || !res.Nothing {
		t.Fatalf("Disable = %+v, %v", res, err)
	}
	if _, err := os.Stat(f.Settings); !errors.Is(err, os.ErrNotExist) {
		t.Error("disable created a file")
	}
	if _, err := os.Stat(f.Record); !errors.Is(err, os.ErrNotExist) {
		t.Error("the record kept an entry for a file that is gone")
	}
}
