"""Draw the NiN diagrams: the pipeline with its numbers, and a linear convolution beside mlpconv.

    python tutorials/figures/make_nin_figures.py [--variant d2l] [--out-dir tutorials/figures]

writes, next to this file,

* nin_pipeline.png: every stage of ``nin(variant)`` (default: the d2l network of the
  article) as a box with its output shape, parameters and multiply-accumulates, all read
  from ``minin.summary`` (nothing is typed in by hand), and a bar per stage showing where
  the parameters and the MACs sit;
* linear_conv_vs_mlpconv.png: what one output position sees in a linear convolution
  (one weighted sum of the patch per output map, then a ReLU) and in an mlpconv layer
  (the same patch through a small multilayer perceptron: the 1×1 convolutions).

No training, no data: a forward pass of one random input for the summary.
"""

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def describe(module):
    """A stage's name in the diagram, from its layers."""
    from minin import nn

    if isinstance(module, nn.Sequential):
        convs = [m for m in module if isinstance(m, nn.Conv2d)]
        first = convs[0]
        k, s = first.kernel_size[0], first.stride[0]
        rest = len(convs) - 1
        return (f"mlpconv\n{k}×{k}" + (f"/{s}" if s > 1 else "") +
                (f" + {rest}×{convs[1].kernel_size[0]}×{convs[1].kernel_size[0]}" if rest else ""))
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        kind = "max" if isinstance(module, nn.MaxPool2d) else "avg"
        return f"{kind} pool\n{module.kernel_size}/{module.stride}" + (" ceil" if module.ceil_mode else "")
    if isinstance(module, nn.Dropout):
        return f"dropout\n{module.p}"
    if isinstance(module, nn.GlobalAvgPool2d):
        return "global avg\npool"
    if isinstance(module, nn.Linear):
        return "linear"
    return type(module).__name__


def short(n):
    """87,619,968 → '87.6 M'."""
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return str(n)


def stages(variant):
    """(label, output shape, params, MACs) of each top-level stage of nin(variant), from summary."""
    import minin as mn
    from minin.models import INPUT_SHAPES, nin

    model = nin(variant)
    table = mn.summary(model, INPUT_SHAPES[variant])
    out = [("input", (1,) + tuple(INPUT_SHAPES[variant]), 0, 0)]
    for row in table.rows:
        if row.depth != 1 or row.kind == "Flatten":
            continue
        out.append((describe(model[int(row.name)]), row.output_shape, row.params, row.macs))
    return out, table


def draw_pipeline(variant, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    rows, table = stages(variant)
    colours = {"mlpconv": "#9ecae1", "max pool": "#d9d9d9", "avg pool": "#d9d9d9", "dropout": "#fdd0a2",
               "global avg": "#a1d99b", "input": "#ffffff"}
    n = len(rows)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(1.45 * n + 1, 5.6), height_ratios=[1.25, 1],
                                      layout="constrained")
    top.set_xlim(-0.6, n - 0.4)
    top.set_ylim(0, 1)
    top.axis("off")
    for i, (label, shape, params, macs) in enumerate(rows):
        colour = next((c for k, c in colours.items() if label.startswith(k)), "#eeeeee")
        top.add_patch(FancyBboxPatch((i - 0.42, 0.38), 0.84, 0.5, boxstyle="round,pad=0.02", fc=colour,
                                     ec="#444444", lw=0.8))
        top.text(i, 0.74, label, ha="center", va="center", fontsize=7.5, weight="bold")
        dims = "×".join(str(d) for d in shape[1:])
        top.text(i, 0.5, dims, ha="center", va="center", fontsize=7.5, family="monospace")
        if params or macs:
            top.text(i, 0.27, f"{params:,} params", ha="center", fontsize=6.5)
            top.text(i, 0.17, f"{short(macs)} MACs", ha="center", fontsize=6.5)
        if i:
            top.annotate("", (i - 0.43, 0.63), (i - 0.57, 0.63), arrowprops=dict(arrowstyle="->", lw=0.9))
    top.set_title(f'nin("{variant}"): {table.total_params:,} parameters, {table.total_macs:,} MACs per image '
                  f"(minin.summary)", fontsize=10)
    xs = range(n)
    share_p = [100 * r[2] / table.total_params for r in rows]
    share_m = [100 * r[3] / table.total_macs for r in rows]
    bottom.bar([x - 0.2 for x in xs], share_p, width=0.4, color="#3182bd", label="share of parameters")
    bottom.bar([x + 0.2 for x in xs], share_m, width=0.4, color="#e6550d", label="share of MACs")
    bottom.set_xticks(list(xs))
    bottom.set_xticklabels([r[0].split("\n")[0] for r in rows], fontsize=7)
    bottom.set_xlim(-0.6, n - 0.4)
    bottom.set_ylabel("% of the network")
    bottom.legend(fontsize=8)
    bottom.grid(axis="y", alpha=0.3)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    print(f"wrote {path}")


