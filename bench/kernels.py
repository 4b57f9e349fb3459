"""Forward + backward time of each NiN kernel, minin against PyTorch, on NiN-sized inputs.

    python bench/kernels.py [--backend numpy|cupy] [--batch-size 128] [--repeat 15]

Inputs are what the layer sees inside the reference small NiN (batch 128, 28×28
Fashion-MNIST images), stored the way minin stores its feature maps. Both
frameworks run each kernel alternately in one process; the table shows medians.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402  (imports minin before NumPy)
import minin as mn  # noqa: E402
import minin.functional as F  # noqa: E402
import numpy as np  # noqa: E402


def cases(n, sizes):
    """(name, input shape, minin op, torch op, parameter shapes)."""
    import torch.nn.functional as TF

    if sizes == "d2l":
        return d2l_cases(n, TF)
    return [
        ("conv 5×5 1→64, 28×28", (n, 1, 28, 28), lambda x, w, b: F.conv2d(x, w, b, padding=2),
         lambda x, w, b: TF.conv2d(x, w, b, padding=2), [(64, 1, 5, 5), (64,)]),
        ("conv 1×1 64→64, 28×28", (n, 64, 28, 28), F.conv2d, TF.conv2d, [(64, 64, 1, 1), (64,)]),
        ("relu 64×28×28", (n, 64, 28, 28), F.relu, TF.relu, []),
        ("max pool 3/2, 64×28×28", (n, 64, 28, 28), lambda x: F.max_pool2d(x, 3, 2),
         lambda x: TF.max_pool2d(x, 3, 2), []),
        ("conv 3×3 64→128, 13×13", (n, 64, 13, 13), lambda x, w, b: F.conv2d(x, w, b, padding=1),
         lambda x, w, b: TF.conv2d(x, w, b, padding=1), [(128, 64, 3, 3), (128,)]),
        ("conv 1×1 128→128, 13×13", (n, 128, 13, 13), F.conv2d, TF.conv2d, [(128, 128, 1, 1), (128,)]),
        ("max pool 3/2, 128×13×13", (n, 128, 13, 13), lambda x: F.max_pool2d(x, 3, 2),
         lambda x: TF.max_pool2d(x, 3, 2), []),
        ("conv 3×3 128→192, 6×6", (n, 128, 6, 6), lambda x, w, b: F.conv2d(x, w, b, padding=1),
         lambda x, w, b: TF.conv2d(x, w, b, padding=1), [(192, 128, 3, 3), (192,)]),
        ("avg pool 3/2, 192×8×8", (n, 192, 8, 8), lambda x: F.avg_pool2d(x, 3, 2),
         lambda x: TF.avg_pool2d(x, 3, 2), []),
        ("dropout 0.5, 192×6×6", (n, 192, 6, 6), F.dropout, TF.dropout, []),
        ("global avg pool 192×6×6", (n, 192, 6, 6), F.global_avg_pool2d,
         lambda x: TF.adaptive_avg_pool2d(x, 1).flatten(1), []),
        ("cross-entropy 10 classes", (n, 10), lambda x: F.cross_entropy(x, minin_labels(n)),
         lambda x: TF.cross_entropy(x, torch_labels(n, x.device)), []),
    ]


def d2l_cases(n, TF):
    """The layers of the d2l NiN on 224×224 inputs."""
    def conv(stride=1, padding=0):
        return (lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding),
                lambda x, w, b: TF.conv2d(x, w, b, stride=stride, padding=padding))

    return [
        ("conv 11×11/4 1→96, 224²", (n, 1, 224, 224), *conv(4), [(96, 1, 11, 11), (96,)]),
        ("conv 1×1 96→96, 54²", (n, 96, 54, 54), *conv(), [(96, 96, 1, 1), (96,)]),
        ("relu 96×54²", (n, 96, 54, 54), F.relu, TF.relu, []),
        ("max pool 3/2, 96×54²", (n, 96, 54, 54), lambda x: F.max_pool2d(x, 3, 2),
         lambda x: TF.max_pool2d(x, 3, 2), []),
        ("conv 5×5 96→256, 26²", (n, 96, 26, 26), *conv(1, 2), [(256, 96, 5, 5), (256,)]),
        ("conv 1×1 256→256, 26²", (n, 256, 26, 26), *conv(), [(256, 256, 1, 1), (256,)]),
        ("relu 256×26²", (n, 256, 26, 26), F.relu, TF.relu, []),
        ("max pool 3/2, 256×26²", (n, 256, 26, 26), lambda x: F.max_pool2d(x, 3, 2),
         lambda x: TF.max_pool2d(x, 3, 2), []),
        ("conv 3×3 256→384, 12²", (n, 256, 12, 12), *conv(1, 1), [(384, 256, 3, 3), (384,)]),
        ("conv 1×1 384→384, 12²", (n, 384, 12, 12), *conv(), [(384, 384, 1, 1), (384,)]),
        ("dropout 0.5, 384×5²", (n, 384, 5, 5), F.dropout, TF.dropout, []),
        ("conv 3×3 384→10, 5²", (n, 384, 5, 5), *conv(1, 1), [(10, 384, 3, 3), (10,)]),
        ("global avg pool 10×5²", (n, 10, 5, 5), F.global_avg_pool2d,
         lambda x: TF.adaptive_avg_pool2d(x, 1).flatten(1), []),
        ("cross-entropy 10 classes", (n, 10), lambda x: F.cross_entropy(x, minin_labels(n)),
         lambda x: TF.cross_entropy(x, torch_labels(n, x.device)), []),
    ]


def raw_gpu_times(n):
    """GPU time of each piece of one convolution layer's step (the d2l NiN's 5×5 layer)."""
    import cupy
    from cupyx.profiler import benchmark
    from minin.kernels import activation, conv, pooling, pooling_cuda

    rng = np.random.default_rng(0)
    x = cupy.asarray(rng.standard_normal((96, 26, 26, n)), dtype=cupy.float32).transpose(3, 0, 1, 2)
    w = cupy.asarray(rng.standard_normal((256, 2400)), dtype=cupy.float32)
    cols = conv.im2col(x, (5, 5), (1, 1), (2, 2), (1, 1))
    y = w @ cols
    g = cupy.ones_like(y)
    act = conv.from_kernel_layout(y.reshape(256, 26, 26, n))
    pooled, argmax = pooling.max_pool2d_forward(act, (3, 3), (2, 2), (0, 0), False)
    pieces = {
        "im2col 5×5, 96×26²": lambda: conv.im2col(x, (5, 5), (1, 1), (2, 2), (1, 1)),
        "GEMM forward (256×2400)·cols": lambda: w @ cols,
        "copy of that output (bandwidth)": lambda: y.copy(),
        "bias add": lambda: cupy.add(y, g[:, :1], out=y),
        "bias + ReLU, fused": lambda: conv.bias_relu(y, g[:, 0], True),
        "relu forward": lambda: activation.relu(act),
        "relu backward": lambda: activation.relu_backward(act, act),
        "GEMM weight grad g·colsᵀ": lambda: g @ cols.T,
        "GEMM input grad wᵀ·g": lambda: w.T @ g,
        "col2im": lambda: conv.col2im(cols, (n, 96, 26, 26), (5, 5), (1, 1), (2, 2), (1, 1)),
        "bias grad (row sums)": lambda: g.sum(axis=1),
        "max pool forward": lambda: pooling_cuda.max_pool2d(act, (3, 3), (2, 2), (0, 0), pooled.shape[2:]),
        "max pool backward": lambda: pooling_cuda.max_pool2d_backward(pooled, argmax, act.shape, (3, 3), (2, 2), (0, 0)),
    }
    print(f"\nGPU time of the pieces of the 5×5 layer (batch {n}):")
    for name, piece in pieces.items():
        result = benchmark(piece, n_repeat=20, n_warmup=3)
        print(f"  {name:<32} {result.gpu_times.mean() * 1000:8.3f} ms")


def torch_labels(n, device):
    import torch
    return torch.arange(n, device=device) % 10


def minin_labels(n):
    """The same labels, on minin's current backend (already there, like PyTorch's)."""
    return mn.backend.xp().arange(n) % 10


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["numpy", "cupy"], default="numpy")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--sizes", choices=["small", "d2l"], default="small",
                        help="layer sizes of the reference small NiN (28²) or the d2l NiN (224²)")
    parser.add_argument("--raw", action="store_true", help="CuPy: also time the pieces of one layer")
    parser.add_argument("--tf32", action="store_true",
                        help="CuPy: TF32 matrix products (PyTorch's cuDNN convolutions use TF32 by default)")
    args = parser.parse_args(argv)
    if args.tf32:
        os.environ["CUPY_TF32"] = "1"
    import torch

    torch.set_num_threads(common.threads())
    mn.backend.use(args.backend)
    xp = mn.backend.xp()
    device = "cuda" if args.backend == "cupy" else "cpu"
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    rng = np.random.default_rng(0)
    print(f"{'kernel (forward + backward)':<30} {'minin ms':>9} {'torch ms':>9} {'ratio':>6}")
    total = [0.0, 0.0]
    for name, shape, ours, theirs, param_shapes in cases(args.batch_size, args.sizes):
        data = rng.standard_normal(shape).astype(np.float32)
        params = [rng.standard_normal(s).astype(np.float32) * 0.1 for s in param_shapes]
        stored = data if len(shape) != 4 else np.ascontiguousarray(data.transpose(1, 2, 3, 0))
        x_ours = mn.Tensor(xp.asarray(stored) if len(shape) != 4 else xp.asarray(stored).transpose(3, 0, 1, 2),
                           requires_grad=True)
        p_ours = [mn.tensor(p, requires_grad=True) for p in params]
        x_theirs = torch.tensor(data, device=device, requires_grad=True)
        p_theirs = [torch.tensor(p, device=device, requires_grad=True) for p in params]

        def run_ours():
            out = ours(x_ours, *p_ours)
            out.backward(xp.ones_like(out.data))  # a gradient in the output's own layout
            if args.backend == "cupy":
                xp.cuda.Device().synchronize()

        def run_theirs():
            out = theirs(x_theirs, *p_theirs)
            out.backward(torch.ones_like(out))
            sync()

        times = [[], []]
        for k in range(args.repeat + 2):
            for j, run in enumerate((run_ours, run_theirs)):
                start = common.timer()
                run()
                if k >= 2:
                    times[j].append(common.timer() - start)
        m = [common.median_seconds(t) for t in times]
        total = [total[0] + m[0], total[1] + m[1]]
        print(f"{name:<30} {m[0] * 1000:9.2f} {m[1] * 1000:9.2f} {m[0] / m[1]:6.2f}")
    print(f"{'sum':<30} {total[0] * 1000:9.2f} {total[1] * 1000:9.2f} {total[0] / total[1]:6.2f}")
    if args.raw and args.backend == "cupy":
        raw_gpu_times(args.batch_size)


if __name__ == "__main__":
    main()
