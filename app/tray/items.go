package tray

import (
	"strconv"
	"strings"
)

// Action is what clicking a menu item does; "" for a line that only informs.
type Action string

// The menu's actions. A check item's action is ToggleAction(i): the i-th of
// the tray's toggles ("Use with Claude Code", "Start at login").
const (
	ActionNone       Action = ""
	ActionAddAccount Action = "add-account"
	ActionAccounts   Action = "accounts"
	ActionUsage      Action = "usage"
	ActionSettings   Action = "settings"
	ActionCopyExport Action = "copy-export"
	ActionQuit       Action = "quit"
)

// ToggleAction is the action of the i-th toggle's check item.
func ToggleAction(i int) Action { return Action("toggle:" + strconv.Itoa(i)) }

// ToggleIndex is the toggle an action flips, if it is a toggle's.
func ToggleIndex(a Action) (int, bool) {
	s, ok := strings.CutPrefix(string(a), "toggle:")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	return i, err == nil
}

// Item is one line of the tray menu, or a separator.
type Item struct {
	Label     string
	Action    Action // ActionNone: shown disabled, as information
	Separator bool
	// Check: a check item (drawn with a checkmark); Checked its state.
	Check, Checked bool
}

// Items lays the menu out: the proxy's address and the active session,
// each account's state, then the actions.
func (m MenuModel) Items() []Item {
	info := func(s string) Item { return Item{Label: s} }
	sep := Item{Separator: true}
	items := []Item{info(m.Status), info(m.Active), sep}
	for _, line := range m.Accounts {
		items = append(items, info(line))
	}
	if len(m.Accounts) > 0 {
		items = append(items, sep)
	}
	items = append(items,
		Item{Label: "Add account…", Action: ActionAddAccount},
		Item{Label: "Accounts…", Action: ActionAccounts},
		Item{Label: "Usage…", Action: ActionUsage},
		Item{Label: "Settings…", Action: ActionSettings},
		// No underscores in tray labels: D-Bus menus read them as mnemonics.
		Item{Label: "Copy the shell line: " + exportShort(m), Action: ActionCopyExport},
		sep,
	)
	for i, tg := range m.Toggles {
		items = append(items, Item{Label: tg.Label, Action: ToggleAction(i), Check: true, Checked: tg.On})
	}
	if len(m.Toggles) > 0 {
		items = append(items, sep)
	}
	return append(items, Item{Label: "Quit", Action: ActionQuit})
}

// exportShort is the export line as a label, ANTHROPIC_BASE_URL shortened
// to keep the underscores out.
func exportShort(m MenuModel) string {
	return strings.Replace(m.Export, "ANTHROPIC_BASE_URL", "ANTHROPIC…URL", 1)
}

// Change is how the tray goes from the menu it shows to the next one.
type Change struct {
	// Rebuild: the menu's shape changed (an account came or went), so it
	// is removed and added again whole.
	Rebuild bool
	// Relabel lists the items (by index) whose label alone changed: the
	// common case (a countdown, an account's state) is one label each.
	Relabel []int
	// Recheck lists the check items (by index) whose state changed.
	Recheck []int
}

// Diff compares the menu shown (old) with the next one (cur).
func Diff(old, cur []Item) Change {
	if len(old) != len(cur) {
		return Change{Rebuild: true}
	}
	var c Change
	for i := range cur {
		if old[i].Action != cur[i].Action || old[i].Separator != cur[i].Separator || old[i].Check != cur[i].Check {
			return Change{Rebuild: true}
		}
		if old[i].Label != cur[i].Label {
			c.Relabel = append(c.Relabel, i)
		}
		if old[i].Checked != cur[i].Checked {
			c.Recheck = append(c.Recheck, i)
		}
	}
	return c
}
