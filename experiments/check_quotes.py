#!/usr/bin/env python3
"""Check the figures findings documents quote from the reference runs.

    /usr/bin/python3 experiments/check_quotes.py [--reference-dir DIR] [FILE...]

FILE: default experiments/forum-threadpool.md, README.md, docs/FORUM.md
(those that exist); DIR: default results/reference under the repository
root. A quoted figure is followed on its line by an HTML comment,
invisible when rendered, `<!-- q RUN KIND ARGS... -->`:

    ran at 0.62×<!-- q forum-threadpool ratio "pool as posted, floating" throughput_mb_s -->

RUN is DIR/RUN; tokens split at whitespace, a "quoted" one may hold spaces;
LABEL is a case label (an unlabelled point: its display name). Comments in
code blocks and inline code are examples, not checked. KIND ARGS:

    median|p25|p75|min|max|cv "LABEL" METRIC   summary.csv's METRIC_<stat>
    ratio|ratio_p25|ratio_p75|ci_low|ci_high|p|p_holm|verdict|valid|
    baseline_valid "LABEL" METRIC   plot/verdicts.py's run_verdicts row
    count|count_valid "LABEL" METRIC VALUE  ok (valid) trials with METRIC = VALUE
    trials "LABEL" (ok trials);  ratio_of_medians "A" "B" METRIC (summary.csv)
    range "LABEL" METRIC (LOW–HIGH over ok trials);  cpu;  pus (meta.json)

A number KIND may end with `pct` (quote = figure × 100), `drop_pct`
((1 − figure) × 100) or `gain_pct` ((figure − 1) × 100). The quote is the
text before the comment: the last number ending in its last 25 characters
(`1,430`, `0.62`, `-3`, `6e-4`, any unit after), which the figure must
round to at its decimal places (`0.62`: 0.6249 or 0.615; `6e-4` has 4), or
after `<` (`≤`, `<=`, `&lt;`) lie below; `range`: `LOW–HIGH`, `LOW-HIGH`;
`verdict`: the text ends with the word (`*`, `_`, case ignored); `valid`:
the last `n/m`; `cpu`: the text ends with the model.

Prints `FILE:LINE: quoted X, RUN KIND ARGS gives Y` per stale quote, a line
per quote that cannot be checked (malformed, unknown run, label or metric)
and per file without a quote comment, then `N quotes checked in M files, K
stale` (`, J not checkable`). Exit 0: all hold; 1: a quote is stale or not
checkable, or a file quotes nothing; 2: a file cannot be read, no DIR.
"""
from __future__ import annotations

import argparse
import difflib
import functools
import operator
import os
import re
import shlex
import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from plot.cli_support import (EXIT_FAILED, EXIT_OK, BadInput,  # noqa: E402
                              guarded_main)
from plot.rundir import Point, Run, load_run  # noqa: E402
from plot.verdicts import (VERDICT_WORDS, Verdict, run_verdicts,  # noqa: E402
                           valid_sample)

DEFAULT_FILES = ("experiments/forum-threadpool.md", "README.md",
                 "docs/FORUM.md")
DEFAULT_REFERENCE = os.path.join(ROOT, "results", "reference")
WINDOW = 25  # a quoted number ends at most this many characters before
STATS = ("median", "p25", "p75", "min", "max", "cv")
VERDICT_NUMBERS = ("ratio", "ratio_p25", "ratio_p75", "ci_low", "ci_high",
                   "p", "p_holm")
# KIND -> its arguments (a scale token may follow those of a number KIND).
ARGS: Dict[str, Tuple[str, ...]] = {
    **{kind: ("LABEL", "METRIC") for kind in STATS + VERDICT_NUMBERS + (
        "verdict", "valid", "baseline_valid", "range")},
    "count": ("LABEL", "METRIC", "VALUE"),
    "count_valid": ("LABEL", "METRIC", "VALUE"), "trials": ("LABEL",),
    "ratio_of_medians": ("A", "B", "METRIC"), "cpu": (), "pus": ()}
NOT_NUMBERS = ("verdict", "valid", "baseline_valid", "cpu")
SCALES: Dict[str, Callable[[float], float]] = {
    "pct": lambda v: v * 100.0, "drop_pct": lambda v: (1.0 - v) * 100.0,
    "gain_pct": lambda v: (v - 1.0) * 100.0}

