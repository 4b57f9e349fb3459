"""Data parallelism on one machine: a training step of a NiN on 1 process with N threads
against N processes with 1 thread each, in minin (MPI) and in PyTorch (DDP, gloo).

    python bench/distributed.py                       # the small NiN, batch 128, 2 processes
    python bench/distributed.py --compare none --steps 10

Every configuration trains the same network from the same weights on the same global
batch (each of the N processes takes its contiguous 1/N of it) with SGD and momentum.
The figures are medians over the timed steps, as images per second of the global batch;
the configurations run one after another, so a noisy machine may favour one of them:
compare several runs. For minin it also reports the time of the gradient all-reduce
inside a step (which includes waiting for the slower process), the bare all-reduce
after a barrier, and the same gradients sent one message per parameter.
"""

import argparse
import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=sorted(common.MODELS), default="small")
    parser.add_argument("--batch-size", type=int, default=128, help="the global batch")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20, help="timed all-reduces, for the bare figures")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every configuration this many times, in turn; report each one's best round")
    parser.add_argument("--compare", choices=["torch", "none"], default="torch")
    parser.add_argument("--json", metavar="PATH", help="also write the results to this file")
    parser.add_argument("--worker", choices=["minin", "torch"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _median(samples):
    return common.median_seconds(samples) if samples else None


# ---------------------------------------------------------------------------- workers

def minin_worker(args):
    import minin as mn
    import minin.functional as F
    from minin import distributed

    group = distributed.init_from_environment()
    rank, world = (group.rank, group.world_size) if group else (0, 1)
    distributed.check_batch_size(args.batch_size, world)
    model, input_shape = common.build(args.model)
    model.train()
    params = list(model.parameters())
    optimizer = mn.optim.SGD(params, lr=0.01, momentum=0.9)
    images, labels = common.batch(input_shape, args.batch_size)
    share = distributed.shard(args.batch_size, rank, world)
    x, y = mn.tensor(images[share]), mn.Tensor(labels[share])

    steps, reduces = [], []
    for k in range(args.warmup + args.steps):
        start = common.timer()
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        reduced = common.timer()
        if group is not None:
            group.all_reduce_gradients(params)
        reduce_end = common.timer()
        optimizer.step()
        if k >= args.warmup:
            steps.append(common.timer() - start)
            reduces.append(reduce_end - reduced)
    result = {"step_s": _median(steps), "images_per_second": args.batch_size / _median(steps),
              "threads": common.threads(), "world_size": world,
              "gradient_bytes": sum(p.data.nbytes for p in params), "parameters": len(params)}
    if group is not None:
        result["all_reduce_in_step_s"] = _median(reduces)
        grads = [p.grad.copy() for p in params]

        def bare(send):
            times = []
            for _ in range(args.repeat):
                for p, g in zip(params, grads):
                    p.grad = g.copy()
                group.barrier()
                start = common.timer()
                send()
                times.append(common.timer() - start)
            return {"median_s": _median(times), "min_s": min(times)}

        result["all_reduce_packed_s"] = bare(lambda: group.all_reduce_gradients(params))
        result["all_reduce_buckets_s"] = bare(lambda: group.all_reduce_gradients(params, bucket_bytes=1 << 20))
        # the bare collective per parameter, without the agreement check group.all_reduce adds:
        # one message per parameter, as a framework that sends each gradient on its own does
        result["all_reduce_per_parameter_s"] = bare(
            lambda: [group._in_place(p.grad, lambda buf: group._reduce(buf, "sum")) for p in params])
    if rank == 0:
        print(json.dumps(result), flush=True)


def torch_worker(args):
    import torch
    import torch.distributed as dist
    import torch.nn.functional as TF

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    torch.set_num_threads(common.threads())
    minin_model, input_shape = common.build(args.model)
    model = common.to_torch(minin_model)
    model.train()
    if world > 1:
        dist.init_process_group("gloo", rank=rank, world_size=world)
        model = torch.nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    images, labels = common.batch(input_shape, args.batch_size)
    per = args.batch_size // world
    x = torch.from_numpy(images[rank * per:(rank + 1) * per])
    y = torch.from_numpy(labels[rank * per:(rank + 1) * per])
    steps = []
    for k in range(args.warmup + args.steps):
        start = common.timer()
        loss = TF.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()  # DDP all-reduces its gradient buckets during the backward pass
        optimizer.step()
        if k >= args.warmup:
            steps.append(common.timer() - start)
    result = {"step_s": _median(steps), "images_per_second": args.batch_size / _median(steps),
              "threads": torch.get_num_threads(), "world_size": world}
    if world > 1:
        flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
        times = []
        for _ in range(args.repeat):
            dist.barrier()
            start = common.timer()
            dist.all_reduce(flat)
            times.append(common.timer() - start)
        result["all_reduce_packed_s"] = {"median_s": _median(times), "min_s": min(times)}
        dist.destroy_process_group()
    if rank == 0:
        print(json.dumps(result), flush=True)


# ---------------------------------------------------------------------------- launcher

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mpiexec_command(count):
    """mpiexec for ``count`` processes, with Open MPI's flags where they are needed."""
    command = ["mpiexec", "-n", str(count)]
    version = subprocess.run(["mpiexec", "--version"], capture_output=True, text=True).stdout
    if "Open MPI" in version or "prterun" in version:
        if (os.cpu_count() or 1) < count:
            command.append("--oversubscribe")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-run-as-root")
    return command


def run(framework, processes, threads, args):
    """One configuration in fresh processes; returns rank 0's result."""
    env = dict(os.environ, MININ_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               OMP_NUM_THREADS=str(threads))
    command = [sys.executable, os.path.abspath(__file__), "--worker", framework, "--model", args.model,
               "--batch-size", str(args.batch_size), "--steps", str(args.steps),
               "--warmup", str(args.warmup), "--repeat", str(args.repeat)]
    children = []
    if processes == 1:
        children.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         text=True))
    elif framework == "minin":
        children.append(subprocess.Popen(mpiexec_command(processes) + command, env=env,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    else:  # torch.distributed finds its peers through MASTER_ADDR/MASTER_PORT
        env.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()), WORLD_SIZE=str(processes))
        for rank in range(processes):
            children.append(subprocess.Popen(command, env=dict(env, RANK=str(rank)), stdout=subprocess.PIPE,
                                             stderr=subprocess.PIPE, text=True))
    outputs = [child.communicate() for child in children]
    for child, (out, err) in zip(children, outputs):
        if child.returncode != 0:
            raise RuntimeError(f"{framework} on {processes} process(es) failed:\n{err}")
    return json.loads(outputs[0][0].strip().splitlines()[-1])


