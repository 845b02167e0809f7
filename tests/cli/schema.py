#!/usr/bin/env python3
"""tests/cli/schema.py DEF [--lines] < JSON: validate rtctl's --json output
against #/$defs/DEF of docs/schema/rtctl.schema.json (every error printed,
exit 1); --lines: one JSON document a line (rtctl stats --json)."""
import json
import os
import sys

import jsonschema

top = os.environ.get("TOP") or os.path.join(os.path.dirname(__file__), "..", "..")
with open(os.path.join(top, "docs", "schema", "rtctl.schema.json")) as f:
    full = json.load(f)
schema = dict(full)
schema["$ref"] = "#/$defs/" + sys.argv[1]
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
validator = cls(schema)
text = sys.stdin.read()
docs = [json.loads(l) for l in text.splitlines() if l.strip()] if "--lines" in sys.argv[2:] else [json.loads(text)]
if not docs:
    print("no JSON at all", file=sys.stderr)
    sys.exit(1)
bad = 0
for d in docs:
    for e in validator.iter_errors(d):
        bad += 1
        print("%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(top)", e.message), file=sys.stderr)
sys.exit(1 if bad else 0)
