package tray

import (
	"fyne.io/systray"
)

// sysMenu draws the tray with fyne.io/systray, the Fyne project's tray
// library without Fyne's GL driver (docs/DESIGN.md, "The tray and its
// windows"). Only the loop's goroutine calls it.
type sysMenu struct {
	icons   map[Health][]byte
	onClick func(Action)
	items   []*systray.MenuItem // as the items shown; nil for a separator
}

func (m *sysMenu) SetIcon(h Health) { systray.SetIcon(m.icons[h]) }

// Show changes only the labels that changed when it can (a countdown is one
// D-Bus signal); a menu whose shape changed is removed and added again,
// since systray adds items only at the end.
func (m *sysMenu) Show(items []Item, c Change) {
	if !c.Rebuild {
		for _, i := range c.Relabel {
			m.items[i].SetTitle(items[i].Label)
		}
		for _, i := range c.Recheck {
			setChecked(m.items[i], items[i].Checked)
		}
		return
	}
	systray.ResetMenu()
	m.items = m.items[:0]
	for _, it := range items {
		if it.Separator {
			systray.AddSeparator()
			m.items = append(m.items, nil)
			continue
		}
		var mi *systray.MenuItem
		if it.Check {
			mi = systray.AddMenuItemCheckbox(it.Label, "", it.Checked)
		} else {
			mi = systray.AddMenuItem(it.Label, "")
		}
		if it.Action == ActionNone {
			mi.Disable()
		} else {
			go m.follow(mi, it.Action)
		}
		m.items = append(m.items, mi)
	}
}

// follow runs the item's action on each click, until ResetMenu removes the
// item and closes its channel. A click while the action still runs (a
// window starting) is dropped by systray, which never waits.
func (m *sysMenu) follow(mi *systray.MenuItem, a Action) {
	for range mi.ClickedCh {
		m.onClick(a)
	}
}

func setChecked(mi *systray.MenuItem, on bool) {
	if on {
		mi.Check()
	} else {
		mi.Uncheck()
	}
}

// noMenu is the tray where there is none (no session bus): the loop still
// runs for its notifications.
type noMenu struct{}

func (noMenu) SetIcon(Health)      {}
func (noMenu) Show([]Item, Change) {}
