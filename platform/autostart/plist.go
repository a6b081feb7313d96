package autostart

import (
	"encoding/xml"
	"io"
	"strings"
)

// The property list of a macOS LaunchAgent (launchd.plist(5)).

// launchAgent renders a LaunchAgent that runs command when the user logs in.
// ProcessType Interactive: it is an app the user works with, not a
// background job launchd may throttle.
func launchAgent(command []string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + xmlText(ID) + `</string>
	<key>ProgramArguments</key>
	<array>
`)
	for _, a := range command {
		b.WriteString("\t\t<string>" + xmlText(a) + "</string>\n")
	}
	b.WriteString(`	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`)
	return b.String()
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// parseLaunchAgent reads the ProgramArguments (or Program) of a LaunchAgent,
// and whether it is Disabled. It reads the top-level dict only.
func parseLaunchAgent(data string) (command []string, disabled bool) {
	d := xml.NewDecoder(strings.NewReader(data))
	depth := 0      // element depth; the top dict is at 2 (plist, dict)
	key := ""       // the last <key> of the top dict
	inArgs := false // inside ProgramArguments' <array>
	program := ""   // the Program key, used when there are no ProgramArguments
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF || err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			text.Reset()
			if depth == 3 && t.Name.Local == "array" && key == "ProgramArguments" {
				inArgs = true
			}
			if depth == 3 && key == "Disabled" && t.Name.Local == "true" {
				disabled = true
			}
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			switch {
			case depth == 3 && t.Name.Local == "key":
				key = text.String()
			case depth == 3 && t.Name.Local == "array":
				inArgs = false
			case depth == 4 && inArgs && t.Name.Local == "string":
				command = append(command, text.String())
			case depth == 3 && t.Name.Local == "string" && key == "Program":
				program = text.String()
			}
			depth--
		}
	}
	if len(command) == 0 && program != "" {
		command = []string{program}
	}
	return command, disabled
}