def draw_mlpconv(path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.8), layout="constrained")

    def patch(axis):
        for r in range(3):
            for c in range(3):
                axis.add_patch(Rectangle((0.2 * c, 1.3 + 0.2 * r), 0.2, 0.2, fc="#c6dbef", ec="#333333", lw=0.6))
        axis.text(0.3, 1.05, "k×k×C patch\nof the input", ha="center", fontsize=8)
        return [(0.6, 1.4 + 0.2 * r) for r in range(3)]

    def layer(axis, x, count, colour):
        ys = [1.6 + 0.45 * (i - (count - 1) / 2) for i in range(count)]
        for y in ys:
            axis.add_patch(plt.Circle((x, y), 0.08, fc=colour, ec="#333333", lw=0.6, zorder=3))
        return [(x, y) for y in ys]

    def connect(axis, left, right):
        for a in left:
            for b in right:
                axis.plot([a[0], b[0]], [a[1], b[1]], color="#888888", lw=0.5, zorder=1)

    left, right = axes
    outputs = layer(left, 2.2, 3, "#fdae6b")
    connect(left, patch(left), outputs)
    left.text(1.4, 0.55, r"$f_{k} = \max(w_k^\top x + b_k,\ 0)$", ha="center", fontsize=10)
    left.text(2.45, 1.6, "one value\nper output map", va="center", fontsize=8)
    left.set_title("linear convolution: one weighted sum of the patch per map, then ReLU", fontsize=9)

    hidden1 = layer(right, 1.3, 4, "#9ecae1")
    hidden2 = layer(right, 2.0, 4, "#9ecae1")
    outputs = layer(right, 2.7, 3, "#fdae6b")
    connect(right, patch(right), hidden1)
    connect(right, hidden1, hidden2)
    connect(right, hidden2, outputs)
    right.text(1.3, 0.55, "k×k conv + ReLU", ha="center", fontsize=8)
    right.text(2.0, 0.55, "1×1 conv + ReLU", ha="center", fontsize=8)
    right.text(2.7, 0.55, "1×1 conv + ReLU", ha="center", fontsize=8)
    right.text(1.75, 0.2, r"$f^{n} = \max(W^{n} f^{n-1} + b^{n},\ 0)$: an MLP slid over the image",
               ha="center", fontsize=10)
    right.set_title("mlpconv: the same patch through a small MLP (the 1×1 convolutions)", fontsize=9)
    for axis in axes:
        axis.set_xlim(-0.1, 3.2)
        axis.set_ylim(0, 2.7)
        axis.set_aspect("equal")
        axis.axis("off")
    fig.savefig(path, dpi=130)
    plt.close(fig)
    print(f"wrote {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variant", default="d2l", help="which nin() to draw (default d2l)")
    parser.add_argument("--out-dir", default=os.path.relpath(HERE), help="where the PNGs go")
    args = parser.parse_args(argv)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    draw_pipeline(args.variant, out / "nin_pipeline.png")
    draw_mlpconv(out / "linear_conv_vs_mlpconv.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
