package oauth

import "testing"

func TestParsePasted(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in          string
		code, state string
		ok          bool
	}{
		{"abc#def", "abc", "def", true},
		{"  abc#def\r\n", "abc", "def", true},
		{"https://platform.claude.com/oauth/code/callback?code=abc&state=def", "abc", "def", true},
		{"http://localhost:54545/callback?code=abc&state=def", "abc", "def", true},
		{"abc", "", "", false},
		{"abc#", "", "", false},
		{"#def", "", "", false},
		{"a b#def", "", "", false},
		{"abc#def#ghi", "", "", false},
		{"", "", "", false},
	}
	for _, c := range cases {
		code, state, ok := parsePasted(c.in)
		if code != c.code || state != c.state || ok != c.ok {
			t.Errorf("parsePasted(%q) = %q, %q, %v", c.in, code, state, ok)
		}
	}
}