OPENING = re.compile(r"<!--\s*q(?=\s|-->|$)")
FLOAT = r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?"
COMMENT_MARK = "\x00"  # where an earlier quote comment of the line stood
# Not inside a word or a number, nor a sign right after a comment.
_START = r"(?<![\w.\x00])(?<!\d,)([-−+]?)"
_NUM = r"(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:[eE]([-+]?\d+))?"
NUMBER = re.compile(_START + _NUM)
RANGE = re.compile(_START + _NUM + r"\s*[-–—]\s*" + _NUM)
FRACTION = re.compile(r"(?<!\d)(\d+)\s*/\s*(\d+)")
COMPARATORS = {"<=": operator.le, "≤": operator.le, "&lt;": operator.lt,
               "<": operator.lt}  # no `>`: `> 5` starts a blockquote


class Unresolvable(Exception):
    """A quote naming something its run does not have (one line)."""


class Malformed(Exception):
    """A comment or quoted text outside the grammar (one line)."""


class Missing(str):
    """Why the run has no such figure (a not-tested ratio, an empty cell)."""


@dataclass
class Quote:
    """One `<!-- q ... -->` comment and the text before it."""
    where: str     # FILE:LINE
    source: str    # the comment's content: RUN KIND ARGS...
    before: str    # the line's text before it (after any earlier comment)
    closed: bool = True  # False: no --> on its line


@dataclass
class Number:
    """A quoted number: its value, precision and how it was written."""
    value: float
    decimals: int                   # rounded to these places (6e-4: 4)
    mantissa: Optional[int] = None  # places of a 6.1e-4 mantissa (1)
    commas: bool = False            # written with thousands separators


def find_quotes(text: str, name: str) -> List[Quote]:
    """The quote comments of a document, fenced code blocks and inline code
    spans left out (they show examples)."""
    quotes: List[Quote] = []
    fence = ""
    for number, line in enumerate(text.splitlines(), start=1):
        marker = line.lstrip()[:3]
        if marker in ("```", "~~~") and fence in ("", marker):
            fence = "" if fence else marker
            continue
        position = 0
        while not fence and OPENING.search(line, position):
            match = OPENING.search(line, position)
            position = match.end()
            if line.count("`", 0, match.start()) % 2:
                continue  # inside an inline code span
            end = line.find("-->", match.end())
            quotes.append(Quote(f"{name}:{number}", " ".join(
                line[match.end():end if end >= 0 else None].split()),
                line[:match.start()], end >= 0))
            # The comment gives way to a mark (so that `1.03<!-- -->-1.75`
            # reads as a range, not as -1.75) and the search goes on.
            line, position = ("", 0) if end < 0 else (
                line[:match.start()] + COMMENT_MARK + line[end + 3:],
                match.start() + 1)
    return quotes


def split_tokens(text: str) -> List[str]:
    """Whitespace-separated tokens; "double quoted" ones may hold spaces."""
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split, lexer.commenters = True, ""
    lexer.quotes = lexer.escapedquotes = '"'
    try:
        return list(lexer)
    except ValueError as error:  # No closing quotation
        raise Malformed(f"cannot split it into tokens: {error}") from None


def _number(sign: str, digits: str, fraction: Optional[str],
            exponent: Optional[str]) -> Number:
    value = float(("-" if sign in ("-", "−") else "")
                  + digits.replace(",", "") + (fraction or "")
                  + (f"e{exponent}" if exponent else ""))
    places = len(fraction or ".") - 1
    return Number(value, places - int(exponent or 0),
                  places if exponent is not None else None, "," in digits)


def _last(pattern: re.Pattern, before: str, what: str) -> re.Match:
    matches = list(pattern.finditer(before))
    if not matches or len(before) - matches[-1].end() > WINDOW:
        raise Malformed(f"no {what} in the {WINDOW} characters before the "
                        "comment")
    return matches[-1]


def _shown(text: str) -> str:
    return " ".join(text.replace("*", "").replace("_", " ").split())


def quoted_number(before: str) -> Tuple[Number, Optional[Callable], str]:
    """(number, comparator or None, as written) before a comment."""
    match = _last(NUMBER, before, "number")
    start, comparator = match.start(), None
    ahead = before[:start].rstrip()
    for symbol, test in COMPARATORS.items():
        if ahead.endswith(symbol):
            comparator, start = test, len(ahead) - len(symbol)
            break
    return _number(*match.groups()), comparator, _shown(before[start:])


