package assets

import (
	"bytes"
	"image/png"
	"testing"
)

// Linux trays show PNG icons only: every embedded icon must decode as one.
func TestIconsArePNG(t *testing.T) {
	for name, b := range map[string][]byte{"ok": TrayOK, "warn": TrayWarn, "limited": TrayLimited, "down": TrayDown, "app": Icon} {
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds().Dx() < 32 {
			t.Errorf("%s: %v", name, err)
		}
	}
}
