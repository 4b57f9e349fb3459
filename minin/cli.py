"""The ``minin`` command: train, evaluate, summarise and look inside NiN models.

    minin train                          # the small NiN on Fashion-MNIST, on the CPU
    minin train --model d2l --backend cupy --epochs 10
    minin train --resume runs/small-fashion-mnist
    minin eval --checkpoint runs/small-fashion-mnist/best.npz
    minin summary --model d2l
    minin confmap --checkpoint runs/small-fashion-mnist/best.npz --out maps.png

Every failure the user can cause ends in one line on stderr and exit status 2 (bad
settings or files) or 1 (a run that failed); nothing is written outside ``--out``.
"""

import argparse
import dataclasses
import math
import os
import sys
from pathlib import Path

import numpy as np

from . import backend, distributed, registry
from .training.config import (DATASETS, HEADS, INITS, MLP_DEPTHS, MLP_KERNELS, MODELS, OPTIMIZERS,
                              SCHEDULES, TrainConfig)

# The longest file name and path Linux takes; longer ones fail with ENAMETOOLONG, which
# pathlib's exists() and is_dir() raise instead of answering.
NAME_MAX, PATH_MAX = 255, 4096
# Image formats confmap writes (matplotlib's common ones), and the most images a readable figure holds.
IMAGE_FORMATS = (".png", ".pdf", ".svg", ".jpg", ".jpeg")
MAX_CONFMAP_COUNT = 32


