package config

import "testing"

func TestFormatShow(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{"retention_days": 7, "upstream_url": "http://127.0.0.1:9999"}`)
	c, src, err := Load(path, envOf(map[string]string{"PORT": "9090"}), map[string]string{"host": "::1"})
	if err != nil {
		t.Fatal(err)
	}
	want := `lb_strategy         = session                (default)
session_duration_ms = 18000000               (default)
port                = 9090                   (env PORT)
host                = ::1                    (flag --host)
upstream_url        = http://127.0.0.1:9999  (file)
credential_store    = keychain               (default)
allow_remote        = false                  (default)
retention_days      = 7                      (file)
`
	if got := FormatShow(c, src); got != want {
		t.Errorf("FormatShow =\n%s\nwant\n%s", got, want)
	}
}

func TestFormatShowMissingSources(t *testing.T) {
	t.Parallel()
	got := FormatShow(Default(), nil)
	want := `lb_strategy         = session                    (default)
session_duration_ms = 18000000                   (default)
port                = 8080                       (default)
host                = 127.0.0.1                  (default)
upstream_url        = https://api.anthropic.com  (default)
credential_store    = keychain                   (default)
allow_remote        = false                      (default)
retention_days      = 30                         (default)
`
	if got != want {
		t.Errorf("FormatShow =\n%s\nwant\n%s", got, want)
	}
}
