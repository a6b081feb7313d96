package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/claudeflare/claudeflare/core/config"
)

// StrategyReason tells users why only the session strategy is offered.
const StrategyReason = "Claudeflare keeps one account for a whole session: Claude Code's prompt cache " +
	"is per account, subscription limits are counted in 5-hour windows, and hopping between " +
	"accounts on every request looks like account sharing. Failover still happens at once."

// SettingsForm is the settings window's state as text, the way the user
// types it. It converts to a config patch and maps errors to fields.
type SettingsForm struct {
	Port            string
	Host            string
	Hours           string
	Minutes         string
	Strategy        string
	CredentialStore string
	RetentionDays   string
}

// Field names of the form; session_duration_ms shows on Hours/Minutes.
const (
	FieldPort            = config.KeyPort
	FieldHost            = config.KeyHost
	FieldSession         = config.KeySessionDurationMS
	FieldStrategy        = config.KeyLBStrategy
	FieldCredentialStore = config.KeyCredentialStore
	FieldRetention       = config.KeyRetentionDays
)

// FormFrom fills a form from the running configuration.
func FormFrom(c config.Config) SettingsForm {
	total := c.SessionDurationMS / 60000
	return SettingsForm{
		Port:            strconv.Itoa(c.Port),
		Host:            c.Host,
		Hours:           strconv.FormatInt(total/60, 10),
		Minutes:         strconv.FormatInt(total%60, 10),
		Strategy:        c.LBStrategy,
		CredentialStore: c.CredentialStore,
		RetentionDays:   strconv.Itoa(c.RetentionDays),
	}
}

// Locked names, per field, the environment variable that sets it (the
// field is then read-only), for the keys whose source is env or flag.
func Locked(src config.Sources) map[string]string {
	out := map[string]string{}
	for key, s := range src {
		switch s {
		case config.SourceEnv:
			out[key] = "set by " + config.EnvVar(key)
		case config.SourceFlag:
			out[key] = "set on the command line"
		}
	}
	return out
}

// Patch returns the keys that differ from cur, validated, and the errors
// per field. Nothing is returned to save when any field is wrong.
func (f SettingsForm) Patch(cur config.Config, src config.Sources) (map[string]json.RawMessage, map[string]string) {
	errs := map[string]string{}
	patch := map[string]json.RawMessage{}
	locked := Locked(src)
	want := map[string]string{
		FieldPort: strings.TrimSpace(f.Port), FieldHost: strings.TrimSpace(f.Host),
		FieldStrategy: f.Strategy, FieldCredentialStore: f.CredentialStore, FieldRetention: strings.TrimSpace(f.RetentionDays),
	}
	if ms, err := durationMS(f.Hours, f.Minutes); err != nil {
		errs[FieldSession] = err.Error()
	} else {
		want[FieldSession] = strconv.FormatInt(ms, 10)
	}
	now := FormFrom(cur)
	have := map[string]string{
		FieldPort: now.Port, FieldHost: now.Host, FieldStrategy: now.Strategy, FieldCredentialStore: now.CredentialStore,
		FieldRetention: now.RetentionDays, FieldSession: strconv.FormatInt(cur.SessionDurationMS, 10),
	}
	for key, text := range want {
		if text == have[key] || locked[key] != "" {
			continue
		}
		raw, err := config.ParseValue(key, text)
		if err != nil {
			errs[key] = ruleOf(err)
			continue
		}
		if rule := checkKey(cur, key, raw); rule != "" {
			errs[key] = rule
			continue
		}
		patch[key] = raw
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return patch, nil
}

// checkKey validates one new value against the rest of the running config.
func checkKey(cur config.Config, key string, raw json.RawMessage) string {
	b, _ := json.Marshal(cur)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	m[key] = raw
	b, _ = json.Marshal(m)
	var next config.Config
	if err := json.Unmarshal(b, &next); err != nil {
		return "wrong type of value"
	}
	var ce *config.Error
	if err := next.Validate(); errors.As(err, &ce) && ce.Key == key {
		return ce.Rule
	}
	return ""
}

// FieldErrors maps an error from saving to the field it concerns ("" when
// it concerns none: show it at the bottom).
func FieldErrors(err error) map[string]string {
	var ce *config.Error
	var env *config.EnvOverrideError
	switch {
	case errors.As(err, &ce):
		return map[string]string{ce.Key: ce.Rule}
	case errors.As(err, &env):
		return map[string]string{env.Key: "set by " + env.Var}
	}
	return map[string]string{"": err.Error()}
}

func ruleOf(err error) string {
	var ce *config.Error
	if errors.As(err, &ce) {
		return ce.Rule
	}
	return err.Error()
}

// durationMS reads hours and minutes as whole numbers.
func durationMS(hours, minutes string) (int64, error) {
	h, err := strconv.ParseInt(strings.TrimSpace(hours), 10, 64)
	if err != nil || h < 0 {
		return 0, fmt.Errorf("hours must be a whole number, got %q", hours)
	}
	m, err := strconv.ParseInt(strings.TrimSpace(minutes), 10, 64)
	if err != nil || m < 0 || m > 59 {
		return 0, fmt.Errorf("minutes must be a whole number from 0 to 59, got %q", minutes)
	}
	ms := (h*60 + m) * 60000
	if lo, hi, hint, _ := config.Range(config.KeySessionDurationMS); ms < lo || ms > hi {
		return 0, fmt.Errorf("a session lasts from %s", hint)
	}
	return ms, nil
}
