"""Charts of a soak run (experiments/soak.py): each model's open
descriptors and resident memory over its share of the run, from
samples.csv. Reads result files only."""
from __future__ import annotations

import csv
import os
from collections import OrderedDict
from typing import Dict, List, Tuple

from plot.chartkit import new_figure, save_figure
from plot.palette import colours_for


def read_samples(run_dir: str) -> "OrderedDict[str, List[dict]]":
    """samples.csv rows grouped by model, in file order."""
    by_model: "OrderedDict[str, List[dict]]" = OrderedDict()
    with open(os.path.join(run_dir, "samples.csv"), newline="") as f:
        for row in csv.DictReader(f):
            by_model.setdefault(row["model"], []).append(row)
    return by_model


def soak_series(by_model: "OrderedDict[str, List[dict]]", column: str,
                scale: float) -> "OrderedDict[str, Tuple[List[float], List[float]]]":
    """Per model, (seconds, column x scale) as the chart draws them."""
    return OrderedDict((model, ([float(r["t_s"]) for r in rows], [float(r[column]) * scale for r in rows]))
                       for model, rows in by_model.items())


def draw_soak_charts(run_dir: str) -> List[str]:
    """charts/fds.png|svg and charts/rss.png|svg; returns the files."""
    by_model = read_samples(run_dir)
    colours: Dict[str, str] = colours_for(by_model.keys())
    files = []
    for stem, column, label, scale in (("fds", "fds", "open descriptors", 1.0),
                                       ("rss", "rss_kb", "resident memory (MiB)", 1 / 1024)):
        figure, ax = new_figure(8, 4.5)
        for model, (xs, ys) in soak_series(by_model, column, scale).items():
            ax.plot(xs, ys, label=model, color=colours[model], linewidth=1.2)
        ax.set_xlabel("seconds since the model's server started")
        ax.set_ylabel(label)
        ax.set_title("Soak: server %s under churn and abusive clients" % label.split(" (")[0])
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.grid(alpha=0.3)
        files += save_figure(figure, os.path.join(run_dir, "charts"), stem,
                             "Each model runs for its share of the soak; the last samples (phase 'after') "
                             "come once every client has gone, when the descriptors must be back where "
                             "they started.")
    return files
