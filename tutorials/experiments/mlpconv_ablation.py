"""What do the 1×1 layers buy? The small NiN with 0 to 3 of them per block, and with 3×3 ones.

    python tutorials/experiments/mlpconv_ablation.py     # the full grid, about 20 minutes on 2 cores

Each cell is ``nin("small", mlp_depth=d, mlp_kernel=k)``: d layers after the first
convolution of every mlpconv block (2 is NiN, 0 a plain convolution + ReLU per block),
1×1 (NiN's) or 3×3 (more context for the same depth, nine times the weights). Same
training subset, seeds and recipe for every cell. Writes results/mlpconv_ablation.{log,json}
and figures/mlpconv_ablation.png: accuracy against parameters and against MACs.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

GRID = dict(cells=["0x1", "1x1", "2x1", "3x1", "2x3"], seeds=[0, 1], train=4000, val=1000, test=5000, epochs=5,
            batch=128, lr=1e-3)
QUICK = dict(cells=["0x1", "2x1", "2x3"], seeds=[0], train=32, val=16, test=16, epochs=1, batch=16, lr=1e-3)


def parse_cell(cell):
    """ "2x3" → (mlp_depth 2, mlp_kernel 3)."""
    depth, kernel = cell.split("x")
    return int(depth), int(kernel)


def main(argv=None):
    args = common.arguments(__doc__, GRID, QUICK, argv)
    import minin as mn
    from minin.models import nin

    run = common.Run(args, "mlpconv_ablation", GRID)
    data = common.load(args.data, args.train, args.val, args.test)
    rows = []
    for cell in args.cells:
        depth, kernel = parse_cell(cell)
        shape = mn.summary(nin("small", mlp_depth=depth, mlp_kernel=kernel), (1, 28, 28))
        for seed in args.seeds:
            mn.manual_seed(seed)
            model = nin("small", mlp_depth=depth, mlp_kernel=kernel)
            history = common.train(model, data, epochs=args.epochs, batch=args.batch, lr=args.lr, seed=seed,
                                   log=run.log, label=f"cell {cell} seed {seed}")
            _, train_acc = common.evaluate(model, *data["train"])
            _, val_acc = common.evaluate(model, *data["val"])
            _, test_acc = common.evaluate(model, *data["test"])
            rows.append({"cell": cell, "mlp_depth": depth, "mlp_kernel": kernel, "seed": seed,
                         "params": shape.total_params, "macs": shape.total_macs, "train_acc": train_acc,
                         "val_acc": val_acc, "test_acc": test_acc,
                         "seconds": sum(h["seconds"] for h in history)})
            run.log(f"cell {cell} seed {seed}: train {train_acc:.4f} val {val_acc:.4f} test {test_acc:.4f}")
    table = {}
    for cell in args.cells:
        mine = [r for r in rows if r["cell"] == cell]
        table[cell] = {"mlp_depth": mine[0]["mlp_depth"], "mlp_kernel": mine[0]["mlp_kernel"],
                       "params": mine[0]["params"], "macs": mine[0]["macs"],
                       "seconds_per_run": sum(r["seconds"] for r in mine) / len(mine),
                       **{k: common.spread(r[k] for r in mine) for k in ("train_acc", "val_acc", "test_acc")}}
        t = table[cell]
        run.log(f"{cell:<4} params {t['params']:>9,}  MACs {t['macs']:>12,}  train {t['train_acc']['mean']:.2%}  "
                f"test {t['test_acc']['mean']:.2%} ± {t['test_acc']['spread']:.2%}")
    draw(table, run.figure_path)
    run.save({"table": table, "runs": rows, "figure": str(run.figure_path.name)})


def draw(table, path):
    plt = common.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for axis, key, label in ((axes[0], "params", "parameters"), (axes[1], "macs", "MACs per image")):
        for cell, t in table.items():
            acc = t["test_acc"]
            colour = "#1f77b4" if t["mlp_kernel"] == 1 else "#d62728"
            axis.errorbar(t[key], acc["mean"], yerr=acc["spread"], fmt="o", color=colour, capsize=3)
            axis.annotate(f"{t['mlp_depth']}×{'1×1' if t['mlp_kernel'] == 1 else '3×3'}", (t[key], acc["mean"]),
                          textcoords="offset points", xytext=(5, 5), fontsize=8)
        axis.set_xscale("log")
        axis.set_xlabel(label + " (log scale)")
        axis.set_ylabel("test accuracy (mean ± half range over seeds)")
        axis.yaxis.set_major_formatter(lambda v, _: f"{v:.1%}")
        axis.grid(alpha=0.3)
    fig.suptitle("small NiN: layers after each block's first convolution (blue 1×1, red 3×3)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
