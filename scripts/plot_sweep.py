#!/usr/bin/python3
"""Draws the design space of a `kqsim sweep` output folder.

Every number drawn is read from the folder's results.csv and pareto.csv: the script derives no
statistic of its own (the Pareto front is the one kqsim wrote).

Usage:
  scripts/plot_sweep.py --in SWEEP_DIR [--out DIR] [--log]

Writes, per workload, DIR/pareto_<workload>.png and .svg (DIR defaults to SWEEP_DIR/plots):
one panel per pair of objectives (energy x latency, energy x area, latency x area), every
evaluated design as a dot (infeasible ones, violating a constraint of the spec, as crosses)
and the designs of the Pareto front (energy x latency x area, feasible designs) highlighted.
--log draws both axes of every panel on log scales. Invalid designs have no figures and are
not drawn. Rerunning on the same folder gives byte-identical SVG files.

Run it with Debian's /usr/bin/python3 (it needs matplotlib). Exit status: 0 on success,
2 on a missing or malformed input (one line on stderr naming the file), 1 if the output
cannot be written.
"""
import argparse
import csv
import math
import os
import re
import sys

OBJECTIVES = [("energy_mj", "energy (mJ)"), ("latency_ms", "latency (ms)"),
              ("area_mm2", "area (mm\u00b2)")]
PAIRS = [(0, 1), (0, 2), (1, 2)]


class InputError(Exception):
    pass


def read_csv(path, required):
    """Rows of a CSV file as dicts; every column in `required` must be in its header."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}")
    except csv.Error as e:
        raise InputError(f"{path}: malformed CSV: {e}")
    if not rows:
        raise InputError(f"{path}: empty file, expected a header line")
    header = rows[0]
    for col in required:
        if col not in header:
            raise InputError(f"{path}: line 1: missing column \"{col}\"")
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InputError(f"{path}: line {n}: {len(row)} fields, expected {len(header)}")
        out.append((n, dict(zip(header, row))))
    return out


def number(path, line, row, col):
    text = row[col]
    try:
        v = float(text)
    except ValueError:
        raise InputError(f"{path}: line {line}: column {col}: expected a number, got \"{text}\"")
    if not math.isfinite(v):
        raise InputError(f"{path}: line {line}: column {col}: non-finite number")
    return v


def load(sweep_dir):
    """Per workload (in file order): the evaluated designs and the front's point ids."""
    results = os.path.join(sweep_dir, "results.csv")
    pareto = os.path.join(sweep_dir, "pareto.csv")
    cols = ["point", "workload", "status", "feasible"] + [o for o, _ in OBJECTIVES]
    workloads = {}
    for line, row in read_csv(results, cols):
        if row["status"] == "invalid":
            continue
        if row["status"] != "ok":
            raise InputError(f"{results}: line {line}: status: expected ok or invalid, "
                             f"got \"{row['status']}\"")
        if row["feasible"] not in ("true", "false"):
            raise InputError(f"{results}: line {line}: feasible: expected true or false")
        values = [number(results, line, row, o) for o, _ in OBJECTIVES]
        w = workloads.setdefault(row["workload"], {"designs": [], "front": set()})
        w["designs"].append((row["point"], row["feasible"] == "true", values))
    for line, row in read_csv(pareto, ["workload", "point"]):
        if row["workload"] not in workloads:
            raise InputError(f"{pareto}: line {line}: workload \"{row['workload']}\" has no "
                             f"evaluated design in {results}")
        workloads[row["workload"]]["front"].add(row["point"])
    return workloads


def safe_name(name):
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", name)


def draw(workloads, out_dir, log):
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "kqsim"
    matplotlib.rcParams["svg.fonttype"] = "path"
    matplotlib.rcParams["font.size"] = 10
    import matplotlib.pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    for name, w in workloads.items():
        fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
        feasible = [d for d in w["designs"] if d[1] and d[0] not in w["front"]]
        infeasible = [d for d in w["designs"] if not d[1]]
        front = sorted((d for d in w["designs"] if d[0] in w["front"]), key=lambda d: d[2])
        for ax, (i, j) in zip(axes, PAIRS):
            if infeasible:
                ax.scatter([d[2][i] for d in infeasible], [d[2][j] for d in infeasible],
                           marker="x", s=14, linewidths=0.8, color="#c8c8c8",
                           label=f"infeasible ({len(infeasible)})")
            if feasible:
                ax.scatter([d[2][i] for d in feasible], [d[2][j] for d in feasible], s=12,
                           color="#7f7f7f", alpha=0.7, label=f"feasible ({len(feasible)})")
            if front:
                ax.scatter([d[2][i] for d in front], [d[2][j] for d in front], s=36,
                           color="#d62728", edgecolors="black", linewidths=0.5, zorder=3,
                           label=f"Pareto front ({len(front)})")
            ax.set_xlabel(OBJECTIVES[i][1])
            ax.set_ylabel(OBJECTIVES[j][1])
            if log:
                ax.set_xscale("log")
                ax.set_yscale("log")
            ax.grid(True, which="both", linewidth=0.3, alpha=0.5)
        axes[0].legend(loc="best", fontsize=8)
        fig.suptitle(f"{name}: energy \u00d7 latency \u00d7 area (front over all three)")
        fig.tight_layout()
        base = os.path.join(out_dir, "pareto_" + safe_name(name))
        try:
            fig.savefig(base + ".png", dpi=120, bbox_inches="tight", metadata={"Software": None})
            fig.savefig(base + ".svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
        finally:
            plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--in", dest="sweep_dir", required=True, help="kqsim sweep output folder")
    ap.add_argument("--out", help="folder for the figures (default: SWEEP_DIR/plots)")
    ap.add_argument("--log", action="store_true", help="log scales")
    args = ap.parse_args()
    try:
        workloads = load(args.sweep_dir)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        draw(workloads, args.out or os.path.join(args.sweep_dir, "plots"), args.log)
    except OSError as e:
        print(f"error: cannot write figures: {e}", file=sys.stderr)
        return 1
    for name in workloads:
        print(f"{name}: {len(workloads[name]['designs'])} designs, "
              f"{len(workloads[name]['front'])} on the Pareto front")
    return 0


if __name__ == "__main__":
    sys.exit(main())
