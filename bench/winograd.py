"""Forward + backward time of the small NiN's 3×3 convolutions: im2col, Winograd, PyTorch.

    python bench/winograd.py [--batch-size 128] [--repeat 15] [--tiles 2 4] [--pieces]
    python bench/winograd.py --quick        # tiny sizes, to check that it runs

The layers are found in ``nin("small")`` itself: every 3×3, stride-1 convolution, with
the input shape it sees on 28×28 Fashion-MNIST images. Each is timed as one forward and
one backward pass (input, weight and bias gradients) with minin's im2col kernels
(kernels/conv.py), with Winograd F(m×m, 3×3) for each tile size m (kernels/winograd.py),
and with torch.nn.functional.conv2d under autograd. The methods run alternately, so a
noisy machine slows them alike; the table shows medians and their ratios.
``--pieces`` also times the parts of one Winograd pass and the two ways to get the weight
gradient (Winograd on tiles against im2col + one GEMM).

On a machine shared with other work, wall-clock times move a lot from run to run.
``--clock cpu`` measures the CPU time the process used instead (all its threads
together), which other processes disturb much less; with one thread
(``MININ_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1``) it is the work each method does.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402  (imports minin before NumPy)
import minin as mn  # noqa: E402
import numpy as np  # noqa: E402
from minin import nn  # noqa: E402
from minin.function import no_grad  # noqa: E402
from minin.kernels import conv, winograd  # noqa: E402
from minin.models import nin, INPUT_SHAPES  # noqa: E402


def winograd_layers(model_name="small"):
    """(name, input shape (C, H, W), weight shape, padding) of every 3×3 stride-1 Conv2d."""
    model = nin(model_name)
    seen, handles = {}, []

    def record(name):
        def hook(module, inputs, output):  # returns None: the output stays as it is
            seen.setdefault(name, (module, tuple(inputs[0].shape[1:])))
        return hook

    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d) and module.kernel_size == (3, 3) \
                and module.stride == (1, 1) and module.dilation == (1, 1):
            handles.append(module.register_forward_hook(record(name)))
    with no_grad():
        model(mn.tensor(np.zeros((1,) + tuple(INPUT_SHAPES[model_name]), np.float32)))
    for handle in handles:
        handle.remove()
    return [(name, shape, (m.out_channels, m.in_channels, 3, 3), m.padding)
            for name, (m, shape) in seen.items()]


def label(shape, weight_shape):
    return f"{weight_shape[1]}→{weight_shape[0]}, {shape[1]}×{shape[2]}"


def minin_im2col(x, w, b, padding, g):
    y, cols = conv.conv2d_forward(x, w, b, (1, 1), padding, (1, 1))
    return conv.conv2d_backward(g, cols, w, x.shape, (1, 1), padding, (1, 1))


def minin_winograd(tile):
    def run(x, w, b, padding, g):
        y, saved = winograd.conv2d_forward(x, w, b, padding, tile=tile)
        return winograd.conv2d_backward(g, saved, w, x.shape, padding)
    return run


CLOCKS = {"wall": common.timer, "cpu": time.process_time}


def alternate(runs, repeat, warmup=2, clock=common.timer):
    """Median seconds of each zero-argument function, called in turn ``repeat`` times."""
    times = [[] for _ in runs]
    for k in range(warmup + repeat):
        for j, run in enumerate(runs):
            start = clock()
            run()
            if k >= warmup:
                times[j].append(clock() - start)
    return [common.median_seconds(t) for t in times]


def pieces(x, w, padding, g, tile, repeat, clock):
    """Median ms of the parts of a Winograd forward pass and of the two weight gradients."""
    xp = np
    _, _, h, wd = x.shape
    ho, wo = h + 2 * padding[0] - 2, wd + 2 * padding[1] - 2
    xk, gk = conv.kernel_layout(x), conv.kernel_layout(g)
    u = winograd.filter_transform(w, tile)
    v = winograd.input_tiles(xk, padding, ho, wo, tile)
    m = xp.matmul(u, v)
    cols = conv.im2col(x, (3, 3), (1, 1), padding, (1, 1))
    gflat = gk.reshape(gk.shape[0], -1)
    parts = {
        "filter transform": lambda: winograd.filter_transform(w, tile),
        "input transform": lambda: winograd.input_tiles(xk, padding, ho, wo, tile),
        "GEMMs (forward)": lambda: xp.matmul(u, v),
        "output transform": lambda: winograd.output_tiles(m, (w.shape[0], ho, wo, x.shape[0]), tile),
        "im2col GEMM (forward)": lambda: w.reshape(w.shape[0], -1) @ cols,
        "dW Winograd: adjoint + GEMMs": lambda: winograd.filter_transform_adjoint(
            xp.matmul(winograd.output_tiles_adjoint(gk, tile), v.transpose(0, 2, 1)), tile),
        "dW im2col: im2col + GEMM": lambda: gflat @ conv.im2col(x, (3, 3), (1, 1), padding, (1, 1)).T,
    }
    return dict(zip(parts, (1000 * t for t in alternate(list(parts.values()), repeat, clock=clock))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--tiles", type=int, nargs="+", default=[2, 4], choices=sorted(winograd.TRANSFORMS))
    parser.add_argument("--pieces", action="store_true", help="also time the parts of a Winograd pass")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall-clock time, or the CPU time of the process (see above)")
    parser.add_argument("--quick", action="store_true", help="batch 2, 2 repeats: only checks that it runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.batch_size, args.repeat = 2, 2
    torch = None
    if not args.no_torch:
        import torch
        torch.set_num_threads(common.threads())
    rng = np.random.default_rng(0)
    methods = ["im2col"] + [f"F({t}x{t})" for t in args.tiles] + (["torch"] if torch else [])
    clock = CLOCKS[args.clock]
    print(f"batch {args.batch_size}, {common.threads()} threads, medians of {args.repeat} "
          f"(forward + backward, ms of {args.clock} time)")
    header = f"{'layer':<18}" + "".join(f"{m:>9}" for m in methods)
    ratios = [f"F({t})/im2col" for t in args.tiles] + \
        ([f"F({t})/torch" for t in args.tiles] + ["im2col/torch"] if torch else [])
    print(header + "".join(f"{r:>13}" for r in ratios))
    for name, shape, w_shape, padding in winograd_layers():
        n = args.batch_size
        x = np.ascontiguousarray(rng.standard_normal(shape + (n,), dtype=np.float32)).transpose(3, 0, 1, 2)
        w = (rng.standard_normal(w_shape, dtype=np.float32) * 0.05).astype(np.float32)
        b = rng.standard_normal(w_shape[0], dtype=np.float32)
        out_shape = (w_shape[0], shape[1] + 2 * padding[0] - 2, shape[2] + 2 * padding[1] - 2, n)
        g = np.ascontiguousarray(rng.standard_normal(out_shape, dtype=np.float32)).transpose(3, 0, 1, 2)
        runs = [lambda: minin_im2col(x, w, b, padding, g)]
        runs += [(lambda f=minin_winograd(t): f(x, w, b, padding, g)) for t in args.tiles]
        if torch:
            xt = torch.tensor(np.ascontiguousarray(x), requires_grad=True)
            wt, bt = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
            gt = torch.tensor(np.ascontiguousarray(g))

            def run_torch():
                torch.nn.functional.conv2d(xt, wt, bt, padding=padding).backward(gt)
                xt.grad = wt.grad = bt.grad = None
            runs.append(run_torch)
        ms = [1000 * t for t in alternate(runs, args.repeat, clock=clock)]
        row = f"{label(shape, w_shape):<18}" + "".join(f"{t:9.2f}" for t in ms)
        wino = ms[1:1 + len(args.tiles)]
        values = [t / ms[0] for t in wino]
        if torch:
            values += [t / ms[-1] for t in wino] + [ms[0] / ms[-1]]
        print(row + "".join(f"{v:13.2f}" for v in values)
              + f"   prefers_winograd: {winograd.prefers_winograd((n,) + shape, w_shape, (1, 1), padding, (1, 1))}")
        if args.pieces:
            for tile in args.tiles:
                for part, t in pieces(x, w, padding, g, tile, args.repeat, clock).items():
                    print(f"    F({tile}x{tile}) {part:<30} {t:8.2f} ms")


if __name__ == "__main__":
    main()
