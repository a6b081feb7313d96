package main

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestParseRefusesBadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		says string
	}{
		{"argument", []string{"extra"}, "unexpected argument"},
		{"bad concurrency", []string{"-c", "1,x"}, "-c"},
		{"zero concurrency", []string{"-c", "0"}, "-c"},
		{"nothing to bound the run", []string{"-duration", "0"}, "-duration or -requests"},
		{"both proxies", []string{"-proxy-bin", "/tmp/cf", "-proxy", "http://127.0.0.1:1"}, "exclude"},
		{"external proxy without upstream", []string{"-proxy", "http://127.0.0.1:1"}, "-upstream"},
		{"upstream without proxy", []string{"-upstream", "http://127.0.0.1:2"}, "go with -proxy"},
		{"remote proxy", []string{"-proxy", "http://10.0.0.1:8080", "-upstream", "http://127.0.0.1:2", "-upstream-key", "k"}, "loopback"},
		{"soak of an external proxy without pid", []string{"-soak", "-proxy", "http://127.0.0.1:1", "-upstream", "http://127.0.0.1:2", "-upstream-key", "k"}, "-pid"},
		{"tiny body", []string{"-body", "10"}, "-body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse(tt.args, io.Discard)
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("parse(%q) = %v, want a usage error mentioning %q", tt.args, err, tt.says)
			}
		})
	}
}

func TestParseSoakDefaultsToAHundredThousand(t *testing.T) {
	t.Parallel()
	o, err := parse([]string{"-soak"}, io.Discard)
	if err != nil || o.requests != 100_000 {
		t.Errorf("parse(-soak) = %d requests, %v; want 100000", o.requests, err)
	}
}

// A tiny in-process run prints every table; how fast it went is not looked at.
func TestRunInProcess(t *testing.T) {
	var out strings.Builder
	err := run(t.Context(), []string{"-requests", "20", "-streams", "2", "-c", "1,32", "-rounds", "2",
		"-chunks", "2", "-event-delay", "1ms", "-stream-c", "2"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"### Non-streaming POST /v1/messages", "| 32 | proxied | 20 | 0 |",
		"### Streams (2 deltas, 1ms apart, 2 in flight)", "| proxied | 2 | 0 |",
		"| 32 | floor | 20 | 0 |", "| floor | 2 | 0 |",
		"| cfload (generator + fake + proxy + floor) |", "### Against the targets",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunSoakInProcess(t *testing.T) {
	var out strings.Builder
	err := run(t.Context(), []string{"-soak", "-requests", "60", "-soak-c", "4", "-batches", "3"}, &out, io.Discard)
	if err != nil && !errors.Is(err, errGrew) {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "### Soak") || strings.Count(out.String(), "\n| 20 |")+strings.Count(out.String(), "\n| 60 |") != 2 {
		t.Errorf("soak table missing or wrong:\n%s", out.String())
	}
}
