package claudecode

import (
	"testing"
)

func TestInspect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		data   string
		absent bool
		enable *Wiring
		want   State
	}{
		{name: "no file", absent: true, want: State{}},
		{name: "not wired", data: `{"model":"opus"}`, want: State{Exists: true}},
		{name: "set by hand", data: `{"env":{"ANTHROPIC_BASE_URL":"http://h:1","ANTHROPIC_API_KEY":"k"}}`,
			want: State{Exists: true, BaseURL: "http://h:1", Credential: "ANTHROPIC_API_KEY"}},
		{name: "enabled", data: `{}`, enable: &Wiring{BaseURL: testURL},
			want: State{Exists: true, BaseURL: testURL, ByEnable: true, Placeholder: true}},
		{name: "enabled with status line", data: `{"env":{"CLAUDE_CODE_OAUTH_TOKEN":"t"}}`, enable: &Wiring{BaseURL: testURL, StatusLine: "cf statusline"},
			want: State{Exists: true, BaseURL: testURL, ByEnable: true, Credential: "CLAUDE_CODE_OAUTH_TOKEN", StatusLine: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := files(t)
			if !tt.absent {
				writeSettings(t, f, tt.data, 0o600)
			}
			if tt.enable != nil {
				if _, err := Enable(f, *tt.enable); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Inspect(f)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Settings = f.Settings
			if got != tt.want {
				t.Errorf("Inspect = %+v\nwant      %+v", got, tt.want)
			}
		})
	}
}
