#!/usr/bin/python3
"""Draws the figures of a kqsim comparison from its compare.json.

Every number drawn is read from compare.json: the script only rescales units (pJ -> uJ,
um^2 -> mm^2) and lays values out. It derives no statistic of its own.

Usage:
  scripts/plot_compare.py --in DIR/compare.json --out DIR/plots

Writes into the output directory (created if missing), each as .png and .svg:
  multiplications_per_layer  per-layer multiplications, one bar per design (log scale)
  energy_breakdown           energy per design, stacked by component (uJ)
  area_breakdown             area per design, stacked by component (mm^2)
  cycles_per_layer           per-layer cycles, one bar per design (log scale)
  energy_vs_sqnr             each design a point: network energy against its output SQNR
                             (dB, vs the fp32 golden network); against weight SQNR when no
                             values were computed (analytic mode)
  bits_per_weight            stored bits per weight of each design
  energy_vs_top1             only when compare.json has "accuracy" (--inputs/--labels): each
                             design a point, energy per sample against its top-1 accuracy (%),
                             the float reference's top-1 accuracy as a dashed line

`kqsim compare` runs this script itself. Rerunning on the same input gives byte-identical
files. Run it with Debian's /usr/bin/python3 (it needs matplotlib). Exit status: 0 on
success, 2 on a missing or malformed compare.json (one line on stderr naming the file), 1 if
the output cannot be written.
"""
import argparse
import json
import math
import os
import sys

MAX_LABELLED_LAYERS = 40


class CompareError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Loading and validation (no matplotlib here: errors must come out as one clean line)


def _reject_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise CompareError(f"duplicate key \"{key}\"")
        obj[key] = value
    return obj


def _reject_constant(name):
    raise CompareError(f"non-finite number {name}")


def _field(obj, key, where):
    if not isinstance(obj, dict) or key not in obj:
        raise CompareError(f"missing \"{where}.{key}\"" if where else f"missing \"{key}\"")
    return obj[key]


def _number(value, where, allow_null=False):
    if value is None and allow_null:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CompareError(f"\"{where}\" is not a number")
    if not math.isfinite(value):
        raise CompareError(f"\"{where}\" is not finite")
    return value


def _breakdown(totals, key, where):
    table = _field(totals, key, where)
    if not isinstance(table, dict):
        raise CompareError(f"\"{where}.{key}\" is not an object")
    return {k: _number(v, f"{where}.{key}.{k}") for k, v in table.items()}


def load_compare(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            c = json.load(f, object_pairs_hook=_reject_duplicates,
                          parse_constant=_reject_constant)
    except OSError as e:
        raise CompareError(e.strerror or str(e))
    except UnicodeDecodeError:
        raise CompareError("not UTF-8 text")
    except json.JSONDecodeError as e:
        raise CompareError(f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}")
    except RecursionError:
        raise CompareError("JSON nested too deeply")
    if not isinstance(c, dict):
        raise CompareError("top level is not a JSON object")
    designs = _field(c, "designs", "")
    if not isinstance(designs, list) or len(designs) < 2:
        raise CompareError("\"designs\" is not an array of at least two designs")
    out = []
    n_layers = None
    for i, d in enumerate(designs):
        where = f"designs[{i}]"
        name = _field(d, "name", where)
        if not isinstance(name, str) or not name:
            raise CompareError(f"\"{where}.name\" is not a non-empty string")
        t = _field(d, "totals", where)
        tw = f"{where}.totals"
        layers = _field(d, "layers", where)
        if not isinstance(layers, list) or not layers:
            raise CompareError(f"\"{where}.layers\" is not a non-empty array")
        if n_layers is None:
            n_layers = len(layers)
        elif len(layers) != n_layers:
            raise CompareError(f"\"{where}.layers\" has another layer count than designs[0]")
        parsed_layers = []
        for j, l in enumerate(layers):
            lw = f"{where}.layers[{j}]"
            parsed_layers.append({
                "name": str(_field(l, "name", lw)),
                "cycles": _number(_field(l, "cycles", lw), f"{lw}.cycles"),
                "multiplications": _number(_field(l, "multiplications", lw),
                                           f"{lw}.multiplications"),
            })
        out.append({
            "name": name,
            "values_computed": bool(_field(d, "values_computed", where)),
            "energy_pj": _number(_field(t, "energy_pj", tw), f"{tw}.energy_pj"),
            "energy": _breakdown(t, "energy_breakdown_pj", tw),
            "area_um2": _number(_field(t, "area_um2", tw), f"{tw}.area_um2"),
            "area": _breakdown(t, "area_breakdown_um2", tw),
            "bits_per_weight": _number(_field(t, "bits_per_weight", tw),
                                       f"{tw}.bits_per_weight", allow_null=True),
            "weight_sqnr_db": _number(_field(t, "weight_sqnr_db", tw),
                                      f"{tw}.weight_sqnr_db", allow_null=True),
            "output_sqnr_db": _number(_field(t, "output_sqnr_db", tw),
                                      f"{tw}.output_sqnr_db", allow_null=True),
            "layers": parsed_layers,
            "top1_accuracy": None,
        })
    accuracy = c.get("accuracy")
    float_top1 = None
    if accuracy is not None:
        f = _field(accuracy, "float_reference", "accuracy")
        float_top1 = _number(_field(f, "top1_accuracy", "accuracy.float_reference"),
                             "accuracy.float_reference.top1_accuracy")
        for i, (d, parsed) in enumerate(zip(designs, out)):
            a = _field(d, "accuracy", f"designs[{i}]")
            parsed["top1_accuracy"] = _number(_field(a, "top1_accuracy", f"designs[{i}].accuracy"),
                                              f"designs[{i}].accuracy.top1_accuracy")
    workload = _field(c, "workload", "")
    mode = c.get("mode")
    return {
        "workload": str(_field(workload, "name", "workload")),
        "mode": mode if isinstance(mode, str) else "",
        "baseline": str(c.get("baseline", out[0]["name"])),
        "designs": out,
        "float_top1_accuracy": float_top1,
    }


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
    fig.savefig(base + ".png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    fig.savefig(base + ".svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})


