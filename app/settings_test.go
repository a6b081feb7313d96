package app

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/claudeflare/claudeflare/core/client"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/view"
)

// managerCore answers the configuration verbs from a config manager, with
// the engine's refusals (a bad value is a *config.Error, 400).
type managerCore struct{ m *config.Manager }

func (c managerCore) Config(context.Context) (view.Config, error) {
	return view.Config{Config: c.m.Get(), Sources: c.m.Sources()}, nil
}

func (c managerCore) PatchConfig(_ context.Context, patch map[string]json.RawMessage) (view.Config, error) {
	cfg, err := c.m.Patch(patch)
	if err != nil {
		return view.Config{}, client.Refusal(http.StatusBadRequest, err)
	}
	return view.Config{Config: cfg, Sources: c.m.Sources()}, nil
}

func newSettingsForTest(t *testing.T, env map[string]string) (*settingsView, *config.Manager, string) {
	t.Helper()
	test.NewTempApp(t)
	path := filepath.Join(t.TempDir(), "config.json")
	m, err := config.NewManager(path, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := newSettingsView(managerCore{m}, func(f func()) { f() })
	w := test.NewTempWindow(t, v.root)
	_ = w
	return v, m, path
}

func TestSettingsBadPortShowsErrorAndWritesNothing(t *testing.T) {
	v, m, path := newSettingsForTest(t, nil)
	v.port.SetText("")
	test.Type(v.port, "99999")
	v.save()
	if !strings.Contains(v.errs[FieldPort].Text, "65535") {
		t.Fatalf("port error %q", v.errs[FieldPort].Text)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("config.json was written: %v", err)
	}
	if m.Get().Port != 8080 {
		t.Fatal("the running config changed")
	}
}

func TestSettingsGoodSaveWritesAndApplies(t *testing.T) {
	v, m, path := newSettingsForTest(t, nil)
	applied := make(chan config.Config, 1)
	m.Subscribe(func(_, c config.Config) { applied <- c })
	v.hours.SetText("1")
	v.minutes.SetText("30")
	v.port.SetText("9191")
	v.save()
	if v.status.Text != "Saved and applied." {
		t.Fatalf("status %q, errors %q", v.status.Text, v.errs[""].Text)
	}
	c := <-applied
	if c.Port != 9191 || c.SessionDurationMS != 5400000 {
		t.Fatalf("applied %+v", c)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `"port": 9191`) && !strings.Contains(string(b), `"port":9191`) {
		t.Fatalf("config.json: %s", b)
	}
}

func TestSettingsEnvLockedFieldIsReadOnly(t *testing.T) {
	v, _, _ := newSettingsForTest(t, map[string]string{"PORT": "7000"})
	if !v.port.Disabled() || v.errs[FieldPort].Text != "set by PORT" || v.port.Text != "7000" {
		t.Fatalf("disabled %v, note %q, text %q", v.port.Disabled(), v.errs[FieldPort].Text, v.port.Text)
	}
}
