"""Write a walkthrough back to TOML: the editor's Download.

The schema uses only text, numbers, booleans, lists of those, and tables of them
(`set`, `compare`, `[steps.question]`, `[steps.explore]`), so a serializer for
exactly those types is a few lines and needs no package. `parse(dumps(data))`
reads back what `data` says (a test round-trips every shipped file).
"""
from __future__ import annotations

import json
import math
import re

BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
HEADER_KEYS = ("title", "source", "description")
SUBTABLES = ("question", "explore")           # written as [steps.<name>] under their step


def dumps(data: dict) -> str:
    """A walkthrough (as tomllib reads it: title, source, description, steps) as TOML text."""
    lines = [f"{_key(k)} = {_value(data[k])}" for k in HEADER_KEYS if data.get(k)]
    for step in data.get("steps", []):
        lines += ["", "[[steps]]"]
        lines += [f"{_key(k)} = {_value(v)}" for k, v in step.items()
                  if k not in SUBTABLES and v not in (None, "")]
        for name in SUBTABLES:
            if step.get(name):
                lines.append(f"[steps.{name}]")
                lines += [f"{_key(k)} = {_value(v)}" for k, v in step[name].items()
                          if v not in (None, "")]
    return "\n".join(lines) + "\n"


def _key(key) -> str:
    key = str(key)
    return key if BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    # A JSON string is a TOML basic string, but for DEL, which TOML wants escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }" \
            if value else "{}"
    raise TypeError(f"a walkthrough holds no {type(value).__name__}")
