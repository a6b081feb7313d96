package tray

// Toggle is an on/off setting of the user's desktop that the menu shows as
// a check item: "Use with Claude Code" (Claude Code's settings file) and
// "Start at login" (the platform's autostart entry). Its state lives in
// those files, not here, so it is read again for every rebuild: a change
// made from the command line shows too.
type Toggle struct {
	Label string
	// On reads the setting's state.
	On func() (bool, error)
	// Set changes it.
	Set func(on bool) error
}

// states reads the toggles for the menu; one that cannot be read shows off.
func states(toggles []Toggle) []ToggleState {
	out := make([]ToggleState, len(toggles))
	for i, tg := range toggles {
		on, err := tg.On()
		out[i] = ToggleState{Label: tg.Label, On: on && err == nil}
	}
	return out
}
