package tray

import "strings"

// Action is what clicking a menu item does; "" for a line that only informs.
type Action string

// The menu's actions. Issue 14 adds check items ("Use with Claude Code",
// "Start at login"): an Action each and a Check field on Item, drawn with
// systray.AddMenuItemCheckbox.
const (
	ActionNone       Action = ""
	ActionAddAccount Action = "add-account"
	ActionAccounts   Action = "accounts"
	ActionUsage      Action = "usage"
	ActionSettings   Action = "settings"
	ActionCopyExport Action = "copy-export"
	ActionQuit       Action = "quit"
)

// Item is one line of the tray menu, or a separator.
type Item struct {
	Label     string
	Action    Action // ActionNone: shown disabled, as information
	Separator bool
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
	return append(items,
		Item{Label: "Add account…", Action: ActionAddAccount},
		Item{Label: "Accounts…", Action: ActionAccounts},
		Item{Label: "Usage…", Action: ActionUsage},
		Item{Label: "Settings…", Action: ActionSettings},
		// No underscores in tray labels: D-Bus menus read them as mnemonics.
		Item{Label: "Copy the shell line: " + exportShort(m), Action: ActionCopyExport},
		sep,
		Item{Label: "Quit", Action: ActionQuit},
	)
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
}

// Diff compares the menu shown (old) with the next one (cur).
func Diff(old, cur []Item) Change {
	if len(old) != len(cur) {
		return Change{Rebuild: true}
	}
	var c Change
	for i := range cur {
		if old[i].Action != cur[i].Action || old[i].Separator != cur[i].Separator {
			return Change{Rebuild: true}
		}
		if old[i].Label != cur[i].Label {
			c.Relabel = append(c.Relabel, i)
		}
	}
	return c
}
