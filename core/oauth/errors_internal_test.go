package oauth

import "testing"

func TestScrub(t *testing.T) {
	t.Parallel()
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	tests := []struct {
		text    string
		secrets []string
		want    string
	}{
		{"bad verifier " + verifier, []string{verifier}, "bad verifier [redacted]"},
		// A mistyped one-letter code is no secret: redacting it would mangle the text.
		{"invalid_grant: code a is wrong", []string{"a", ""}, "invalid_grant: code a is wrong"},
		{"nothing to hide", nil, "nothing to hide"},
		// The code is scrubbed like the rest, and survives: no real secret is that short.
		{"invalid_grant", []string{"a", "gr"}, "invalid_grant"},
	}
	for _, tt := range tests {
		if got := scrub(tt.text, tt.secrets...); got != tt.want {
			t.Errorf("scrub(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}
