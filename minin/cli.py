"""The ``minin`` command: train, evaluate, summarise and look inside NiN models.

    minin train                          # the small NiN on Fashion-MNIST, on the CPU
    minin train --model d2l --backend cupy --epochs 10
    minin train --resume runs/small-fashion-mnist
    minin eval --checkpoint runs/small-fashion-mnist/best.npz
    minin summary --model d2l
    minin confmap --checkpoint runs/small-fashion-mnist/best.npz --out maps.png
"""

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

from . import backend
from .train import DATASETS, MODELS, OPTIMIZERS, SCHEDULES, TrainConfig


class CommandError(Exception):
    """A problem to report in one line, with an exit status."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _non_negative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def _positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _non_negative_float(text):
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(prog="minin", description="Train and inspect Network-in-Network models.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    defaults = TrainConfig()

    train = commands.add_parser("train", help="train a NiN (default: the small NiN on Fashion-MNIST)",
                                description="Train a NiN. Every option has a default; `minin train` alone "
                                            "trains the small NiN on Fashion-MNIST on the CPU.")
    train.add_argument("--model", choices=MODELS, help=f"network (default {defaults.model})")
    train.add_argument("--dataset", choices=DATASETS, help=f"data set (default {defaults.dataset})")
    train.add_argument("--backend", choices=backend.BACKENDS, help="numpy (CPU, default) or cupy (GPU)")
    train.add_argument("--epochs", type=_positive_int, help=f"default {defaults.epochs}")
    train.add_argument("--batch-size", type=_positive_int, help=f"default {defaults.batch_size}")
    train.add_argument("--lr", type=_positive_float, help=f"(peak) learning rate, default {defaults.lr:g}")
    train.add_argument("--optimizer", choices=OPTIMIZERS, help=f"default {defaults.optimizer}")
    train.add_argument("--momentum", type=_non_negative_float, help=f"SGD momentum, default {defaults.momentum}")
    train.add_argument("--weight-decay", type=_non_negative_float, help=f"default {defaults.weight_decay:g}")
    train.add_argument("--schedule", choices=SCHEDULES, help=f"learning-rate schedule, default {defaults.schedule}")
    train.add_argument("--augment", action=argparse.BooleanOptionalAction,
                       help="random crops (and flips, except for MNIST); default on")
    train.add_argument("--val-split", type=_non_negative_int,
                       help=f"training images held out for validation, default {defaults.val_split}")
    train.add_argument("--seed", type=_non_negative_int, help=f"default {defaults.seed}")
    train.add_argument("--subset", type=_positive_int, metavar="N",
                       help="use only the first N training images (and at most N test images)")
    train.add_argument("--resize", type=_positive_int, metavar="PIXELS",
                       help="resize images to PIXELS×PIXELS (default 224 for d2l, else unchanged)")
    train.add_argument("--data-dir", metavar="DIR", help="read the data set from DIR only")
    train.add_argument("--no-download", action="store_true", help="never download the data set")
    train.add_argument("--out", metavar="DIR", help="output folder (default runs/MODEL-DATASET)")
    train.add_argument("--resume", metavar="DIR", help="continue the run saved in DIR")
    train.add_argument("--tf32", action="store_true", help="CuPy: allow TF32 matrix products")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")

    evaluate = commands.add_parser("eval", help="test accuracy of a checkpoint, per class")
    evaluate.add_argument("--checkpoint", required=True, metavar="PATH")
    evaluate.add_argument("--backend", choices=backend.BACKENDS, default="numpy")
    evaluate.add_argument("--data-dir", metavar="DIR")
    evaluate.add_argument("--no-download", action="store_true")
    evaluate.add_argument("--subset", type=_positive_int, metavar="N", help="only the first N test images")

    summary = commands.add_parser("summary", help="layers, output shapes, parameters and MACs of a model")
    summary.add_argument("--model", required=True, choices=("small", "d2l", "cifar10", "imagenet", "alexnet"))
    summary.add_argument("--batch-size", type=_positive_int, default=1)
    summary.add_argument("--input-shape", type=_positive_int, nargs=3, metavar=("C", "H", "W"),
                         help="input shape without the batch (default: the model's own)")

    confmap = commands.add_parser("confmap", help="draw test images beside their class confidence maps")
    confmap.add_argument("--checkpoint", required=True, metavar="PATH")
    confmap.add_argument("--out", required=True, metavar="PNG")
    confmap.add_argument("--count", type=_positive_int, default=6, help="number of test images (default 6)")
    confmap.add_argument("--data-dir", metavar="DIR")
    confmap.add_argument("--no-download", action="store_true")
    confmap.add_argument("--seed", type=int, default=0, help="which test images (default 0)")
    return parser


# ---------------------------------------------------------------------------- train

_RESUMABLE = {"epochs", "backend", "data_dir", "no_download", "no_progress", "resume", "command", "tf32"}


def _train(args, parser):
    from .serialization import CheckpointError
    from .train import Stopped, Trainer, TrainingDiverged, resume_config

    # What the command line set: options left out are None, flags left out False
    # (`v not in (None, False)` would drop a 0 too, as 0 == False); --no-augment is False.
    given = {k: v for k, v in vars(args).items() if v is not None and v is not False}
    if args.augment is False:
        given["augment"] = False
    if args.resume:
        extra = sorted(set(given) - _RESUMABLE)
        if extra:
            parser.error("--resume continues the saved run with its own settings; only --epochs, "
                         "--backend, --data-dir, --no-download and --tf32 can go with it, not "
                         + ", ".join("--" + k.replace("_", "-") for k in extra))
        try:
            config = resume_config(args.resume, epochs=args.epochs, backend=args.backend,
                                   data_dir=args.data_dir, tf32=args.tf32 or None,
                                   download=False if args.no_download else None)
        except (FileNotFoundError, CheckpointError, ValueError) as exc:
            raise CommandError(str(exc), 2) from None
    else:
        fields = {f.name for f in dataclasses.fields(TrainConfig)}
        options = {k: v for k, v in given.items() if k in fields}
        if args.no_download:
            options["download"] = False
        config = TrainConfig(**options)
        if args.out is None:
            config.out = _fresh_folder(Path("runs") / f"{config.model}-{config.dataset}")
        elif (Path(config.out) / "last.npz").exists():
            raise CommandError(f"{config.out} already holds a run (last.npz); continue it with "
                               f"--resume {config.out}, or choose another --out", 2)
        elif Path(config.out).exists() and not Path(config.out).is_dir():
            raise CommandError(f"--out {config.out} is a file; the output is a folder", 2)
        if config.tf32 and config.backend != "cupy":
            parser.error("--tf32 only applies to --backend cupy")
    print(f"minin train: {config.model} NiN on {config.dataset}, backend {config.backend}, "
          f"{config.epochs} epoch{'s' if config.epochs != 1 else ''}, writing to {config.out}", flush=True)
    try:
        trainer = Trainer(config, progress=not args.no_progress, resume=bool(args.resume))
    except (ValueError, CheckpointError) as exc:  # settings that don't fit the data or the model
        raise CommandError(str(exc), 2) from None
    try:
        if args.resume:
            print(f"resuming after epoch {trainer.epoch}"
                  + (f", step {trainer.step_in_epoch}" if trainer.step_in_epoch else ""), flush=True)
        trainer.fit()
    except Stopped as exc:
        print(f"{exc}. Continue with: minin train --resume {config.out}")
        return 130
    except TrainingDiverged as exc:
        raise CommandError(f"training stopped: {exc}") from None
    return 0


def _fresh_folder(path):
    """``path``, or ``path-2``, ``path-3``, … if it already holds a run."""
    candidate, k = path, 1
    while (candidate / "last.npz").exists():
        k += 1
        candidate = path.with_name(f"{path.name}-{k}")
    return str(candidate)


# ---------------------------------------------------------------------------- eval, confmap

def _load_run(path, backend_name, data_dir, download, subset=None):
    """The model of a training checkpoint, and the matching test set and transform."""
    from .data import DataLoader, Subset
    from .serialization import CheckpointError
    from .train import TrainConfig, _dataset_class, build_model, load_checkpoint, make_transforms

    try:
        state = load_checkpoint(path)
    except (FileNotFoundError, CheckpointError, ValueError) as exc:
        raise CommandError(str(exc), 2) from None
    config = TrainConfig.from_dict(state["config"])
    backend.use(backend_name)
    test_set = _dataset_class(config.dataset)(train=False, root=data_dir or config.data_dir or None,
                                              download=download)
    if subset:
        test_set = Subset(test_set, np.arange(min(subset, len(test_set))))
    _, transform = make_transforms(config, test_set.images.shape[1:])
    model = build_model(config.model, len(state["classes"]), test_set.images.shape[1], backend_name)
    model.load_state_dict(state["model"])
    model.eval()
    return config, state, model, test_set, DataLoader(test_set, 256, transform=transform)


def _eval(args):
    from . import functional as F
    from .function import no_grad

    config, state, model, test_set, loader = _load_run(args.checkpoint, args.backend, args.data_dir,
                                                       not args.no_download, args.subset)
    classes = state["classes"]
    loss, correct = backend.xp().zeros((), np.float64), np.zeros(len(classes))
    with no_grad():
        predictions = []
        for images, labels in loader:
            logits = model(images)
            loss += F.cross_entropy(logits, labels, reduction="sum").data  # on the device: no wait
            predictions.append(logits.data.argmax(axis=1))
    loss = float(loss)
    predictions = [backend.asnumpy(p) for p in predictions]
    predicted, truth = np.concatenate(predictions), test_set.labels
    print(f"{args.checkpoint}: {config.model} NiN after {state['epoch']} epochs on {config.dataset}")
    print(f"test loss {loss / len(truth):.4f}, test accuracy {np.mean(predicted == truth):.2%} "
          f"({len(truth)} images)")
    width = max(len(c) for c in classes)
    print(f"{'class':<{width}}  accuracy  images")
    for k, name in enumerate(classes):
        mine = truth == k
        share = np.mean(predicted[mine] == k) if mine.any() else float("nan")
        print(f"{name:<{width}}  {share:8.2%}  {int(mine.sum()):6d}")
    return 0


def _confmap(args):
    from . import functional as F
    from .function import no_grad
    from .models import class_maps
    from .plots import plot_class_maps
    from .tensor import Tensor
    from .train import STATISTICS

    folder = Path(args.out).expanduser().absolute().parent
    if not folder.is_dir():
        raise CommandError(f"--out {args.out}: the folder {folder} does not exist", 2)
    config, state, model, test_set, loader = _load_run(args.checkpoint, "numpy", args.data_dir,
                                                       not args.no_download)
    pick = np.random.default_rng(args.seed).choice(len(test_set), size=min(args.count, len(test_set)),
                                                   replace=False)
    images = loader.transform(test_set.images[pick])
    with no_grad():
        maps = class_maps(model, Tensor(images))
        probabilities = F.log_softmax(F.global_avg_pool2d(maps)).exp()
    mean, std = STATISTICS[config.dataset]
    try:
        plot_class_maps(images, maps.numpy(), probabilities.numpy(), test_set.labels[pick],
                        state["classes"], args.out, mean, std)
    except RuntimeError as exc:
        raise CommandError(str(exc)) from None
    print(f"wrote {args.out}: {len(pick)} test images and their {maps.shape[1]} class maps "
          f"({maps.shape[2]}×{maps.shape[3]} each)")
    return 0


def _summary(args):
    from .models import INPUT_SHAPES, alexnet, nin
    from .summary import summary

    model = alexnet() if args.model == "alexnet" else nin(args.model)
    shape = args.input_shape or (INPUT_SHAPES.get(args.model) or (3, 224, 224))
    try:
        table = summary(model, shape, batch_size=args.batch_size)
    except ValueError as exc:
        raise CommandError(f"{args.model} cannot take inputs of shape {list(shape)}: {exc}", 2) from None
    print(f"{args.model}, input {list(shape)}, batch {args.batch_size}")
    print(table)
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    from .data import DatasetFormatError, DatasetNotFoundError

    try:
        if args.command == "train":
            return _train(args, parser)
        if args.command == "eval":
            return _eval(args)
        if args.command == "summary":
            return _summary(args)
        return _confmap(args)
    except backend.BackendError as exc:
        print(f"minin: error: {exc}", file=sys.stderr)
        return 2
    except (DatasetNotFoundError, DatasetFormatError) as exc:
        print(f"minin: error: {exc}", file=sys.stderr)
        return 1
    except CommandError as exc:
        print(f"minin: error: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print("\nminin: interrupted", file=sys.stderr)
        return 130


def entry_point():
    sys.exit(main())
