"""Colours: one fixed colour per known server model, the same in every chart."""
from __future__ import annotations

from typing import Dict, Iterable, List

# Fixed for the models of docs/DESIGN.md, so a model looks the same in every run.
MODEL_COLOURS: Dict[str, str] = {
    "single_thread": "#1f77b4",          # blue
    "shared_listener": "#d62728",        # red
    "acceptor_workers": "#2ca02c",       # green
    "reuseport": "#9467bd",              # purple
    "thread_per_connection": "#8c564b",  # brown
    "dispatch_pool": "#ff7f0e",          # orange
    "io_uring": "#17becf",               # cyan
    "external": "#7f7f7f",               # grey
    "blocking_pool": "#8c6d31",          # ochre
}

# For anything else (unknown models, micro-benchmark placements).
EXTRA_COLOURS: List[str] = [
    "#e377c2", "#bcbd22", "#393b79", "#637939", "#843c39",
    "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363",
]

GENERIC_COLOURS: List[str] = list(MODEL_COLOURS.values()) + EXTRA_COLOURS


class ModelColours:
    """Colour per model name: fixed for known models, palette for others.

    Unknown models get palette colours in sorted-name order, so the mapping
    depends only on the set of models in a run, not on chart order.
    """

    def __init__(self, models: Iterable[str]):
        self._colours = dict(MODEL_COLOURS)
        unknown = sorted(set(models) - set(MODEL_COLOURS))
        for index, model in enumerate(unknown):
            self._colours[model] = EXTRA_COLOURS[index % len(EXTRA_COLOURS)]

    def __call__(self, model: str) -> str:
        return self._colours.get(model, "#000000")


def colours_for(names: Iterable[str]) -> Dict[str, str]:
    """Distinct colours for arbitrary names, in the order given."""
    return {name: GENERIC_COLOURS[i % len(GENERIC_COLOURS)]
            for i, name in enumerate(names)}
