package claudecode

import "testing"

func TestDetectStyle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		want style
	}{
		{"two spaces, newline", "{\n  \"a\": [\n    1\n  ]\n}\n", style{canonical: true, indent: "  ", trailing: "\n"}},
		{"four spaces", "{\n    \"a\": 1\n}", style{canonical: true, indent: "    "}},
		{"tabs", "{\n\t\"a\": {\n\t\t\"b\": 1\n\t}\n}\n\n", style{canonical: true, indent: "\t", trailing: "\n\n"}},
		{"compact", `{"a":[1,2],"b":{}}`, style{canonical: true}},
		{"empty", "{}\n", style{canonical: true, indent: "  ", trailing: "\n"}},
		{"empty with space", "{ \n }", style{canonical: true, indent: "  "}},
		{"array on one line", "{\n  \"a\": [1, 2]\n}\n", style{trailing: "\n"}},
		{"space before colon", "{\n  \"a\" : 1\n}", style{}},
		{"CRLF", "{\r\n  \"a\": 1\r\n}\r\n", style{trailing: "\r\n"}},
		{"leading space", " {\"a\":1}", style{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := detectStyle([]byte(tt.data)); got != tt.want {
				t.Errorf("detectStyle(%q) = %+v, want %+v", tt.data, got, tt.want)
			}
		})
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	edited := `{"a":1,"env":{"X":"y"}}`
	tests := []struct {
		name  string
		style style
		text  string
		want  string
	}{
		{"indented", style{canonical: true, indent: "  ", trailing: "\n"}, edited, "{\n  \"a\": 1,\n  \"env\": {\n    \"X\": \"y\"\n  }\n}\n"},
		{"compact", style{canonical: true}, "{\"a\": 1}", `{"a":1}`},
		{"kept as edited", style{trailing: "\n"}, "{ \"a\" : 1 ,\"env\":{}}  ", "{ \"a\" : 1 ,\"env\":{}}\n"},
		{"strings untouched", style{canonical: true, indent: "  "}, `{"s":"a  b\u00e9 ,:{"}`, "{\n  \"s\": \"a  b\\u00e9 ,:{\"\n}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := string(tt.style.render(tt.text)); got != tt.want {
				t.Errorf("render = %q, want %q", got, tt.want)
			}
		})
	}
}