def quoted_verdict(before: str) -> str:
    """The verdict word the text before a comment ends with."""
    text = " ".join(re.sub(r"[*_]", "", before).split()).lower()
    for word in sorted(VERDICT_WORDS, key=len, reverse=True):
        if text.endswith(word) and not text[:-len(word)][-1:].isalnum():
            return word
    raise Malformed("the text before the comment does not end with a "
                    f"verdict word ({' / '.join(VERDICT_WORDS)})")


def rounds_to(figure: float, quoted: Number) -> bool:
    """Whether `figure` rounded to the quote's decimal places is the quote
    (a figure half-way between two roundings matches both)."""
    return abs(figure - quoted.value) <= 0.5 * 10.0 ** -quoted.decimals \
        * (1 + 1e-9)


def shown_like(figure: float, quoted: Number) -> str:
    """The figure written as the quote is, plus its own digits when they
    differ: `0.62 (0.624931)`."""
    if quoted.mantissa is not None:
        text = f"{figure:.{quoted.mantissa}e}"
    else:
        comma, places = "," if quoted.commas else "", max(0, quoted.decimals)
        text = f"{figure:{comma}.{places}f}"
    exact = f"{figure:.6g}"
    return text if float(exact) == float(text.replace(",", "")) \
        else f"{text} ({exact})"


def suggestion(name: str, known: Sequence[str]) -> str:
    """` (did you mean "x"?)` for the closest known name, else ""."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


class References:
    """The reference runs, each loaded (and its verdicts computed) once."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    @functools.lru_cache(maxsize=None)
    def run(self, name: str) -> Run:
        """The run DIR/name; Unresolvable when there is none."""
        path = os.path.join(self.directory, name)
        if not os.path.isdir(path):
            raise Unresolvable(f"unknown run {name!r}: no directory {path}"
                               + suggestion(name, os.listdir(self.directory)))
        try:
            return load_run(path)
        except BadInput as error:
            raise Unresolvable(f"run {name!r}: {error}") from None

    @functools.lru_cache(maxsize=None)
    def verdicts(self, name: str) -> List[Verdict]:
        """plot/verdicts.py's rows of the run, computed afresh (so they are
        verdicts.json's even when that file is stale or absent)."""
        run = self.run(name)
        try:
            return run_verdicts(run)
        except BadInput as error:  # scipy is missing
            raise Unresolvable(f"run {name!r}: no verdicts: {error}") \
                from None

    def point(self, name: str, label: str) -> Point:
        """The point with this case label (else this display name)."""
        points = self.run(name).points
        found = next((p for p in points if label and p.label == label),
                     None) or next((p for p in points
                                    if not p.label and p.name == label), None)
        if found is None:
            raise Unresolvable(f'unknown label "{label}" in run {name!r}'
                               + suggestion(label, [p.label or p.name
                                                    for p in points]))
        return found

    def check_metric(self, name: str, metric: str,
                     point: Optional[Point] = None) -> None:
        """Unresolvable when no catalogue entry or trial knows `metric`."""
        known = self.run(name).catalogue.metrics
        if metric not in known and (point is None or all(
                t.metric(metric) is None for t in point.trials)):
            raise Unresolvable(f"unknown metric {metric!r} in run {name!r}"
                               + suggestion(metric, list(known)))

    def stat(self, name: str, label: str, metric: str, stat: str) -> Any:
        """summary.csv's METRIC_stat of the point."""
        point = self.point(name, label)
        self.check_metric(name, metric)
        if metric not in point.summary.stats:
            raise Unresolvable(f"summary.csv of run {name!r} has no column "
                               f"{metric}_{stat}")
        value = point.stat(metric, stat)
        return Missing(f"empty {metric}_{stat} cell") if value is None \
            else value

    def verdict(self, name: str, label: str, metric: str) -> Verdict:
        """plot/verdicts.py's row of (case, metric)."""
        rows = [row for row in self.verdicts(name) if row.label == label]
        if not rows:
            self.point(name, label)  # an unknown label says so
            raise Unresolvable(f'"{label}" is not a hypothesis case of run '
                               f"{name!r} (it has no verdict)")
        found = next((row for row in rows if row.metric in (metric, "")),
                     None)  # "": the case predicts nothing (not tested)
        if found is None:
            self.check_metric(name, metric)
            raise Unresolvable(f'"{label}" of run {name!r} predicts no '
                               f"{metric} (it predicts: "
                               f"{', '.join(r.metric for r in rows)})")
        return found

    def machine(self, name: str, kind: str) -> Any:
        """meta.json's cpu_model or topology_counts.pus, of its hosts[] entry
        with role server if any (as plot/hypotheses.py's machine_text)."""
        meta = self.run(name).meta
        host = next((h for h in meta.get("hosts") or [] if isinstance(h, dict)
                     and h.get("role") == "server"), meta)
        if kind == "cpu":
            return " ".join(str(host.get("cpu_model") or "").split())
        counts = host.get("topology_counts")
        if not isinstance(counts, dict) or counts.get("pus") is None:
            raise Unresolvable(f"meta.json of run {name!r} has no "
                               "topology_counts.pus")
        return counts["pus"]


