"""Where a training step's time goes: a table of forward and backward time per operation.

    python bench/profile_step.py --backend cupy --model d2l [--tf32]
    python bench/profile_step.py --backend numpy --model reference

A second table splits the convolutions (forward and backward together) into their
array kernels; what is left of them is the matrix products and the bias gradient.

Every Function's forward and backward is timed on its own, waiting for the GPU
before and after it (CuPy queues work and returns at once, so a timer without
a synchronize measures only the launch). The waiting makes the whole step a
little slower than bench/step.py's figure; the shares are what matter here.
"""

import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402  (imports minin before NumPy)
import minin as mn  # noqa: E402
from minin.kernels import activation, conv, winograd  # noqa: E402
from step import MininStep  # noqa: E402


# The kernels a Conv2d calls (see minin/functional.py, minin/kernels/conv.py and, for the
# layers that run Winograd, minin/kernels/winograd.py).
CONV_KERNELS = [(conv, "im2col"), (conv, "bias_relu"), (activation, "relu_backward"), (conv, "col2im"),
                (winograd, "input_tiles"), (winograd, "output_tiles"), (winograd, "output_tiles_adjoint")]


def all_functions(cls=mn.Function):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_functions(sub)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    common.add_step_arguments(parser, steps=5)
    args = parser.parse_args(argv)
    if args.tf32:
        os.environ["CUPY_TF32"] = "1"
    step = MininStep(args)  # the same step bench/step.py times
    sync, optimizer = step.sync, step.optimizer

    totals = collections.Counter()
    counts = collections.Counter()

    def timed(name, method):
        def wrapper(self, *a, **k):
            sync()
            start = time.perf_counter()
            result = method(self, *a, **k)
            sync()
            totals[name] += time.perf_counter() - start
            counts[name] += 1
            return result
        return wrapper

    for _ in range(2):
        step()
    for cls in set(all_functions()):
        for kind in ("forward", "backward"):
            if kind in vars(cls):
                setattr(cls, kind, timed(f"{cls.__name__.removesuffix('Function')}.{kind}", vars(cls)[kind]))
    kernels = collections.Counter()
    for module, name in CONV_KERNELS:
        setattr(module, name, timed_kernel(kernels, name, getattr(module, name), sync))
    optimizer_step = optimizer.step
    optimizer.step = lambda: timed("optimizer.step", lambda self: optimizer_step())(None)
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    wall = (time.perf_counter() - start) / args.steps
    print(f"model {args.model}, batch {args.batch_size}, backend {args.backend}, TF32 {args.tf32}: "
          f"{wall * 1000:.1f} ms per step with a synchronize around every operation")
    print(f"{'operation':<28} {'calls':>6} {'ms/step':>9} {'share':>7}")
    measured = sum(totals.values()) / args.steps
    for name, seconds in totals.most_common():
        per_step = seconds / args.steps
        print(f"{name:<28} {counts[name] // args.steps:6d} {per_step * 1000:9.2f} {per_step / wall:7.1%}")
    print(f"{'(between operations)':<28} {'':6} {(wall - measured) * 1000:9.2f} {(wall - measured) / wall:7.1%}")

    conv_total = (totals["Conv2d.forward"] + totals["Conv2d.backward"]) / args.steps
    if conv_total:
        print(f"\n{'inside Conv2d (both passes)':<28} {'':6} {'ms/step':>9} {'share':>7}")
        for name, seconds in kernels.most_common():
            print(f"{name:<28} {'':6} {seconds / args.steps * 1000:9.2f} {seconds / args.steps / wall:7.1%}")
        rest = conv_total - sum(kernels.values()) / args.steps
        print(f"{'matrix products, bias grad':<28} {'':6} {rest * 1000:9.2f} {rest / wall:7.1%}")


def timed_kernel(totals, name, kernel, sync):
    def wrapper(*a, **k):
        sync()
        start = time.perf_counter()
        result = kernel(*a, **k)
        sync()
        totals[name] += time.perf_counter() - start
        return result
    return wrapper


if __name__ == "__main__":
    main()
