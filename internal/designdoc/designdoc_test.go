// Package designdoc checks that the code's citations of docs/DESIGN.md name
// sections that exist: a comment that sends a reader to a section nobody
// wrote explains nothing.
package designdoc

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	heading  = regexp.MustCompile(`(?m)^#{2,4} (.+)$`)
	citation = regexp.MustCompile(`docs/DESIGN\.md, "([^"]+)"(?:(?:,| and) "([^"]+)")?`)
	// commentBreak joins a comment continued on the next line.
	commentBreak = regexp.MustCompile(`\n\s*//\s*`)
)

func TestCitationsNameSections(t *testing.T) {
	root := "../.."
	doc, err := os.ReadFile(filepath.Join(root, "docs", "DESIGN.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]bool{}
	for _, m := range heading.FindAllStringSubmatch(string(doc), -1) {
		sections[strings.TrimSpace(m[1])] = true
	}
	cited := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		text := commentBreak.ReplaceAllString(string(b), " ")
		for _, m := range citation.FindAllStringSubmatch(text, -1) {
			for _, name := range m[1:] {
				if name == "" {
					continue
				}
				cited++
				if !sections[name] {
					t.Errorf("%s cites docs/DESIGN.md, %q: no such section", path, name)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cited < 20 {
		t.Errorf("only %d citations found: is the pattern still right?", cited)
	}
}