def design_colors(plt, c):
    cmap = plt.get_cmap("tab10")
    return [cmap(i % 10) for i in range(len(c["designs"]))]


def suffix(c):
    return f"{c['workload']} ({c['mode']} mode)" if c["mode"] else c["workload"]


def per_layer(plt, ticker, c, field, ylabel, title, stem, out_dir):
    designs = c["designs"]
    names = [l["name"] for l in designs[0]["layers"]]
    n, k = len(names), len(designs)
    colors = design_colors(plt, c)
    fig_w = min(max(7.0, 1.5 + 0.2 * n * max(1.0, k * 0.5)), 30.0)
    fig, ax = plt.subplots(figsize=(fig_w, 5.0))
    width = 0.8 / k
    any_positive = False
    any_zero = False
    for j, d in enumerate(designs):
        xs = [i - 0.4 + width * (j + 0.5) for i in range(n)]
        ys = [l[field] for l in d["layers"]]
        any_positive |= any(y > 0 for y in ys)
        any_zero |= any(y == 0 for y in ys)
        ax.bar(xs, ys, width, label=d["name"], color=colors[j])
    if any_positive:
        ax.set_yscale("log")
    step = max(1, math.ceil(n / MAX_LABELLED_LAYERS))
    ticks = list(range(0, n, step))
    ax.set_xticks(ticks)
    ax.set_xticklabels([names[t] for t in ticks], rotation=60, ha="right",
                       rotation_mode="anchor", fontsize=8 if n > 20 else 9)
    if step > 1:
        ax.set_xticks(range(n), minor=True)
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylabel(ylabel + (" (log scale)" if any_positive else ""))
    ax.set_xlabel("layer" + (f" (one name in {step} shown; {n} layers)" if step > 1 else ""))
    ax.set_title(f"{title} — {suffix(c)}")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              title="design", title_fontsize=8)
    fig.tight_layout()
    if any_positive and any_zero:
        fig.text(0.01, 0.0, "layers with none have no bar on the log scale", fontsize=7,
                 ha="left", va="top", color="0.35")
    save(fig, out_dir, stem)
    plt.close(fig)


def stacked(plt, ticker, c, key, total_key, scale, unit, ylabel, title, stem, out_dir):
    designs = c["designs"]
    order = []
    for d in designs:
        for comp in d[key]:
            if comp not in order:
                order.append(comp)
    shown = [comp for comp in order if any(d[key].get(comp, 0) > 0 for d in designs)]
    cmap = plt.get_cmap("tab10" if len(order) <= 10 else "tab20")
    colors = {comp: cmap(i % cmap.N) for i, comp in enumerate(order)}
    fig, ax = plt.subplots(figsize=(3.0 + 1.4 * len(designs), 5.0))
    x = list(range(len(designs)))
    bottoms = [0.0] * len(designs)
    for comp in shown:
        heights = [d[key].get(comp, 0) / scale for d in designs]
        ax.bar(x, heights, 0.6, bottom=bottoms, label=comp, color=colors[comp],
               edgecolor="white", linewidth=0.5)
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    for xi, d, b in zip(x, designs, bottoms):
        ax.annotate(f"{d[total_key] / scale:.4g} {unit}", (xi, b), xytext=(0, 3),
                    textcoords="offset points", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x)
    ax.set_xticklabels([d["name"] for d in designs], rotation=20, ha="right",
                       rotation_mode="anchor")
    ax.set_xlim(-0.6, len(designs) - 0.4)
    top = max(bottoms) if bottoms else 0
    if top > 0:
        ax.set_ylim(0, top * 1.1)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title} — {suffix(c)}")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.02, 1.0),
              fontsize=8, frameon=False, title="component", title_fontsize=8)
    fig.tight_layout()
    omitted = [comp for comp in order if comp not in shown]
    if omitted:
        fig.text(0.01, 0.0, "zero in every design, not drawn: " + ", ".join(omitted),
                 fontsize=7, ha="left", va="top", color="0.35")
    save(fig, out_dir, stem)
    plt.close(fig)


