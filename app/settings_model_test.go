package app

import (
	"errors"
	"testing"

	"github.com/claudeflare/claudeflare/core/config"
)

func TestSettingsPatch(t *testing.T) {
	t.Parallel()
	cur := config.Default()
	none := config.Sources{}
	tests := []struct {
		name      string
		change    func(*SettingsForm)
		src       config.Sources
		wantPatch map[string]string
		wantErr   string // field with an error
	}{
		{name: "unchanged saves nothing", change: func(*SettingsForm) {}, wantPatch: map[string]string{}},
		{name: "port", change: func(f *SettingsForm) { f.Port = " 9090 " }, wantPatch: map[string]string{"port": "9090"}},
		{name: "bad port", change: func(f *SettingsForm) { f.Port = "80000" }, wantErr: FieldPort},
		{name: "port not a number", change: func(f *SettingsForm) { f.Port = "eighty" }, wantErr: FieldPort},
		{name: "session 1h30", change: func(f *SettingsForm) { f.Hours, f.Minutes = "1", "30" }, wantPatch: map[string]string{"session_duration_ms": "5400000"}},
		{name: "session too long", change: func(f *SettingsForm) { f.Hours = "200" }, wantErr: FieldSession},
		{name: "session zero", change: func(f *SettingsForm) { f.Hours, f.Minutes = "0", "0" }, wantErr: FieldSession},
		{name: "minutes out of range", change: func(f *SettingsForm) { f.Minutes = "75" }, wantErr: FieldSession},
		{name: "remote host needs allow_remote", change: func(f *SettingsForm) { f.Host = "0.0.0.0" }, wantErr: FieldHost},
		{name: "hostname refused", change: func(f *SettingsForm) { f.Host = "example.com" }, wantErr: FieldHost},
		{name: "file store", change: func(f *SettingsForm) { f.CredentialStore = "file" }, wantPatch: map[string]string{"credential_store": `"file"`}},
		{name: "retention", change: func(f *SettingsForm) { f.RetentionDays = "0" }, wantErr: FieldRetention},
		{name: "env-locked field is never saved", change: func(f *SettingsForm) { f.Port = "1" },
			src: config.Sources{"port": config.SourceEnv}, wantPatch: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := FormFrom(cur)
			tt.change(&f)
			src := tt.src
			if src == nil {
				src = none
			}
			patch, errs := f.Patch(cur, src)
			if tt.wantErr != "" {
				if errs[tt.wantErr] == "" || patch != nil {
					t.Fatalf("errors %v patch %v; want an error on %s and nothing to save", errs, patch, tt.wantErr)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("errors %v", errs)
			}
			if len(patch) != len(tt.wantPatch) {
				t.Fatalf("patch %v, want %v", patch, tt.wantPatch)
			}
			for k, v := range tt.wantPatch {
				if string(patch[k]) != v {
					t.Errorf("patch[%s] = %s, want %s", k, patch[k], v)
				}
			}
		})
	}
}

func TestFormFromAndLocked(t *testing.T) {
	t.Parallel()
	c := config.Default()
	c.SessionDurationMS = 2*3600000 + 15*60000
	f := FormFrom(c)
	if f.Hours != "2" || f.Minutes != "15" || f.Port != "8080" {
		t.Errorf("%+v", f)
	}
	l := Locked(config.Sources{"port": config.SourceEnv, "host": config.SourceFile, "session_duration_ms": config.SourceFlag})
	if l["port"] != "set by PORT" || l["host"] != "" || l["session_duration_ms"] == "" {
		t.Errorf("%v", l)
	}
}

func TestFieldErrors(t *testing.T) {
	t.Parallel()
	if e := FieldErrors(&config.Error{Key: "port", Rule: "bad"}); e["port"] != "bad" {
		t.Errorf("%v", e)
	}
	if e := FieldErrors(&config.EnvOverrideError{Key: "port", Var: "PORT"}); e["port"] != "set by PORT" {
		t.Errorf("%v", e)
	}
	if e := FieldErrors(errors.New("disk full")); e[""] != "disk full" {
		t.Errorf("%v", e)
	}
}