def main(argv=None):
    args = parse_args(argv)
    if args.worker == "minin":
        return minin_worker(args)
    if args.worker == "torch":
        return torch_worker(args)
    cores, p = os.cpu_count() or 1, args.processes
    frameworks = ["minin"] + (["torch"] if args.compare == "torch" else [])
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    rounds = {framework: {"1x": [], f"{p}x": []} for framework in frameworks}
    for _ in range(args.rounds):  # in turn, so that a slow spell of the machine hits all of them
        for framework in frameworks:
            rounds[framework]["1x"].append(run(framework, 1, p, args))
            rounds[framework][f"{p}x"].append(run(framework, p, 1, args))
    results = {framework: {key: max(runs, key=lambda r: r["images_per_second"]) for key, runs in by.items()}
               for framework, by in rounds.items()}
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

    mib = results["minin"]["1x"]["gradient_bytes"] / 2**20
    print(f"model {args.model} ({mib:.2f} MiB of float32 gradients in "
          f"{results['minin']['1x']['parameters']} tensors), global batch {args.batch_size}, "
          f"{args.steps} steps after {args.warmup} warm-up, best of {args.rounds} round(s), {cores} cores"
          + (f", load average {load_before:.1f} before, {load_after:.1f} after" if load_before is not None else ""))
    print(f"  {'':<8} {f'1 process × {p} threads':>24} {f'{p} processes × 1 thread':>24} {'ratio':>7}")
    for framework in frameworks:
        one, many = results[framework]["1x"], results[framework][f"{p}x"]
        results[framework]["ratio"] = many["images_per_second"] / one["images_per_second"]
        label = framework if framework == "minin" else "torch DDP"
        print(f"  {label:<8} {one['images_per_second']:>15.0f} images/s {many['images_per_second']:>15.0f} "
              f"images/s {results[framework]['ratio']:>7.2f}")
    if "torch" in results:
        for key in ("1x", f"{p}x"):
            results[f"ratio_minin_torch_{key}"] = (results["minin"][key]["images_per_second"]
                                                   / results["torch"][key]["images_per_second"])
        print(f"  minin / torch images/s: {results['ratio_minin_torch_1x']:.2f} on 1 process, "
              f"{results[f'ratio_minin_torch_{p}x']:.2f} on {p}")
    many = results["minin"][f"{p}x"]
    share = many["all_reduce_in_step_s"] / many["step_s"]
    print(f"  minin all-reduce in a step: {many['all_reduce_in_step_s'] * 1000:.1f} ms of "
          f"{many['step_s'] * 1000:.1f} ms ({share:.1%}, waiting for the slower process included)")
    def bare(figure):
        return f"{figure['median_s'] * 1000:.2f} ms (min {figure['min_s'] * 1000:.2f})"

    print("  bare all-reduce of the gradients after a barrier, median of "
          f"{args.repeat}: one packed buffer {bare(many['all_reduce_packed_s'])}, "
          f"1 MiB buckets {bare(many['all_reduce_buckets_s'])}, "
          f"one message per parameter {bare(many['all_reduce_per_parameter_s'])}")
    if "torch" in results:
        print(f"  gloo all-reduce of the same bytes in one tensor: "
              f"{bare(results['torch'][f'{p}x']['all_reduce_packed_s'])}")
    results["load_average"] = [load_before, load_after]
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == "__main__":
    main()
