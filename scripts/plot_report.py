#!/usr/bin/python3
"""Draws figures from one or more kqsim report.json files.

Every number drawn is read from a report: the script only rescales units (pJ -> uJ,
um^2 -> mm^2) and lays values out. It derives no statistic of its own.

Usage:
  scripts/plot_report.py --in REPORT.json [--in REPORT2.json ...] --out DIR [--log]

Writes into DIR (created if missing), each as .png and .svg:
  energy_breakdown       stacked bar per report from totals.energy_breakdown_pj (uJ); when the
                         breakdown has a "leakage" entry a second panel leaves it out so the
                         dynamic components stay readable
  layer_cycles           per-layer cycles, bars grouped per report
  layer_multiplications  per-layer multiplications, bars grouped per report
  area_breakdown         stacked bar per report from totals.area_breakdown_um2 (mm^2)

Several reports (e.g. fp32 and int8 runs of one network) are drawn side by side, labelled with
their design names. Rerunning on the same input gives byte-identical SVG files.

Run it with Debian's /usr/bin/python3 (it needs matplotlib). Exit status: 0 on success,
2 on a missing or malformed report (one line on stderr naming the file), 1 if the output
cannot be written.
"""
import argparse
import json
import math
import os
import sys

MAX_LABELLED_LAYERS = 40
LEAKAGE = "leakage"


class ReportError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Loading and validation (no matplotlib here: errors must come out as one clean line)


def _reject_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ReportError(f"duplicate key \"{key}\"")
        obj[key] = value
    return obj


def _reject_constant(name):
    raise ReportError(f"non-finite number {name}")


def _get(obj, path):
    cur = obj
    walked = []
    for key in path:
        walked.append(key)
        if not isinstance(cur, dict) or key not in cur:
            raise ReportError(f"missing \"{'.'.join(walked)}\"")
        cur = cur[key]
    return cur


def _number(value, where):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ReportError(f"\"{where}\" is not a number")
    if not math.isfinite(value) or value < 0:
        raise ReportError(f"\"{where}\" is not a finite non-negative number")
    return value


def _string(value, where):
    if not isinstance(value, str) or not value:
        raise ReportError(f"\"{where}\" is not a non-empty string")
    return value


def _breakdown(report, key):
    where = f"totals.{key}"
    table = _get(report, ("totals", key))
    if not isinstance(table, dict) or not table:
        raise ReportError(f"\"{where}\" is not a non-empty object")
    return {name: _number(v, f"{where}.{name}") for name, v in table.items()}


def _optional_number(report, path):
    try:
        return _number(_get(report, path), ".".join(path))
    except ReportError:
        return None


