"""Draw the tutorial's figures from recorded results.

    python tutorials/figures/make_figures.py \
        --curves tutorials/results/small_fashion_mnist_cpu.jsonl \
        --checkpoint /path/to/d2l_weights.npz

writes, next to this file,

* curves.png: training and validation loss and accuracy per epoch, read from a
  ``metrics.jsonl`` that ``minin train`` wrote (drawn by ``minin.plots.plot_curves``,
  the function the trainer itself uses for ``curves.png``);
* class_maps.png: test images beside their class maps, drawn by ``minin confmap``
  from a checkpoint (the same command a reader runs).

Either option may be left out to draw only the other figure. Nothing is trained
here; the class maps need one forward pass on the CPU.
"""

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def read_epochs(path):
    """The per-epoch rows of a metrics.jsonl (the final test row has no "epoch")."""
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    epochs = [row for row in rows if "epoch" in row]
    if not epochs:
        raise SystemExit(f"{path}: no epoch rows; is this a metrics.jsonl written by `minin train`?")
    return epochs


def draw_curves(metrics, out):
    from minin.plots import plot_curves

    if not plot_curves(read_epochs(metrics), out):
        raise SystemExit("drawing curves needs matplotlib: pip install \"minin[plot]\"")
    print(f"wrote {out}")


def draw_class_maps(checkpoint, out, count, seed):
    from minin import cli

    status = cli.main(["confmap", "--checkpoint", str(checkpoint), "--out", str(out),
                       "--count", str(count), "--seed", str(seed)])
    if status:
        raise SystemExit(status)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--curves", metavar="METRICS_JSONL", help="metrics.jsonl of a training run")
    parser.add_argument("--checkpoint", metavar="NPZ", help="a checkpoint written by `minin train`")
    parser.add_argument("--count", type=int, default=6, help="test images in class_maps.png (default 6)")
    parser.add_argument("--seed", type=int, default=0, help="which test images (default 0)")
    parser.add_argument("--out-dir", default=os.path.relpath(HERE),
                        help="where the PNGs go (default: next to this file)")
    args = parser.parse_args(argv)
    if not (args.curves or args.checkpoint):
        parser.error("nothing to draw: give --curves, --checkpoint or both")
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.curves:
        draw_curves(args.curves, out_dir / "curves.png")
    if args.checkpoint:
        draw_class_maps(args.checkpoint, out_dir / "class_maps.png", args.count, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
