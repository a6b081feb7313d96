package creds

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// A Secret printed by mistake, in any of Go's usual ways, shows nothing.
func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	s := Secret{APIKey: "sk-ant-api03-xyz", AccessToken: "sk-ant-oat01-abc", RefreshToken: "sk-ant-ort01-def"}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "secret", s)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "secret", s)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), logged.String()} {
		if strings.Contains(out, "sk-ant") {
			t.Fatalf("secret leaked: %s", out)
		}
	}
}

func TestUnavailableErrorNamesBothRemedies(t *testing.T) {
	t.Parallel()
	err := UnavailableError(errors.New("dbus: no session bus"))
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "keychain") ||
		!strings.Contains(err.Error(), "credential_store file") || !strings.Contains(err.Error(), "no session bus") {
		t.Fatalf("%v", err)
	}
}
