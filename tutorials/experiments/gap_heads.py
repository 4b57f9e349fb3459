"""Does global average pooling prevent overfitting? The small NiN with four heads.

    python tutorials/experiments/gap_heads.py            # the full grid, about 20 minutes on 2 cores

The body of ``nin("small")`` stays the same; only what turns its ten class maps into
logits changes: global average pooling (NiN's), global max pooling, a fully connected
layer, and a fully connected layer after dropout (the comparison of the paper's section
4.6, there on CIFAR-10: 11.59 % error with the fully connected head, 10.88 % with dropout,
10.41 % with global average pooling). Each head trains from the same seeds on the same
training subset, without augmentation, long enough for the training accuracy to pull away
from the validation accuracy. Writes results/gap_heads.{log,json} and figures/gap_heads.png.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

GRID = dict(heads=["gap", "fc", "fc-dropout", "gmp"], seeds=[0, 1], train=5000, val=2000, test=10000,
            epochs=8, batch=128, lr=1e-3)
QUICK = dict(heads=["gap", "fc", "fc-dropout", "gmp"], seeds=[0], train=16, val=8, test=8, epochs=2, batch=8,
             lr=1e-3)
PAPER_CIFAR10_ERROR = {"fc": 11.59, "fc-dropout": 10.88, "gap": 10.41}  # Lin et al. 2014, table 4.6


def main(argv=None):
    args = common.arguments(__doc__, GRID, QUICK, argv)
    import minin as mn
    from minin.models import nin

    run = common.Run(args, "gap_heads", GRID)
    data = common.load(args.data, args.train, args.val, args.test)
    rows, curves = [], {}
    for head in args.heads:
        shape = mn.summary(nin("small", head=head), (1, 28, 28))
        for seed in args.seeds:
            mn.manual_seed(seed)
            model = nin("small", head=head)
            history = common.train(model, data, epochs=args.epochs, batch=args.batch, lr=args.lr, seed=seed,
                                   log=run.log, label=f"head {head} seed {seed}")
            _, train_acc = common.evaluate(model, *data["train"])  # in eval mode, as val and test
            _, val_acc = common.evaluate(model, *data["val"])
            _, test_acc = common.evaluate(model, *data["test"])
            rows.append({"head": head, "seed": seed, "params": shape.total_params, "macs": shape.total_macs,
                         "train_acc": train_acc, "val_acc": val_acc, "test_acc": test_acc,
                         "gap": train_acc - val_acc, "seconds": sum(h["seconds"] for h in history)})
            curves[f"{head}/{seed}"] = history
            run.log(f"head {head} seed {seed}: train {train_acc:.4f} val {val_acc:.4f} test {test_acc:.4f}")
    table = {}
    for head in args.heads:
        mine = [r for r in rows if r["head"] == head]
        table[head] = {"params": mine[0]["params"], "macs": mine[0]["macs"],
                       **{k: common.spread(r[k] for r in mine) for k in ("train_acc", "val_acc", "test_acc", "gap")},
                       "paper_cifar10_error": PAPER_CIFAR10_ERROR.get(head)}
        t = table[head]
        run.log(f"{head:<10} params {t['params']:>8,}  train {t['train_acc']['mean']:.2%}  "
                f"val {t['val_acc']['mean']:.2%} ± {t['val_acc']['spread']:.2%}  "
                f"test {t['test_acc']['mean']:.2%} ± {t['test_acc']['spread']:.2%}  gap {t['gap']['mean']:+.2%}")
    draw(curves, args.heads, args.seeds, run.figure_path)
    run.save({"table": table, "runs": rows, "curves": curves, "figure": str(run.figure_path.name)})


def draw(curves, heads, seeds, path):
    plt = common.pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    colours = dict(zip(("gap", "fc", "fc-dropout", "gmp"), ("#1f77b4", "#d62728", "#ff7f0e", "#2ca02c")))
    for head in heads:
        runs = [curves[f"{head}/{s}"] for s in seeds]
        epochs = [row["epoch"] for row in runs[0]]
        for axis, key in ((left, "loss"), (right, "acc")):
            for part, style in (("train", "--"), ("val", "-")):
                values = [sum(r[i][f"{part}_{key}"] for r in runs) / len(runs) for i in range(len(epochs))]
                axis.plot(epochs, values, style, color=colours.get(head), label=f"{head} {part}")
    left.set_title("cross-entropy (dashed: training, solid: validation)")
    right.set_title("accuracy (mean over seeds)")
    right.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    for axis in (left, right):
        axis.set_xlabel("epoch")
        axis.grid(alpha=0.3)
    right.legend(fontsize=7, ncol=2)
    fig.suptitle("small NiN, four heads, same body and seeds", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
