#!/usr/bin/env python3
"""Change the tier of every 100th tenant of a synthetic environment file (for the diff bench).

usage: rotate_tiers.py FILE TIER=NEXT...   e.g. rotate_tiers.py prod.yaml small=medium medium=large large=small
"""
import re
import sys

path, pairs = sys.argv[1], dict(p.split("=") for p in sys.argv[2:])
text = open(path).read()
text = re.sub(r"(team-\d*00:\n      tier: )(\w+)", lambda m: m.group(1) + pairs.get(m.group(2), m.group(2)), text)
open(path, "w").write(text)
