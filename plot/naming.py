"""Names shown to people: point names, swept-key units, axis labels.

Metric titles and units are not here: they come from the run's metric
catalogue (plot/catalogue.py).
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, Mapping, Optional

SHORT_PREFIXES = ("server.", "load.")

# Swept keys whose values carry a unit.
KEY_UNITS = {"read_buffer": "bytes", "message_bytes": "bytes",
             "duration_s": "s", "warmup_s": "s", "interval_ms": "ms"}


def short_key(key: str) -> str:
    """`server.threads` -> `threads`; other prefixes (timing.) are kept."""
    for prefix in SHORT_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def display_keys(keys: Iterable[str]) -> Dict[str, str]:
    """key -> how a name shows it: the short key, or the full key where two
    keys share a short one (server.threads and load.threads)."""
    keys = list(dict.fromkeys(keys))
    shorts = [short_key(k) for k in keys]
    return {k: (k if shorts.count(s) > 1 else s)
            for k, s in zip(keys, shorts)}


def format_value(value: Any) -> str:
    """A config value as a person writes it: true, 4, 0.5, pu:1."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # 1600000.0 -> 1600000 (not 1.6e+06): a rate reads as typed.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 \
            else f"{value:g}"
    if value is None:
        return "-"
    return str(value)


def format_axis_value(key: str, value: Any) -> str:
    """Tick text for a swept value: byte sizes as KiB/MiB when exact."""
    if KEY_UNITS.get(key.rsplit(".", 1)[-1]) == "bytes" and \
            isinstance(value, (int, float)) and value >= 1024:
        for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
            if value % size == 0:
                return f"{int(value // size)} {unit}"
    return format_value(value)


def point_display_name(label: str, varied: Mapping[str, Any]) -> str:
    """The label if set, else `key=value, key=value` of the varied keys."""
    if label:
        return label
    shown = display_keys(varied)
    return ", ".join(f"{shown[k]}={format_value(v)}"
                     for k, v in varied.items())


def key_axis_label(key: str) -> str:
    """`server.read_buffer` -> `server read_buffer (bytes)`."""
    text = key.replace(".", " ")
    unit = KEY_UNITS.get(key.rsplit(".", 1)[-1])
    return f"{text} ({unit})" if unit else text


def lookup(tree: Mapping[str, Any], dotted_key: str) -> Optional[Any]:
    """`lookup(config, "server.threads")`; None when any part is missing."""
    node: Any = tree
    for part in dotted_key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node