def compute(refs: References, name: str, kind: str, args: List[str]) -> Any:
    """The figure a quote names: a number, (low, high), (n, m), a word, or
    Missing."""
    if kind in STATS:
        return refs.stat(name, *args, kind)
    if kind in ("cpu", "pus"):
        return refs.machine(name, kind)
    if kind == "ratio_of_medians":
        top, bottom = (refs.stat(name, label, args[2], "median")
                       for label in args[:2])
        missing = [v for v in (top, bottom) if isinstance(v, Missing)]
        return missing[0] if missing else top / bottom if bottom \
            else Missing("the median of B is 0")
    if kind in VERDICT_NUMBERS + ("verdict", "valid", "baseline_valid"):
        row = refs.verdict(name, *args)
        if kind != "verdict" and (not row.metric or kind in VERDICT_NUMBERS
                                  and getattr(row, kind) is None):
            return Missing(f"not tested: {row.reason}" if not row.tested
                           else f"no {kind}: the baseline median is 0")
        return {"verdict": row.verdict, "valid": (row.n_valid, row.n_trials),
                "baseline_valid": (row.baseline_n_valid,
                                   row.baseline_n_trials)
                }.get(kind, getattr(row, kind, None))
    point = refs.point(name, args[0])
    if kind == "trials":
        return len(point.ok_trials)
    refs.check_metric(name, args[1], point)
    values = valid_sample(refs.run(name), point, args[1]).values \
        if kind == "count_valid" else point.repetition_values(args[1])
    if kind != "range":  # count, count_valid
        return sum(1 for value in values if value == float(args[2]))
    return (min(values), max(values)) if values else \
        Missing(f"no ok trial has {args[1]}")


def parse(quote: Quote) -> Tuple[str, str, List[str], str]:
    """(run, kind, args, scale token or "") of a quote comment."""
    if not quote.closed:
        raise Malformed("no --> on the same line")
    tokens = split_tokens(quote.source)
    if len(tokens) < 2:
        raise Malformed("needs RUN and KIND: <!-- q RUN KIND ARGS... -->")
    name, kind, args = tokens[0], tokens[1], tokens[2:]
    if kind not in ARGS:
        raise Malformed(f"unknown KIND {kind!r}{suggestion(kind, ARGS)}; "
                        f"KIND is one of {', '.join(ARGS)}")
    scale, number = "", kind not in NOT_NUMBERS
    if number and len(args) == len(ARGS[kind]) + 1 and args[-1] in SCALES:
        scale, args = args[-1], args[:-1]
    if len(args) != len(ARGS[kind]):
        then = " [pct|drop_pct|gain_pct]" if number else ""
        raise Malformed(f"{kind} takes {len(ARGS[kind])} argument(s), got "
                        f"{len(args)}: <!-- q RUN {kind} "
                        f"{' '.join(ARGS[kind])}{then} -->")
    if kind.startswith("count") and not re.fullmatch(FLOAT, args[2]):
        raise Malformed(f"VALUE {args[2]!r} is not a number")
    return name, kind, args, scale


