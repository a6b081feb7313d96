"""Reads the text gdbus prints for com.canonical.dbusmenu.GetLayout on
standard input and prints the menu's items as JSON: [[id, label, enabled,
mark], …], mark being null for a plain item and 0 or 1 for a check item
(separators, which have no label, are left out). Used by .ci/smoke.sh."""
import json
import re
import sys

items = []
for m in re.finditer(r"<\((\d+), \{(.*?)\}, @av \[\]\)>", sys.stdin.read()):
    props = m.group(2)
    label = re.search(r"'label': <'((?:[^'\\]|\\.)*)'>", props)
    enabled = re.search(r"'enabled': <(true|false)>", props)
    check = re.search(r"'toggle-type': <'checkmark'>", props)
    state = re.search(r"'toggle-state': <(\d+)>", props)
    mark = (int(state.group(1)) if state else 0) if check else None
    if label:
        items.append([int(m.group(1)), label.group(1), enabled is None or enabled.group(1) == "true", mark])
print(json.dumps(items, ensure_ascii=False))
