"""Reads the text gdbus prints for com.canonical.dbusmenu.GetLayout on
standard input and prints the menu's items as JSON: [[id, label, enabled], …]
(separators, which have no label, are left out). Used by .ci/smoke.sh."""
import json
import re
import sys

items = []
for m in re.finditer(r"<\((\d+), \{(.*?)\}, @av \[\]\)>", sys.stdin.read()):
    props = m.group(2)
    label = re.search(r"'label': <'((?:[^'\\]|\\.)*)'>", props)
    enabled = re.search(r"'enabled': <(true|false)>", props)
    if label:
        items.append([int(m.group(1)), label.group(1), enabled is None or enabled.group(1) == "true"])
print(json.dumps(items, ensure_ascii=False))
