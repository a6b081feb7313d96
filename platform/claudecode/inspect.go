package claudecode

// State is how a settings file stands towards Claudeflare.
type State struct {
	// Settings is the file's absolute path; Exists, whether it exists.
	Settings string
	Exists   bool
	// BaseURL is its env.ANTHROPIC_BASE_URL ("" when not set).
	BaseURL string
	// ByEnable: BaseURL is the one `claude-code enable` wrote.
	ByEnable bool
	// Placeholder: enable's placeholder credential is in place.
	Placeholder bool
	// Credential is the credential variable the user's env block sets itself ("" if none).
	Credential string
	// StatusLine: enable's statusLine is in place.
	StatusLine bool
}

// Inspect reads how the settings file stands; it changes nothing.
func Inspect(f Files) (State, error) {
	st, err := open(f.Settings)
	if err != nil {
		return State{}, err
	}
	rec, err := loadRecord(f.Record)
	if err != nil {
		return State{}, err
	}
	s := State{Settings: st.path, Exists: st.exists}
	if !st.exists {
		return s, nil
	}
	s.BaseURL = st.doc.get(keyBaseURL).String()
	e, recorded := rec.Settings[st.path]
	ours := func(path string) bool {
		c := e.find(path)
		cur := st.doc.get(path)
		return recorded && c != nil && cur.Exists() && sameJSON(cur.Raw, string(c.Value))
	}
	s.ByEnable = ours(keyBaseURL)
	s.Placeholder = ours(keyOAuthToken)
	s.StatusLine = ours(keyStatusLine)
	ed := edited{text: st.doc.text}
	if recorded {
		ed.entry = e
	}
	if !s.Placeholder {
		ed.entry.drop(keyOAuthToken)
	}
	s.Credential = ed.userCredential()
	return s, nil
}