def load_report(path):
    """Returns the fields the figures use; raises ReportError on anything malformed."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            report = json.load(f, object_pairs_hook=_reject_duplicates,
                               parse_constant=_reject_constant)
    except OSError as e:
        raise ReportError(e.strerror or str(e))
    except UnicodeDecodeError:
        raise ReportError("not UTF-8 text")
    except json.JSONDecodeError as e:
        raise ReportError(f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}")
    except RecursionError:
        raise ReportError("JSON nested too deeply")
    if not isinstance(report, dict):
        raise ReportError("top level is not a JSON object")

    layers = _get(report, ("layers",))
    if not isinstance(layers, list) or not layers:
        raise ReportError("\"layers\" is not a non-empty array")
    parsed_layers = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict):
            raise ReportError(f"\"layers[{i}]\" is not an object")
        parsed_layers.append({
            "name": _string(layer.get("name"), f"layers[{i}].name"),
            "cycles": _number(layer.get("cycles"), f"layers[{i}].cycles"),
            "multiplications": _number(layer.get("multiplications"),
                                       f"layers[{i}].multiplications"),
        })

    mode = report.get("mode")
    tech = _optional_number(report, ("design", "tech_node_nm"))
    return {
        "path": path,
        "design": _string(_get(report, ("design", "name")), "design.name"),
        "workload": _string(_get(report, ("workload", "name")), "workload.name"),
        "mode": mode if isinstance(mode, str) else None,
        "tech_node_nm": tech,
        "energy": _breakdown(report, "energy_breakdown_pj"),
        "energy_total_pj": _optional_number(report, ("totals", "energy_pj")),
        "energy_dynamic_pj": _optional_number(report, ("totals", "energy_dynamic_pj")),
        "area": _breakdown(report, "area_breakdown_um2"),
        "area_total_um2": _optional_number(report, ("totals", "area_um2")),
        "layers": parsed_layers,
    }


# ---------------------------------------------------------------------------------------------
# Layout helpers (ordering and labelling only)


def legend_labels(reports):
    """Design names; made unique with the mode, then the --in position (#1, #2, ...), when
    two reports share one."""
    labels = [r["design"] for r in reports]
    if len(set(labels)) < len(labels):
        labels = [f"{r['design']} ({r['mode']})" if r["mode"] else r["design"] for r in reports]
    if len(set(labels)) < len(labels):
        labels = [f"{lab} #{i}" for i, lab in enumerate(labels, 1)]
    return labels


def joined(values):
    out = []
    for v in values:
        if v not in out:
            out.append(v)
    return ", ".join(out)


def title_suffix(reports):
    text = joined(r["workload"] for r in reports)
    modes = joined(r["mode"] for r in reports if r["mode"])
    if modes:
        text += f" ({modes} mode)"
    return text


def component_order(reports, key):
    """Components in the JSON's order (first report first, then any new ones)."""
    order = []
    for r in reports:
        for name in r[key]:
            if name not in order:
                order.append(name)
    return order


def layer_axis(reports):
    """Layer slots and, per report, the index of its layer in each slot (None if absent).

    Reports with identical layer-name sequences line up index by index; otherwise layers are
    matched by name (the k-th occurrence of a name with the k-th), in first-seen order."""
    names = [[l["name"] for l in r["layers"]] for r in reports]
    if all(n == names[0] for n in names):
        idx = list(range(len(names[0])))
        return names[0], [idx[:] for _ in reports]
    slots = []
    keyed = []
    for n in names:
        seen = {}
        keys = []
        for name in n:
            seen[name] = seen.get(name, 0) + 1
            key = (name, seen[name])
            keys.append(key)
            if key not in slots:
                slots.append(key)
        keyed.append(keys)
    mapping = []
    for keys in keyed:
        where = {k: i for i, k in enumerate(keys)}
        mapping.append([where.get(s) for s in slots])
    return [s[0] for s in slots], mapping


def fmt_value(v):
    if v >= 1e4:
        return f"{v:,.0f}"
    return f"{v:.4g}"


# ---------------------------------------------------------------------------------------------
# Figures


def setup_matplotlib():
    import matplotlib
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "kqsim"
    matplotlib.rcParams["svg.fonttype"] = "path"
    matplotlib.rcParams["font.size"] = 10
    import matplotlib.pyplot as plt
    from matplotlib import ticker
    return plt, ticker


def save(fig, out_dir, stem):
    base = os.path.join(out_dir, stem)
    fig.savefig(base + ".png", dpi=120, bbox_inches="tight", metadata={"Software": None})
    fig.savefig(base + ".svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})


def component_colors(plt, order):
    cmap = plt.get_cmap("tab10" if len(order) <= 10 else "tab20")
    return {name: cmap(i % cmap.N) for i, name in enumerate(order)}


def stacked_panel(ax, ticker, reports, labels, key, order, colors, scale, totals, unit):
    """One stacked bar per report. Components that are zero in every report are left out of
    the stack and the legend. `totals` are the report-stated totals printed above the bars."""
    shown = [c for c in order if any(r[key].get(c, 0) > 0 for r in reports)]
    x = list(range(len(reports)))
    bottoms = [0.0] * len(reports)
    for comp in shown:
        heights = [r[key].get(comp, 0) / scale for r in reports]
        ax.bar(x, heights, 0.6, bottom=bottoms, label=comp, color=colors[comp],
               edgecolor="white", linewidth=0.5)
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    ax.set_xticks(x)
    tilt = len(reports) > 2 or max(len(lab) for lab in labels) > 22
    ax.set_xticklabels(labels, rotation=20 if tilt else 0, ha="right" if tilt else "center",
                       rotation_mode="anchor" if tilt else "default")
    ax.set_xlim(-0.6, len(reports) - 0.4)
    top = max(bottoms) if bottoms else 0
    for xi, total, b in zip(x, totals, bottoms):
        if total is not None:
            ax.annotate(f"{fmt_value(total / scale)} {unit}", (xi, b), xytext=(0, 3),
                        textcoords="offset points", ha="center", va="bottom", fontsize=8)
    if top > 0:
        ax.set_ylim(0, top * 1.08)
    if top >= 1e4:
        ax.yaxis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return shown


def legend_right(ax, handles_from=None):
    """Legend to the right of `ax`, listing the stack top-to-bottom like the bars."""
    handles, names = (handles_from or ax).get_legend_handles_labels()
    ax.legend(handles[::-1], names[::-1], loc="upper left", bbox_to_anchor=(1.02, 1.0),
              fontsize=8, frameon=False, title="component", title_fontsize=8)


def plot_energy(plt, ticker, reports, labels, out_dir):
    order = component_order(reports, "energy")
    colors = component_colors(plt, order)
    # Leakage can dwarf everything else; a second panel draws the same breakdown without it.
    split = LEAKAGE in order and len(order) > 1
    width = 2.2 + 1.3 * len(reports)
    if split:
        fig, (ax_all, ax_dyn) = plt.subplots(1, 2, figsize=(2 * width + 2.0, 5.0))
    else:
        fig, ax_all = plt.subplots(figsize=(width + 2.0, 5.0))
    shown = stacked_panel(ax_all, ticker, reports, labels, "energy", order, colors, 1e6,
                          [r["energy_total_pj"] for r in reports], "µJ")
    ax_all.set_ylabel("Energy (µJ)")
    if split:
        ax_all.set_title("All components", fontsize=10)
        dyn_reports = [dict(r, energy={k: v for k, v in r["energy"].items() if k != LEAKAGE})
                       for r in reports]
        stacked_panel(ax_dyn, ticker, dyn_reports, labels, "energy",
                      [c for c in order if c != LEAKAGE], colors, 1e6,
                      [r["energy_dynamic_pj"] for r in reports], "µJ")
        ax_dyn.set_ylabel("Energy (µJ)")
        ax_dyn.set_title("Leakage left out (dynamic components)", fontsize=10)
        legend_right(ax_dyn, handles_from=ax_all)
    else:
        legend_right(ax_all)
    fig.suptitle(f"Energy breakdown — {title_suffix(reports)}")
    fig.tight_layout()
    add_omitted_note(fig, order, shown)
    save(fig, out_dir, "energy_breakdown")
    plt.close(fig)


def add_omitted_note(fig, order, shown):
    omitted = [c for c in order if c not in shown]
    if omitted:
        fig.text(0.01, 0.0, "zero in every report, not drawn: " + ", ".join(omitted),
                 fontsize=7, ha="left", va="top", color="0.35")


def plot_area(plt, ticker, reports, labels, out_dir):
    order = component_order(reports, "area")
    colors = component_colors(plt, order)
    fig, ax = plt.subplots(figsize=(2.2 + 1.3 * len(reports) + 2.0, 5.0))
    shown = stacked_panel(ax, ticker, reports, labels, "area", order, colors, 1e6,
                          [r["area_total_um2"] for r in reports], "mm²")
    ax.set_ylabel("Area (mm²)")
    legend_right(ax)
    techs = joined(f"{r['tech_node_nm']:g} nm" for r in reports
                   if r["tech_node_nm"] is not None)
    title = "Area breakdown"
    if techs:
        title += f" ({techs})"
    ax.set_title(title)
    fig.tight_layout()
    add_omitted_note(fig, order, shown)
    save(fig, out_dir, "area_breakdown")
    plt.close(fig)


def plot_layers(plt, ticker, reports, labels, out_dir, field, ylabel, title, stem, log):
    names, mapping = layer_axis(reports)
    n = len(names)
    k = len(reports)
    fig_w = min(max(6.0, 1.5 + 0.22 * n * max(1.0, k * 0.6)), 30.0)
    fig, ax = plt.subplots(figsize=(fig_w, 5.0))
    width = 0.8 / k
    any_positive = False
    any_zero = False
    for j, (r, idx) in enumerate(zip(reports, mapping)):
        xs, ys = [], []
        for slot, i in enumerate(idx):
            if i is None:
                continue
            v = r["layers"][i][field]
            xs.append(slot - 0.4 + width * (j + 0.5))
            ys.append(v)
            any_positive |= v > 0
            any_zero |= v == 0
        ax.bar(xs, ys, width, label=labels[j], color=plt.get_cmap("tab10")(j % 10))
    use_log = log and any_positive
    if use_log:
        ax.set_yscale("log")
    else:
        ax.yaxis.set_major_formatter(ticker.EngFormatter(sep=""))
    step = max(1, math.ceil(n / MAX_LABELLED_LAYERS))
    ticks = list(range(0, n, step))
    ax.set_xticks(ticks)
    ax.set_xticklabels([names[t] for t in ticks], rotation=60, ha="right",
                       rotation_mode="anchor", fontsize=8 if n > 20 else 9)
    if step > 1:
        ax.set_xticks(range(n), minor=True)  # every layer keeps a tick, named or not
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylabel(ylabel + (" (log scale)" if use_log else ""))
    xlabel = "layer"
    if step > 1:
        xlabel += f" (every {step}th name shown; {n} layers)" if step > 2 else \
            f" (every other name shown; {n} layers)"
    ax.set_xlabel(xlabel)
    ax.set_title(f"{title} — {title_suffix(reports)}")
    ax.grid(axis="y", alpha=0.3, which="major")
    ax.set_axisbelow(True)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              title="design", title_fontsize=8)
    notes = []
    if use_log and any_zero:
        notes.append("zero values have no bar on the log scale")
    if log and not any_positive:
        notes.append("all values are zero: linear scale used")
    fig.tight_layout()
    if notes:
        fig.text(0.01, 0.0, "; ".join(notes), fontsize=7, ha="left", va="top", color="0.35")
    save(fig, out_dir, stem)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Draw figures from kqsim report.json files (numbers are read from the "
                    "reports, never computed).")
    parser.add_argument("--in", dest="inputs", action="append", required=True, metavar="REPORT",
                        help="a kqsim report.json; repeat to draw several side by side")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="directory for the PNG and SVG files (created if missing)")
    parser.add_argument("--log", action="store_true",
                        help="log-scale y axis on the per-layer figures")
    args = parser.parse_args(argv)

    reports = []
    for path in args.inputs:
        try:
            reports.append(load_report(path))
        except ReportError as e:
            print(f"plot_report: {path}: {e}", file=sys.stderr)
            return 2

    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        print(f"plot_report: cannot create {args.out}: {e.strerror or e}", file=sys.stderr)
        return 1

    plt, ticker = setup_matplotlib()
    labels = legend_labels(reports)
    try:
        plot_energy(plt, ticker, reports, labels, args.out)
        plot_layers(plt, ticker, reports, labels, args.out, "cycles", "Cycles",
                    "Cycles per layer", "layer_cycles", args.log)
        plot_layers(plt, ticker, reports, labels, args.out, "multiplications",
                    "Multiplications", "Multiplications per layer", "layer_multiplications",
                    args.log)
        plot_area(plt, ticker, reports, labels, args.out)
    except OSError as e:
        print(f"plot_report: cannot write to {args.out}: {e.strerror or e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