def judge(refs: References, quote: Quote) -> Tuple[Optional[str], str]:
    """(what the document says, what the run gives), the first None when
    they agree. Malformed or Unresolvable when it cannot be checked."""
    name, kind, args, scale = parse(quote)
    figure = compute(refs, name, kind, args)
    scaled = SCALES.get(scale, lambda v: v)
    if kind == "verdict":
        word = quoted_verdict(quote.before)
        return (None if word == figure else f'"{word}"'), f'"{figure}"'
    if kind == "cpu":
        text = " ".join(re.sub(r"[*`]", "", quote.before).split())
        agree = figure and text.endswith(figure) and \
            not text[:-len(figure)][-1:].isalnum()
        return (None if agree else f'"{text[-max(len(figure), 20):]}"',
                f'"{figure}"' if figure else "no cpu_model in meta.json")
    if kind in ("valid", "baseline_valid"):
        match = _last(FRACTION, quote.before, "n/m")
        said = "/".join(match.groups())
    elif kind == "range":
        match = _last(RANGE, quote.before, "range LOW–HIGH")
        said, groups = _shown(quote.before[match.start():]), match.groups()
        low, high = _number(*groups[:4]), _number("", *groups[4:])
    else:
        number, comparator, said = quoted_number(quote.before)
    if isinstance(figure, Missing):
        return said, f"no value ({figure})"
    if kind in ("valid", "baseline_valid"):
        agree = tuple(int(n) for n in match.groups()) == figure
        return (None if agree else said), f"{figure[0]}/{figure[1]}"
    if kind == "range":
        a, b = scaled(figure[0]), scaled(figure[1])
        return (None if rounds_to(a, low) and rounds_to(b, high) else said,
                f"{shown_like(a, low)}–{shown_like(b, high)}")
    value = scaled(float(figure))
    if comparator(value, number.value) if comparator \
            else rounds_to(value, number):
        return None, ""
    hint = (" (a percentage: end the comment with pct, drop_pct or "
            "gain_pct?)") if "%" in said and not scale else ""
    return said, shown_like(value, number) + hint


def check(refs: References, quote: Quote) -> Tuple[str, str]:
    """("ok" | "stale" | "unchecked", the line to print or "")."""
    try:
        said, gives = judge(refs, quote)
    except Malformed as error:
        return "unchecked", (f"{quote.where}: malformed quote comment "
                             f"<!-- q {quote.source} -->: {error}")
    except Unresolvable as error:
        return "unchecked", f"{quote.where}: {error}"
    return ("ok", "") if said is None else ("stale", (
        f"{quote.where}: quoted {said}, {quote.source} gives {gives}"))


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """[--reference-dir DIR] [FILE...]; FILE defaults to the DEFAULT_FILES
    that exist (relative to the working directory)."""
    parser = argparse.ArgumentParser(
        prog="check_quotes.py", description="Check the figures findings "
        "documents quote (<!-- q RUN KIND ARGS... --> after each).")
    parser.add_argument("files", nargs="*", metavar="FILE", help="default: "
                        f"{', '.join(DEFAULT_FILES)} (those that exist)")
    parser.add_argument("--reference-dir", default=DEFAULT_REFERENCE,
                        metavar="DIR", help="the runs (default: "
                        "results/reference under the repository root)")
    options = parser.parse_args(argv)
    options.files = options.files or [
        os.path.relpath(os.path.join(ROOT, f)) for f in DEFAULT_FILES
        if os.path.isfile(os.path.join(ROOT, f))]
    if not options.files:
        raise BadInput(f"none of {', '.join(DEFAULT_FILES)} exists")
    if not os.path.isdir(options.reference_dir):
        raise BadInput(f"reference directory {options.reference_dir} does "
                       "not exist")
    return options


def read_text(path: str) -> str:
    """A document's text; BadInput when it cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror}") from None


def main(argv: Sequence[str]) -> int:
    """Command line entry; returns the exit code."""
    options = parse_args(argv)
    texts = [(path, read_text(path)) for path in options.files]
    refs = References(options.reference_dir)
    counts = {"ok": 0, "stale": 0, "unchecked": 0}
    silent = 0  # files without a quote comment
    for path, text in texts:
        quotes = find_quotes(text, path)
        if not quotes:
            silent += 1
            print(f"{path}: no quote comment (<!-- q RUN KIND ARGS... -->): "
                  "a findings document must quote something checkable")
        for quote in quotes:
            status, line = check(refs, quote)
            counts[status] += 1
            if line:
                print(line)
    total, unchecked = sum(counts.values()), counts["unchecked"]
    print(f"{total} quote{'s' * (total != 1)} checked in {len(texts)} "
          f"file{'s' * (len(texts) != 1)}, {counts['stale']} stale"
          + (f", {unchecked} not checkable" if unchecked else ""))
    return EXIT_FAILED if silent or counts["stale"] or counts["unchecked"] \
        else EXIT_OK


if __name__ == "__main__":
    sys.exit(guarded_main(main))
