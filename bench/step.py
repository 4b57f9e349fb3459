"""Time one full training step (forward, loss, backward, SGD update) in minin and PyTorch.

    python bench/step.py --backend numpy --model reference --compare torch
    python bench/step.py --backend cupy --model d2l --compare torch --tf32

Both frameworks train the same network from the same weights on the same batch.
Their steps alternate in one process, so a noisy machine slows both alike; the
figures are medians. Peak memory is measured in a fresh process per framework.
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    common.add_step_arguments(parser, steps=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--compare", choices=["torch", "none"], default="torch")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement")
    parser.add_argument("--json", metavar="PATH", help="also write the results to this file")
    parser.add_argument("--probe", choices=["minin", "torch"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


class MininStep:
    def __init__(self, args):
        import minin as mn
        import minin.functional as F

        self.mn, self.F = mn, F
        mn.backend.use(args.backend)
        F.set_conv_algorithm(args.conv_algorithm)
        self.model, input_shape = common.build(args.model)
        self.model.to(args.backend)
        self.optimizer = mn.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        images, labels = common.batch(input_shape, args.batch_size)
        self.images = mn.tensor(images)
        self.labels = mn.Tensor(mn.backend.xp().asarray(labels))
        self.sync = (lambda: mn.backend.module("cupy").cuda.Device().synchronize()) \
            if args.backend == "cupy" else (lambda: None)

    def __call__(self):
        loss = self.F.cross_entropy(self.model(self.images), self.labels)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.sync()

    def peak_memory(self):
        if self.mn.backend.current() == "cupy":
            return self.mn.backend.module("cupy").get_default_memory_pool().total_bytes()
        return None


class TorchStep:
    def __init__(self, args, minin_model=None):
        import torch

        self.torch = torch
        torch.set_num_threads(common.threads())
        self.device = "cuda" if args.backend == "cupy" else "cpu"
        if args.tf32:
            torch.backends.cuda.matmul.allow_tf32 = True
        if minin_model is None:
            minin_model, _ = common.build(args.model)
        self.model = common.to_torch(minin_model).to(self.device)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        images, labels = common.batch(common.MODELS[args.model][1], args.batch_size)
        self.images = torch.from_numpy(images).to(self.device)
        self.labels = torch.from_numpy(labels).to(self.device)
        self.sync = torch.cuda.synchronize if self.device == "cuda" else (lambda: None)
        if self.device == "cuda":
            torch.cuda.reset_peak_memory_stats()

    def __call__(self):
        loss = self.torch.nn.functional.cross_entropy(self.model(self.images), self.labels)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.sync()

    def peak_memory(self):
        if self.device == "cuda":
            return self.torch.cuda.max_memory_reserved()  # like CuPy's pool: cached blocks too
        return None


def time_steps(steps, count):
    """Alternate the steps, ``count`` times each; returns one list of seconds per step."""
    times = [[] for _ in steps]
    for _ in range(count):
        for k, step in enumerate(steps):
            start = common.timer()
            step()
            times[k].append(common.timer() - start)
    return times


def probe_memory(args):
    """Run in a child process: the peak memory one framework's steps need, in bytes."""
    baseline = common.current_rss_bytes()
    step = MininStep(args) if args.probe == "minin" else TorchStep(args)
    setup = common.current_rss_bytes()
    for _ in range(args.warmup + 2):
        step()
    device_peak = step.peak_memory()
    peak = device_peak if device_peak is not None else common.peak_rss_bytes() - setup
    print(json.dumps({"peak_bytes": peak, "setup_bytes": setup - baseline}))


def measure_memory(args, framework):
    command = [sys.executable, os.path.abspath(__file__), "--probe", framework, "--backend", args.backend,
               "--model", args.model, "--batch-size", str(args.batch_size), "--warmup", str(args.warmup),
               "--conv-algorithm", args.conv_algorithm]
    if args.tf32:
        command.append("--tf32")
    out = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    if out.returncode != 0:
        raise RuntimeError(f"memory probe for {framework} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_bytes"]


def tf32_line(args):
    if args.backend != "cupy":
        return "TF32 n/a (CPU)"
    if args.tf32:
        return "TF32 on for both"
    return "TF32 off for minin; PyTorch's defaults (cuDNN convolutions may use TF32)"


def main(argv=None):
    args = parse_args(argv)
    if args.tf32 and args.backend == "cupy":
        os.environ["CUPY_TF32"] = "1"  # read by CuPy when it first runs a matrix product
    if args.probe:
        return probe_memory(args)

    ours = MininStep(args)
    steps, names = [ours], ["minin"]
    if args.compare == "torch":
        import torch

        steps.append(TorchStep(args, ours.model))
        names.append(f"torch {torch.__version__}")
    time_steps(steps, args.warmup)
    times = time_steps(steps, args.steps)
    medians = [common.median_seconds(t) for t in times]

    where = "GPU" if args.backend == "cupy" else f"CPU, {common.threads()} threads"
    print(f"model {args.model}, batch {args.batch_size}, backend {args.backend} ({where}), "
          f"{args.steps} steps after {args.warmup} warm-up, " + tf32_line(args))
    result = {"model": args.model, "backend": args.backend, "batch_size": args.batch_size,
              "tf32": args.tf32, "steps": args.steps}
    for name, t, median in zip(names, times, medians):
        print(f"  {name:<14} median {median * 1000:8.1f} ms   min {min(t) * 1000:8.1f} ms   "
              f"{args.batch_size / median:8.0f} images/s")
        result[name.split()[0]] = {"median_s": median, "min_s": min(t),
                                   "images_per_second": args.batch_size / median}
    if len(steps) == 2:
        ratio = medians[0] / medians[1]
        print(f"  ratio minin / torch: {ratio:.2f}")
        result["ratio"] = ratio
    if not args.no_memory:
        peaks = {name.split()[0]: measure_memory(args, name.split()[0]) for name in names}
        line = "   ".join(f"{k} {v / 2**20:.0f} MiB" for k, v in peaks.items())
        print(f"  peak memory of a step: {line}"
              + (f"   ratio {peaks['minin'] / peaks['torch']:.2f}" if "torch" in peaks else ""))
        result["peak_bytes"] = peaks
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
