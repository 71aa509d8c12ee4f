"""JSON with `//` and `/* */` comments (the experiment spec format), and
`as_number` for numbers read from JSON.

Comments are replaced by spaces (newlines kept), so the line and column of a
JSON error still point into the original file. Text inside strings is never
touched: "http://x" stays as it is.
"""
from __future__ import annotations

import json
import math
from typing import Any, Optional

from plot.cli_support import BadInput


def strip_comments(text: str) -> str:
    """Return `text` with comments outside JSON strings blanked out."""
    out = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if ch == '"':
                in_string = False
            i += 1
        elif ch == '"':
            in_string = True
            out.append(ch)
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append("".join(c if c == "\n" else " " for c in text[i:end]))
            i = end
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def loads_jsonc(text: str, source: str = "<string>") -> Any:
    """Parse JSON-with-comments; errors name `source:line:column`."""
    try:
        return json.loads(strip_comments(text))
    except json.JSONDecodeError as error:
        raise BadInput(f"{source}:{error.lineno}:{error.colno}: invalid JSON: "
                       f"{error.msg}") from None


def load_jsonc_file(path: str) -> Any:
    """Read and parse a JSON-with-comments file; errors are `BadInput`."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not UTF-8 text") from None
    return loads_jsonc(text, path)


def as_number(value: Any) -> Optional[float]:
    """A JSON value as a finite float; None for missing, bool, non-numbers."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None
