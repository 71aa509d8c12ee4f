"""Spec-case annotations of a run: which cases state a hypothesis, and what
each case says about itself.

A spec case may carry, besides its label and config keys, the annotations
`hypothesis` (one line), `baseline` (the label of the like-for-like case),
`mechanism` (a catalogue metric that shows the mechanism), `expect`
({metric: value} or {metric: {"min", "max"}}) and `predicts` ({metric:
"higher" | "lower"}: what the hypothesis says the case does against its
baseline). The runner copies them into every trial of the case; a run
whose trials lack one (an older echolab) gets it from spec.json's case of
the same label.

Standard library only (no matplotlib), so `plot/verdicts.py` starts fast.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from plot.rundir import ANNOTATIONS, MAPPING_ANNOTATIONS


def case_annotations(run: Any) -> Dict[str, Dict[str, Any]]:
    """label -> annotations of the spec's cases, in spec order."""
    found: Dict[str, Dict[str, Any]] = {}
    for case in run.spec.get("cases") or []:
        if isinstance(case, dict) and isinstance(case.get("label"), str):
            found.setdefault(case["label"], {
                k: case[k] for k in ANNOTATIONS if k in case})
    return found


def annotation(run: Any, point: Optional[Any], name: str,
               label: str = "") -> Any:
    """The point's annotation as its trials carry it, else its spec case's
    (found by the point's label, or by `label` when there is no point).
    Mapping annotations (expect, predicts) come back as a dict, {} when
    absent; text ones as one line, "" when absent."""
    value = point.annotation(name) if point is not None else None
    if value:
        return value
    key = point.label if point is not None else label
    value = case_annotations(run).get(key, {}).get(name)
    if name in MAPPING_ANNOTATIONS:
        return value if isinstance(value, dict) else {}
    return " ".join(value.split()) if isinstance(value, str) else ""


def point_by_label(run: Any, label: str) -> Optional[Any]:
    """The first point with this case label, or None."""
    return next((p for p in run.points if label and p.label == label), None)


def is_case(run: Any, label: str) -> bool:
    """Whether `label` names a case of the spec or a point of the trials."""
    return bool(label) and (label in case_annotations(run)
                            or point_by_label(run, label) is not None)


def hypothesis_cases(run: Any) -> List[Tuple[str, Optional[Any]]]:
    """(label, point) of every case that states a hypothesis: spec case
    order (point None when the case has no trial yet), then any other point
    whose trials carry one."""
    ordered: List[Tuple[str, Optional[Any]]] = []
    for label, notes in case_annotations(run).items():
        point = point_by_label(run, label)
        if notes.get("hypothesis") or (point is not None
                                       and point.annotation("hypothesis")):
            ordered.append((label, point))
    seen = {id(point) for _, point in ordered}
    for point in run.points:
        if id(point) not in seen and point.annotation("hypothesis"):
            ordered.append((point.label or point.name, point))
    return ordered


def hypothesis_points(run: Any) -> List[Any]:
    """The points of hypothesis_cases (cases that have trials)."""
    return [point for _, point in hypothesis_cases(run) if point is not None]
