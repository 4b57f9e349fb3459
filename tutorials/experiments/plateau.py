"""The 2.303 plateau: the article's recipe against init_nin and against d2l's, over several seeds.

    python tutorials/experiments/plateau.py              # the full grid, about 15 minutes on 2 cores

The article trains the d2l NiN (``nin("d2l")``) with PyTorch's default initialisation,
Adam at a constant 2e-3, no normalisation (pixels in [0, 1], no normalisation layers) and no
augmentation, on Fashion-MNIST resized to 224×224, on a GPU. This script runs that recipe on the CPU at a reduced
resolution (``--size``; the network is the same, its maps smaller) and compares it with
two others on the same images and seeds:

* ``article``: init="torch", Adam 2e-3 (the article's code);
* ``init-nin``: init="nin" (minin's default, chapter 6), Adam 2e-3;
* ``d2l``: init="xavier", plain SGD at 0.05 (the book's ``train_ch6``).

It records the training loss at every step and counts the seeds whose loss is still at
ln 10 = 2.303 at the end. Writes results/plateau.{log,json} and figures/plateau.png.
"""

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

RECIPES = {"article": ("torch", "adam", 2e-3), "init-nin": ("nin", "adam", 2e-3), "d2l": ("xavier", "sgd", 0.05)}
GRID = dict(recipes=["article", "init-nin", "d2l"], seeds=[0, 1, 2, 3, 4], steps=200, batch=64, size=67, test=2000)
QUICK = dict(recipes=["article", "init-nin", "d2l"], seeds=[0], steps=2, batch=4, size=67, test=8)
STUCK_MARGIN = 0.02  # "at the plateau": the mean loss of the last tenth of the steps above ln 10 − 0.02


def smooth(losses, window=10):
    """Running mean over ``window`` steps (shorter at the start)."""
    c = np.cumsum(np.concatenate([[0.0], losses]))
    return [(c[i + 1] - c[max(0, i + 1 - window)]) / min(i + 1, window) for i in range(len(losses))]


def left_at(losses, level=2.2, window=10):
    """The first step (1-based) at which the running mean drops below ``level``, or None."""
    for i, value in enumerate(smooth(losses, window)):
        if value < level:
            return i + 1
    return None


def main(argv=None):
    args = common.arguments(__doc__, GRID, QUICK, argv)
    import minin as mn
    from minin.models import nin

    run = common.Run(args, "plateau", GRID)
    # pixels in [0, 1], not normalised: the article's (and d2l's) ToTensor() and nothing else
    data = common.load(args.data, args.steps * args.batch, 0, args.test, size=args.size, normalise=False)
    data.pop("val")
    shape = mn.summary(nin("d2l"), (1, args.size, args.size))
    maps = [r for r in shape.rows if r.name == "7"][0].output_shape[2:]
    run.log(f"d2l NiN at {args.size}×{args.size}: {shape.total_macs:,} MACs per image (class maps {maps})")
    rows, losses = [], {}
    plateau = math.log(10)
    for recipe in args.recipes:
        init, optimizer, lr = RECIPES[recipe]
        for seed in args.seeds:
            mn.manual_seed(seed)
            model = nin("d2l", init=init)
            steps = []
            common.train(model, data, epochs=1, batch=args.batch, lr=lr, seed=seed, optimizer=optimizer,
                         log=run.log, label=f"{recipe} seed {seed}", step_losses=steps, max_steps=args.steps)
            tail = float(np.mean(steps[-max(1, len(steps) // 10):]))
            _, test_acc = common.evaluate(model, *data["test"], batch=250)
            row = {"recipe": recipe, "seed": seed, "init": init, "optimizer": optimizer, "lr": lr,
                   "first_loss": steps[0], "final_loss": tail, "stuck": tail > plateau - STUCK_MARGIN,
                   "left_plateau_at": left_at(steps), "test_acc": test_acc}
            rows.append(row)
            losses[f"{recipe}/{seed}"] = steps
            run.log(f"{recipe} seed {seed}: loss {steps[0]:.3f} → {tail:.3f}, "
                    f"{'still at ln 10' if row['stuck'] else 'left ln 10'}, below 2.2 from step "
                    f"{row['left_plateau_at']}, test accuracy {test_acc:.2%}")
    table = {}
    for recipe in args.recipes:
        mine = [r for r in rows if r["recipe"] == recipe]
        left = [r["left_plateau_at"] for r in mine if r["left_plateau_at"] is not None]
        table[recipe] = {"init": mine[0]["init"], "optimizer": mine[0]["optimizer"], "lr": mine[0]["lr"],
                         "seeds": len(mine), "stuck": sum(r["stuck"] for r in mine),
                         "final_loss": common.spread(r["final_loss"] for r in mine),
                         "test_acc": common.spread(r["test_acc"] for r in mine),
                         "left_plateau_at": {"min": min(left), "max": max(left)} if left else None}
        t = table[recipe]
        run.log(f"{recipe:<9} {t['stuck']} of {t['seeds']} seeds still at ln 10 after {args.steps} steps; "
                f"final loss {t['final_loss']['mean']:.3f} (range {t['final_loss']['min']:.3f}–"
                f"{t['final_loss']['max']:.3f})")
    draw(losses, args.recipes, args.seeds, run.figure_path, args.size)
    run.save({"table": table, "runs": rows, "losses": losses, "macs_per_image": shape.total_macs,
              "plateau": plateau, "stuck_margin": STUCK_MARGIN, "figure": str(run.figure_path.name)})


def draw(losses, recipes, seeds, path, size):
    plt = common.pyplot()
    fig, axes = plt.subplots(1, len(recipes), figsize=(4 * len(recipes), 3.6), sharey=True, squeeze=False)
    titles = {"article": "article: PyTorch init, Adam 2e-3", "init-nin": "init_nin, Adam 2e-3",
              "d2l": "d2l: Xavier, SGD 0.05"}
    for axis, recipe in zip(axes[0], recipes):
        for seed in seeds:
            values = losses[f"{recipe}/{seed}"]
            axis.plot(range(1, len(values) + 1), smooth(values), label=f"seed {seed}", lw=1.2)
        axis.axhline(math.log(10), color="k", ls="--", lw=0.8)
        axis.text(1, math.log(10) + 0.03, "ln 10 = 2.303", fontsize=7)
        axis.set_title(titles.get(recipe, recipe), fontsize=9)
        axis.set_xlabel("step")
        axis.grid(alpha=0.3)
    axes[0][0].set_ylabel("training loss (10-step running mean)")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"d2l NiN on Fashion-MNIST at {size}×{size}, one line per seed", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