def energy_vs_sqnr(plt, ticker, c, out_dir):
    designs = c["designs"]
    use_output = any(d["values_computed"] for d in designs)
    field = "output_sqnr_db" if use_output else "weight_sqnr_db"
    xlabel = ("Output SQNR vs the fp32 golden network (dB)" if use_output
              else "Weight SQNR (dB)")
    colors = design_colors(plt, c)
    fig, ax = plt.subplots(figsize=(7.5, 5.0))
    missing = []
    for j, d in enumerate(designs):
        if d[field] is None:
            missing.append(d["name"])
            continue
        ax.scatter([d[field]], [d["energy_pj"] / 1e6], s=60, color=colors[j], label=d["name"],
                   zorder=3, marker="o" if j else "s")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Energy (µJ)")
    ax.set_title(f"Energy against quality — {suffix(c)}")
    ax.margins(0.12)
    ax.grid(alpha=0.3)
    ax.set_axisbelow(True)
    if len(missing) < len(designs):
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  title="design", title_fontsize=8)
    fig.tight_layout()
    if missing:
        what = "identical to the golden network or not computed" if use_output else \
            "exact or unknown"
        fig.text(0.01, 0.0, f"no finite SQNR ({what}), not drawn: " + ", ".join(missing),
                 fontsize=7, ha="left", va="top", color="0.35")
    save(fig, out_dir, "energy_vs_sqnr")
    plt.close(fig)


def bits_per_weight(plt, ticker, c, out_dir):
    designs = c["designs"]
    colors = design_colors(plt, c)
    fig, ax = plt.subplots(figsize=(3.0 + 1.4 * len(designs), 4.5))
    x = list(range(len(designs)))
    values = [d["bits_per_weight"] or 0 for d in designs]
    ax.bar(x, values, 0.6, color=colors)
    for xi, d, v in zip(x, designs, values):
        label = f"{d['bits_per_weight']:.4g}" if d["bits_per_weight"] is not None else "n/a"
        ax.annotate(label, (xi, v), xytext=(0, 3), textcoords="offset points", ha="center",
                    va="bottom", fontsize=8)
    ax.set_xticks(x)
    ax.set_xticklabels([d["name"] for d in designs], rotation=20, ha="right",
                       rotation_mode="anchor")
    ax.set_xlim(-0.6, len(designs) - 0.4)
    top = max(values) if values else 0
    if top > 0:
        ax.set_ylim(0, top * 1.12)
    ax.set_ylabel("Stored bits per weight (conv and fc)")
    ax.set_title(f"Bits per weight — {suffix(c)}")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    fig.tight_layout()
    save(fig, out_dir, "bits_per_weight")
    plt.close(fig)


def energy_vs_top1(plt, ticker, c, out_dir):
    designs = c["designs"]
    colors = design_colors(plt, c)
    fig, ax = plt.subplots(figsize=(7.5, 5.0))
    for j, d in enumerate(designs):
        ax.scatter([d["top1_accuracy"] * 100], [d["energy_pj"] / 1e6], s=60, color=colors[j],
                   label=d["name"], zorder=3, marker="o" if j else "s")
    ax.axvline(c["float_top1_accuracy"] * 100, color="0.4", linestyle="--", linewidth=1,
               label="float reference (fp64)")
    ax.set_xlabel("Top-1 accuracy (%)")
    ax.set_ylabel("Energy per sample (µJ)")
    ax.set_title(f"Energy against top-1 accuracy — {suffix(c)}")
    ax.margins(0.12)
    ax.grid(alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              title="design", title_fontsize=8)
    fig.tight_layout()
    save(fig, out_dir, "energy_vs_top1")
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Draw the figures of a kqsim comparison (numbers are read from "
                    "compare.json, never computed).")
    parser.add_argument("--in", dest="input", required=True, metavar="COMPARE_JSON")
    parser.add_argument("--out", required=True, metavar="DIR")
    args = parser.parse_args(argv)
    try:
        c = load_compare(args.input)
    except CompareError as e:
        print(f"plot_compare: {args.input}: {e}", file=sys.stderr)
        return 2
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        print(f"plot_compare: cannot create {args.out}: {e.strerror or e}", file=sys.stderr)
        return 1
    plt, ticker = setup_matplotlib()
    try:
        per_layer(plt, ticker, c, "multiplications", "Multiplications",
                  "Multiplications per layer", "multiplications_per_layer", args.out)
        stacked(plt, ticker, c, "energy", "energy_pj", 1e6, "µJ", "Energy (µJ)",
                "Energy by component", "energy_breakdown", args.out)
        stacked(plt, ticker, c, "area", "area_um2", 1e6, "mm²", "Area (mm²)",
                "Area by component", "area_breakdown", args.out)
        per_layer(plt, ticker, c, "cycles", "Cycles", "Cycles per layer", "cycles_per_layer",
                  args.out)
        energy_vs_sqnr(plt, ticker, c, args.out)
        bits_per_weight(plt, ticker, c, args.out)
        if c["float_top1_accuracy"] is not None:
            energy_vs_top1(plt, ticker, c, args.out)
    except OSError as e:
        print(f"plot_compare: cannot write to {args.out}: {e.strerror or e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