class CommandError(Exception):
    """A problem to report in one line, with an exit status."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------------------- argument types
# Each is named for argparse's "invalid <name> value" message.

def _number(kind, text, what):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None


def positive_int(text):
    value = _number(int, text, "a positive integer")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def non_negative_int(text):
    value = _number(int, text, "an integer >= 0")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def positive_float(text):
    value = _number(float, text, "a positive number")
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be positive and finite, got {text}")
    return value


def non_negative_float(text):
    value = _number(float, text, "a number >= 0")
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must not be negative, and finite, got {text}")
    return value


def fraction(text):
    value = _number(float, text, "a number in [0, 1)")
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must lie in [0, 1), got {text}")
    return value


def path(text):
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty (an unset shell variable?)")
    encoded = os.fsencode(text)
    longest = max(encoded.split(b"/"), key=len)
    if len(longest) > NAME_MAX:
        raise argparse.ArgumentTypeError(f"a name in it is {len(longest)} bytes long; file and folder "
                                         f"names have at most {NAME_MAX}")
    if len(encoded) >= PATH_MAX:
        raise argparse.ArgumentTypeError(f"it is {len(encoded)} bytes long; paths have fewer than {PATH_MAX}")
    return text


def _os_error(exc):
    """An OSError in a few words, with the file it concerns when it names one."""
    what = exc.strerror or str(exc)
    return f"{what}: {exc.filename}" if exc.filename else what


def build_parser():
    parser = argparse.ArgumentParser(prog="minin", description="Train and inspect Network-in-Network models.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_train(commands)

    evaluate = commands.add_parser("eval", help="test accuracy of a checkpoint, per class")
    evaluate.add_argument("--checkpoint", required=True, metavar="PATH", type=path)
    evaluate.add_argument("--backend", choices=backend.BACKENDS, default="numpy")
    evaluate.add_argument("--data-dir", metavar="DIR", type=path)
    evaluate.add_argument("--no-download", action="store_true")
    evaluate.add_argument("--subset", type=positive_int, metavar="N", help="only the first N test images")

    summary = commands.add_parser("summary", help="layers, output shapes, parameters and MACs of a model")
    summary.add_argument("--model", required=True, choices=registry.described_models())
    summary.add_argument("--batch-size", type=positive_int, default=1)
    summary.add_argument("--input-shape", type=positive_int, nargs=3, metavar=("C", "H", "W"),
                         help="input shape without the batch (default: the model's own)")

    confmap = commands.add_parser("confmap", help="draw test images beside their class confidence maps")
    confmap.add_argument("--checkpoint", required=True, metavar="PATH", type=path)
    confmap.add_argument("--out", required=True, metavar="FILE", type=path,
                         help=f"the picture to write ({', '.join(IMAGE_FORMATS)}; .png added to a bare name)")
    confmap.add_argument("--count", type=positive_int, default=6,
                         help=f"number of test images, at most {MAX_CONFMAP_COUNT} (default 6)")
    confmap.add_argument("--data-dir", metavar="DIR", type=path)
    confmap.add_argument("--no-download", action="store_true")
    confmap.add_argument("--seed", type=non_negative_int, default=0, help="which test images (default 0)")
    return parser


def _add_train(commands):
    defaults = TrainConfig()
    train = commands.add_parser("train", help="train a NiN (default: the small NiN on Fashion-MNIST)",
                                description="Train a NiN. Every option has a default; `minin train` alone "
                                            "trains the small NiN on Fashion-MNIST on the CPU.")
    train.set_defaults(command_parser=train)  # so that its errors say "minin train: error:"
    add = train.add_argument
    add("--model", choices=MODELS, help=f"network (default {defaults.model})")
    add("--dataset", choices=DATASETS, help=f"data set (default {defaults.dataset})")
    add("--backend", choices=backend.BACKENDS, help="numpy (CPU, default) or cupy (GPU)")
    add("--epochs", type=positive_int, help=f"default {defaults.epochs}")
    add("--batch-size", type=positive_int, help=f"images per step, over all processes; default {defaults.batch_size}")
    add("--lr", type=positive_float, help=f"(peak) learning rate, default {defaults.lr:g}")
    add("--optimizer", choices=OPTIMIZERS, help=f"default {defaults.optimizer}")
    add("--momentum", type=non_negative_float, help=f"SGD momentum, default {defaults.momentum}")
    add("--weight-decay", type=non_negative_float, help=f"default {defaults.weight_decay:g}")
    add("--label-smoothing", type=fraction, metavar="EPS",
        help=f"spread EPS of each target over all classes, in [0, 1); default {defaults.label_smoothing:g}")
    add("--schedule", choices=SCHEDULES, help=f"learning-rate schedule, default {defaults.schedule}")
    add("--augment", action=argparse.BooleanOptionalAction,
        help="random crops (and flips, except for MNIST); default on")
    add("--val-split", type=non_negative_int, metavar="N",
        help="training images held out for validation, counted after --subset (default 10,000 of "
             "the full set, or the same share of a --subset)")
    add("--seed", type=non_negative_int, help=f"default {defaults.seed}")
    add("--subset", type=positive_int, metavar="N",
        help="use only the first N training images (and at most N test images)")
    add("--resize", type=positive_int, metavar="PIXELS",
        help="resize images to PIXELS×PIXELS (default 224 for d2l, else unchanged)")
    add("--head", choices=HEADS, help="class scores from the last maps: gap (NiN's global average "
                                      "pooling, default), fc, fc-dropout or gmp (global max pooling)")
    add("--mlp-depth", type=int, choices=MLP_DEPTHS, help="1×1 layers in each mlpconv block (default 2)")
    add("--mlp-kernel", type=int, choices=MLP_KERNELS, help="kernel size of those layers (default 1)")
    add("--init", choices=INITS, help="initialisation: nin (default), torch or xavier")
    add("--data-dir", metavar="DIR", type=path, help="read the data set from DIR only")
    add("--no-download", action="store_true", help="never download the data set")
    add("--out", metavar="DIR", type=path, help="output folder (default runs/MODEL-DATASET)")
    add("--resume", metavar="DIR", type=path, help="continue the run saved in DIR")
    add("--tf32", action="store_true", help="CuPy: allow TF32 matrix products")
    add("--no-progress", action="store_true", help="no progress bar")


# ---------------------------------------------------------------------------- train

_RESUMABLE = {"epochs", "backend", "data_dir", "no_download", "no_progress", "resume", "command",
              "command_parser", "tf32"}


def _process_group():
    """The process group of a run started by mpiexec (None for one process); mpi4py itself
    is imported only then."""
    try:
        return distributed.init_from_environment()
    except distributed.DistributedError as exc:
        raise CommandError(str(exc), 2) from None


def _train_config(args, parser):
    """The run's ``TrainConfig`` from the command line (a resumed run's own, for --resume)."""
    from .serialization import CheckpointError
    from .training import resume_config
    from .training.folder import check_fresh

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
        except OSError as exc:  # last.npz is a folder, or cannot be read
            raise CommandError(f"cannot read the run to resume: {_os_error(exc)}", 2) from None
        _check_tf32(config, parser)
        return config
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    options = {k: v for k, v in given.items() if k in fields}
    if args.no_download:
        options["download"] = False
    try:
        config = TrainConfig(**options)
    except ValueError as exc:  # the types above should catch everything; this is the backstop
        parser.error(str(exc))
    if args.out is None:
        config.out = _fresh_folder(Path("runs") / f"{config.model}-{config.dataset}")
    try:
        check_fresh(config.out)
    except ValueError as exc:
        raise CommandError(str(exc), 2) from None
    _check_tf32(config, parser)
    return config


def _check_tf32(config, parser):
    # A resumed run's backend is its own unless --backend is given: the same check applies.
    if config.tf32 and config.backend != "cupy":
        parser.error("--tf32 only applies to --backend cupy")


def _check_data_dir(data_dir):
    if data_dir and Path(data_dir).exists() and not Path(data_dir).is_dir():
        raise CommandError(f"--data-dir {data_dir} is a file; give the folder that holds the data set", 2)


def _train(args, parser):
    from .serialization import CheckpointError
    from .training import Stopped, Trainer, TrainingDiverged

    config = _train_config(args, parser)
    _check_data_dir(config.data_dir)
    group = _process_group()
    say = print if group is None or group.rank == 0 else (lambda *a, **k: None)
    say(f"minin train: {config.model} NiN on {config.dataset}, backend {config.backend}, "
        f"{config.epochs} epoch{'s' if config.epochs != 1 else ''}, writing to {config.out}", flush=True)
    trainer = Trainer(config, progress=not args.no_progress, resume=bool(args.resume), group=group)
    try:
        trainer.setup()
    except (ValueError, CheckpointError, distributed.DistributedError) as exc:  # settings that don't fit
        raise CommandError(str(exc), 2) from None
    try:
        if args.resume:
            say(f"resuming after epoch {trainer.epoch}"
                + (f", step {trainer.step_in_epoch}" if trainer.step_in_epoch else ""), flush=True)
        trainer.fit()
    except Stopped as exc:
        say(f"{exc}. Continue with: minin train --resume {config.out}")
        return 130
    except TrainingDiverged as exc:
        raise CommandError(f"training stopped: {exc}") from None
    except ValueError as exc:  # the output folder could not be used
        raise CommandError(str(exc), 2) from None
    except OSError as exc:  # a full disk, a folder that became unwritable, a file that is a folder
        raise CommandError(_os_error(exc)) from None
    return 0


def _fresh_folder(path):
    """``path``, or ``path-2``, ``path-3``, … if it already holds a run or other files, or
    another run is writing there."""
    from .training.folder import check_fresh

    candidate, k = path, 1
    while True:
        try:
            check_fresh(candidate)
            if not _in_use(candidate):
                return str(candidate)
        except ValueError:
            pass
        k += 1
        candidate = path.with_name(f"{path.name}-{k}")


def _in_use(folder):
    from ._files import FolderLock, FolderLocked

    if not (folder / FolderLock.name).exists():
        return False
    try:
        FolderLock(folder).acquire().release()
    except FolderLocked:
        return True
    except OSError:
        pass
    return False


# ---------------------------------------------------------------------------- eval, confmap

def _load_run(path, backend_name, data_dir, download, subset=None):
    """The model of a training checkpoint, and the matching test set and transform."""
    from .data import DataLoader, Subset
    from .serialization import CheckpointError
    from .training import build_model, load_checkpoint, make_transforms

    try:
        state = load_checkpoint(path)
    except (FileNotFoundError, CheckpointError, ValueError) as exc:
        raise CommandError(str(exc), 2) from None
    except OSError as exc:  # a folder, or a file that cannot be read
        raise CommandError(f"cannot read the checkpoint: {_os_error(exc)}", 2) from None
    config = TrainConfig.from_dict(state["config"])
    _check_data_dir(data_dir or config.data_dir)
    backend.use(backend_name)
    test_set = registry.DATASETS[config.dataset].load(train=False, root=data_dir or config.data_dir or None,
                                                      download=download)
    if not len(test_set):
        raise CommandError(f"the {config.dataset} test files hold no images", 2)
    if subset:
        test_set = Subset(test_set, np.arange(min(subset, len(test_set))))
    _, transform = make_transforms(config, test_set.images.shape[1:])
    if len(state["classes"]) != len(test_set.classes):
        raise CommandError(f"{path} has {len(state['classes'])} classes, the {config.dataset} test set "
                           f"{len(test_set.classes)}", 2)
    model = build_model(config.model, len(state["classes"]), test_set.images.shape[1], backend_name,
                        config.model_switches())
    try:
        model.load_state_dict(state["model"])
    except (KeyError, ValueError) as exc:
        raise CommandError(f"{path}: the weights do not fit a {config.model} NiN "
                           f"({str(exc).strip(chr(34) + chr(39))})", 2) from None
    model.eval()
    return config, state, model, test_set, DataLoader(test_set, 256, transform=transform)


def _eval(args):
    from . import functional as F
    from .function import no_grad

    config, state, model, test_set, loader = _load_run(args.checkpoint, args.backend, args.data_dir,
                                                       not args.no_download, args.subset)
    classes = state["classes"]
    loss = backend.xp().zeros((), np.float64)
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
    width = max(len(str(c)) for c in classes)
    print(f"{'class':<{width}}  accuracy  images")
    for k, name in enumerate(classes):
        mine = truth == k
        share = np.mean(predicted[mine] == k) if mine.any() else float("nan")
        print(f"{name:<{width}}  {share:8.2%}  {int(mine.sum()):6d}")
    return 0


def _confmap_target(out):
    """The file confmap writes: ``out`` itself, or ``out.png`` for a bare name; checked
    before any work."""
    target = Path(out).expanduser()
    if target.is_dir():
        raise CommandError(f"--out {out} is a folder; give a file name, e.g. --out {target / 'maps.png'}", 2)
    if not target.suffix:
        target = target.with_name(target.name + ".png")
    elif target.suffix.lower() not in IMAGE_FORMATS:
        raise CommandError(f"--out {out}: cannot write {target.suffix} pictures; use a name ending in "
                           + ", ".join(IMAGE_FORMATS), 2)
    if not target.absolute().parent.is_dir():
        raise CommandError(f"--out {out}: the folder {target.absolute().parent} does not exist", 2)
    return target


def _confmap(args):
    from . import functional as F
    from .function import no_grad
    from .models import class_maps
    from .plots import plot_class_maps
    from .tensor import Tensor

    if args.count > MAX_CONFMAP_COUNT:
        raise CommandError(f"--count {args.count}: at most {MAX_CONFMAP_COUNT} images fit a readable "
                           "figure; make several pictures with different --seed values", 2)
    target = _confmap_target(args.out)
    config, state, model, test_set, loader = _load_run(args.checkpoint, "numpy", args.data_dir,
                                                       not args.no_download)
    pick = np.random.default_rng(args.seed).choice(len(test_set), size=min(args.count, len(test_set)),
                                                   replace=False)
    images = loader.transform(test_set.images[pick])
    with no_grad():
        try:
            maps = class_maps(model, Tensor(images))
        except ValueError as exc:  # a model whose head is not a global pool has no class maps
            raise CommandError(f"{args.checkpoint}: {exc}", 2) from None
        probabilities = F.log_softmax(model(Tensor(images))).exp()  # the model's own head
    data = registry.DATASETS[config.dataset]
    try:
        plot_class_maps(images, maps.numpy(), probabilities.numpy(), test_set.labels[pick],
                        state["classes"], str(target), data.mean, data.std)
    except (RuntimeError, OSError) as exc:
        raise CommandError(f"cannot write {target}: {exc}") from None
    print(f"wrote {target}: {len(pick)} test images and their {maps.shape[1]} class maps "
          f"({maps.shape[2]}×{maps.shape[3]} each)")
    return 0


def _summary(args):
    from .summary import summary

    from .training.model import available_memory, probe_shape, step_memory

    entry = registry.MODELS[args.model]
    model = entry.build()
    shape = tuple(args.input_shape or entry.input_shape)
    try:
        try:
            need = step_memory(model, shape, args.batch_size, training=False)
        except ValueError:  # one input through summary names the layer that cannot take it
            summary(model, probe_shape(shape), batch_size=1)
            raise
        free = available_memory("numpy")
        if free is not None and need > free:
            raise MemoryError
        table = summary(model, shape, batch_size=args.batch_size)
    except ValueError as exc:
        raise CommandError(f"{args.model} cannot take inputs of shape {list(shape)}: {exc}", 2) from None
    except MemoryError:
        raise CommandError(f"{args.model} on a batch of {args.batch_size} inputs of shape {list(shape)} "
                           "does not fit in memory; give a smaller --input-shape or --batch-size", 2) from None
    print(f"{args.model}, input {list(shape)}, batch {args.batch_size}")
    print(table)
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    from .data import DatasetFormatError, DatasetNotFoundError

    try:
        if args.command == "train":
            return _train(args, args.command_parser)
        if args.command == "eval":
            return _eval(args)
        if args.command == "summary":
            return _summary(args)
        return _confmap(args)
    except backend.BackendError as exc:
        return _error(exc, 2)
    except (DatasetNotFoundError, DatasetFormatError) as exc:
        return _error(exc, 1)
    except CommandError as exc:
        return _error(exc, exc.status)
    except MemoryError:
        return _error("out of memory; use a smaller --batch-size, --resize or --subset", 1)
    except KeyboardInterrupt:
        print("\nminin: interrupted", file=sys.stderr)
        return 130


def _error(message, status):
    # Under mpiexec every process meets the same bad argument: one line, from rank 0, is enough.
    if distributed.rank_from_environment() == 0:
        print(f"minin: error: {message}", file=sys.stderr)
    return status


def entry_point():
    # A path that is not UTF-8 (argv keeps its bytes as surrogates) is printed with escapes,
    # not a UnicodeEncodeError, whatever the locale.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    sys.exit(main())
