"""minin.distributed: the pure parts (batch shares, gradient packing) in this process, the
collectives, the equivalence with one process and the fault handling under ``mpiexec -n 2``,
started by the tests themselves (skipped without mpi4py and mpiexec)."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import minin as mn
from minin import distributed, nn

WORKERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "distributed_workers")
TIMEOUT = 120  # seconds for one mpiexec run; a hang fails the test instead of the suite


def _mpiexec():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return None
    return shutil.which("mpiexec")


def mpiexec_command(count):
    """``mpiexec -n count``, with what Open MPI needs on a CI machine: root is allowed, and
    more processes than cores (which also stops it binding each process to one core)."""
    command = [_mpiexec(), "-n", str(count)]
    version = subprocess.run([command[0], "--version"], capture_output=True, text=True).stdout
    if "Open MPI" in version or "prterun" in version or "OpenRTE" in version:
        command.append("--oversubscribe")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-run-as-root")
    return command


def run_workers(count, script, *args, **env):
    """Run a worker script on ``count`` processes (or alone, count=None); returns the
    completed process. One thread each: the test machine may have only two cores."""
    environ = dict(os.environ, OPENBLAS_NUM_THREADS="1", MININ_NUM_THREADS="1", **env)
    command = [sys.executable, os.path.join(WORKERS, script), *map(str, args)]
    if count is not None:
        command = mpiexec_command(count) + command
    return subprocess.run(command, capture_output=True, text=True, env=environ, timeout=TIMEOUT)


needs_mpi = pytest.mark.skipif(_mpiexec() is None, reason="needs mpi4py and mpiexec: pip install -e '.[mpi]'")


# ---------------------------------------------------------------------------- in this process

def test_world_size_comes_from_the_launchers_variables():
    assert distributed.world_size_from_environment({}) == 1
    assert distributed.world_size_from_environment({"OMPI_COMM_WORLD_SIZE": "4"}) == 4
    assert distributed.world_size_from_environment({"PMI_SIZE": "2"}) == 2


def test_no_launcher_or_one_process_means_no_group(monkeypatch):
    for name in distributed.SIZE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert distributed.init_from_environment() is None
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "1")
    assert distributed.init_from_environment() is None


def test_several_processes_without_mpi4py_say_how_to_install_it(monkeypatch):
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py now fails
    with pytest.raises(distributed.DistributedError, match=r'pip install -e "\.\[mpi\]"') as info:
        distributed.init_from_environment()
    assert isinstance(info.value, RuntimeError) and "\n" not in str(info.value)


@pytest.mark.parametrize("batch, world, message", [
    (1, 2, "2 processes cannot share a batch of 1"),
    (3, 2, "a batch of 3 cannot be cut into 2 equal shares: use a --batch-size divisible by 2, e.g. 2 or 4"),
])
def test_a_batch_that_cannot_be_shared_is_one_line(batch, world, message):
    with pytest.raises(ValueError, match=message) as info:
        distributed.check_batch_size(batch, world)
    assert "\n" not in str(info.value)
    distributed.check_batch_size(8, 2)
    distributed.check_batch_size(2, 2)


@pytest.mark.parametrize("count, world", [(10, 3), (7, 7), (2, 4), (128, 2)])
def test_shards_cover_the_range_in_rank_order(count, world):
    parts = [distributed.shard(count, r, world) for r in range(world)]
    assert np.concatenate([np.arange(count)[s] for s in parts]).tolist() == list(range(count))
    sizes = [s.stop - s.start for s in parts]
    assert max(sizes) - min(sizes) <= 1


def _params(*shapes, dtype=np.float32):
    return [nn.Parameter(mn.tensor(np.ones(s, dtype=dtype))) for s in shapes]


def test_buckets_keep_order_dtype_and_size_limit():
    params = _params((10,), (300,), (5,), (40,))
    assert [len(b) for b in distributed.bucket_parameters(params)] == [4]
    # 400 bytes: 10 + 300 floats overflow, 300 alone is bigger than the limit, 5 + 40 fit.
    buckets = distributed.bucket_parameters(params, bucket_bytes=400)
    assert [[p.shape for p in b] for b in buckets] == [[(10,)], [(300,)], [(5,), (40,)]]
    mixed = params[:1] + _params((3,), dtype=np.float64) + params[1:2]
    assert [[p.dtype for p in b] for b in distributed.bucket_parameters(mixed)] == \
        [[np.float32, np.float32], [np.float64]]


def test_packing_gradients_round_trips_and_marks_missing_ones(rng):
    params = _params((2, 3), (4,), (1, 1, 2, 2))
    grads = [rng.standard_normal(p.shape).astype(np.float32) for p in params]
    params[0].grad, params[1].grad = grads[0], None
    params[2].grad = np.asfortranarray(grads[2])  # not C-contiguous: packed through a copy
    flat = distributed.pack_gradients(params)
    assert flat.dtype == np.float32 and flat.shape == (6 + 4 + 4 + 3,)
    np.testing.assert_array_equal(flat[:6], grads[0].ravel())
    np.testing.assert_array_equal(flat[6:10], 0)
    np.testing.assert_array_equal(flat[10:14], grads[2].ravel())
    np.testing.assert_array_equal(flat[14:], [1, 0, 1])
    distributed.unpack_gradients(flat * 0.5, params)
    np.testing.assert_array_equal(params[0].grad, grads[0] * 0.5)
    np.testing.assert_array_equal(params[2].grad, grads[2] * 0.5)
    assert params[1].grad is None and params[2].grad.shape == (1, 1, 2, 2)


def test_packing_values_round_trips_in_place():
    params = _params((2, 2), (3,))
    own = [p.data for p in params]
    flat = distributed.pack_data(params)
    distributed.unpack_data(np.arange(7, dtype=np.float32), params)
    np.testing.assert_array_equal(flat, 1)
    assert all(p.data is a for p, a in zip(params, own))
    np.testing.assert_array_equal(params[0].data, [[0, 1], [2, 3]])
    np.testing.assert_array_equal(params[1].data, [4, 5, 6])


# ---------------------------------------------------------------------------- under mpiexec

@pytest.fixture(scope="module")
def collectives(tmp_path_factory):
    if _mpiexec() is None:
        pytest.skip("needs mpi4py and mpiexec")
    out = tmp_path_factory.mktemp("collectives")
    done = run_workers(2, "collectives.py", out)
    assert done.returncode == 0, done.stdout + done.stderr
    return [dict(np.load(out / f"rank{r}.npz")) for r in range(2)]


@pytest.mark.slow
@needs_mpi
def test_collectives_on_two_processes(collectives):
    first, second = collectives
    assert [int(r["rank"]) for r in collectives] == [0, 1]
    assert [int(r["world_size"]) for r in collectives] == [2, 2]
    assert sorted(int(r["local_rank"]) for r in collectives) == [0, 1]  # one machine
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    for got in collectives:
        np.testing.assert_array_equal(got["all_reduce_sum"], 2 * x + 10)
        np.testing.assert_array_equal(got["all_reduce_max"], x + 10)
        np.testing.assert_array_equal(got["all_reduce_min"], x)
        assert got["all_reduce_sum"].dtype == np.float32
        np.testing.assert_array_equal(got["all_reduce_int64"], [1, 2])
        np.testing.assert_array_equal(got["non_contiguous_column"], [3, 15, 27])
        assert float(got["zero_d"]) == 3.0
        np.testing.assert_array_equal(got["broadcast"], 1)
        assert int(got["broadcast_object"]) == 1
        assert bool(got["agree_one"]) and not bool(got["agree_none"])
    # The reduced column went back into each rank's array; its neighbours are untouched.
    np.testing.assert_array_equal(first["non_contiguous_rest"][:, 2], [2, 6, 10])
    np.testing.assert_array_equal(second["non_contiguous_rest"][:, 2], [4, 12, 20])


@pytest.mark.slow
@needs_mpi
def test_broadcast_makes_differently_seeded_ranks_equal(collectives):
    first, second = collectives
    assert not np.array_equal(first["before"], second["before"])
    np.testing.assert_array_equal(first["after"], first["before"])    # rank 0's weights …
    np.testing.assert_array_equal(second["after"], first["before"])   # … on every rank
    np.testing.assert_array_equal(first["adam_exp_avg"], second["adam_exp_avg"])
    np.testing.assert_array_equal(second["adam_step"], 1)


@pytest.mark.slow
@needs_mpi
def test_gradients_are_averaged_packed_or_in_buckets(collectives):
    first, second = collectives
    mean = (first["local_grads"] + second["local_grads"]) / 2
    for got in collectives:
        for name in ("packed", "buckets"):
            np.testing.assert_allclose(got[f"{name}_grads"], mean, rtol=1e-6, atol=1e-7)
            # A gradient missing on one rank counts as zeros; missing on both, it stays None.
            assert got[f"{name}_none"].tolist() == [False, True] + [False] * 22
        np.testing.assert_array_equal(got["kept_grads"], got["packed_grads"])


@pytest.mark.slow
@needs_mpi
def test_a_step_on_two_processes_equals_the_step_on_one(tmp_path):
    """3 SGD steps on batches of 16: 2 processes × 8 images, gradients averaged, against
    1 process × 16 images. Equal up to float32 rounding (the sums run in another order)."""
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir(), two.mkdir()
    for count, out in ((None, one), (2, two)):
        done = run_workers(count, "one_step.py", out, 16, 3)
        assert done.returncode == 0, done.stdout + done.stderr
    alone, rank0, rank1 = (np.load(path) for path in (one / "rank0.npz", two / "rank0.npz", two / "rank1.npz"))
    mn.manual_seed(0)
    start = mn.models.nin("small").state_dict()
    assert list(rank0.keys()) == list(start.keys())
    for name in start:
        np.testing.assert_array_equal(rank0[name], rank1[name])  # both ranks took the same step
        np.testing.assert_allclose(rank0[name], alone[name], rtol=1e-5, atol=1e-6, err_msg=name)
        assert np.abs(alone[name] - start[name]).max() > 1e-3, f"{name} did not move"


@pytest.mark.slow
@needs_mpi
def test_a_rank_that_raises_ends_the_job_with_its_message():
    done = run_workers(2, "fail.py", "raise")
    assert done.returncode != 0
    assert "minin: rank 1 of 2 failed, ending every rank" in done.stderr
    assert "RuntimeError: rank 1 failed on purpose at step 2" in done.stderr
    assert "went through every step" not in done.stdout


@pytest.mark.slow
@needs_mpi
def test_a_rank_that_exits_or_dies_ends_the_job():
    done = run_workers(2, "fail.py", "exit", MININ_EXIT_TIMEOUT="2")
    assert done.returncode != 0 and "the others had not finished 2 s later" in done.stderr
    done = run_workers(2, "fail.py", "kill")
    assert done.returncode != 0 and "went through every step" not in done.stdout


@pytest.mark.slow
@needs_mpi
def test_a_batch_the_processes_cannot_share_stops_every_rank(tmp_path):
    done = run_workers(2, "one_step.py", tmp_path, 3, 1)
    assert done.returncode != 0
    assert "ValueError: a batch of 3 cannot be cut into 2 equal shares" in done.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
@needs_mpi
def test_one_process_under_mpiexec_has_no_group():
    environ = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    done = subprocess.run(mpiexec_command(1) + [sys.executable, "-c",
                          "from minin import distributed; print(distributed.init_from_environment())"],
                          capture_output=True, text=True, env=environ, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"


@pytest.mark.slow
@needs_mpi
def test_the_benchmark_runs_on_one_and_two_processes(tmp_path):
    """minin only: PyTorch's start-up in three more processes would double the time."""
    path = tmp_path / "distributed.json"
    bench = os.path.join(os.path.dirname(os.path.dirname(WORKERS)), "bench", "distributed.py")
    done = subprocess.run([sys.executable, bench, "--batch-size", "2", "--steps", "1", "--warmup", "1",
                           "--repeat", "2", "--compare", "none", "--json", str(path)],
                          capture_output=True, text=True, timeout=2 * TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert "minin all-reduce in a step:" in done.stdout and "one message per parameter" in done.stdout
    result = json.loads(path.read_text())
    one, many = result["minin"]["1x"], result["minin"]["2x"]
    assert (one["world_size"], one["threads"], many["world_size"], many["threads"]) == (1, 2, 2, 1)
    assert result["minin"]["ratio"] == pytest.approx(many["images_per_second"] / one["images_per_second"])
    assert many["gradient_bytes"] == 4 * 783_306 and many["parameters"] == 24


@pytest.mark.gpu
@needs_mpi
def test_collectives_on_gpu_arrays(gpu):
    """A world of one process: what can be checked on a machine with one GPU (the NCCL calls,
    pointers, dtypes and streams, or the host-copy path), not the traffic between GPUs."""
    done = run_workers(None, "gpu.py")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["device"] == 0 and got["engine"] in ("_Nccl", "bool")
    assert got["sum"] == [0, 1, 2, 3, 4, 5] and got["max"] == [0, 1, 2] and got["broadcast"] == [7, 7, 7]
    assert got["column"] == np.arange(12).reshape(3, 4).tolist()
    assert got["grad_none"] and got["grads_kept"] and got["grads_on_gpu"] and got["weights_kept"]


# ---------------------------------------------------------------------------- the trainer and `minin train`

@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    from helpers import write_fashion_like
    return write_fashion_like(tmp_path_factory.mktemp("fashion"))


def run_minin_train(count, *argv):
    environ = dict(os.environ, OPENBLAS_NUM_THREADS="1", MININ_NUM_THREADS="1")
    command = mpiexec_command(count) + [sys.executable, "-m", "minin", "train", *map(str, argv)]
    return subprocess.run(command, capture_output=True, text=True, env=environ, timeout=2 * TIMEOUT)


@pytest.mark.slow
@needs_mpi
def test_minin_train_on_two_processes_writes_one_set_of_outputs(data_dir, tmp_path):
    out = tmp_path / "run"
    done = run_minin_train(2, "--data-dir", data_dir, "--subset", 320, "--val-split", 64, "--epochs", 1,
                           "--batch-size", 32, "--no-progress", "--no-download", "--out", out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("epoch 1/1: train loss") == 1 and done.stdout.count("test accuracy") == 1
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r.get("epoch") for r in rows] == [1, None] and "test_acc" in rows[1]
    assert {"config.json", "last.npz", "best.npz"} <= {p.name for p in out.iterdir()}
    state = mn.load(out / "last.npz")
    assert state["kind"] == "minin-train" and state["epoch"] == 1
    assert json.loads((out / "config.json").read_text())["batch_size"] == 32  # the global batch


@pytest.mark.slow
@needs_mpi
def test_minin_train_refuses_a_batch_the_processes_cannot_share(data_dir, tmp_path):
    done = run_minin_train(2, "--data-dir", data_dir, "--epochs", 1, "--batch-size", 3, "--val-split", 64,
                           "--no-progress", "--no-download", "--out", tmp_path / "run")
    assert done.returncode == 2
    assert "--batch-size 3 must be a multiple of the 2 processes" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "run" / "last.npz").exists()


@pytest.mark.slow
@needs_mpi
def test_a_two_process_run_resumed_on_one_process_equals_a_one_process_run(data_dir, tmp_path):
    """Epoch 1 on 2 processes, saved, epoch 2 on 1 process, against 2 epochs on 1 process:
    the same weights up to float32 rounding (augmentation off, dropout at p = 0, SGD)."""
    alone, split = tmp_path / "alone", tmp_path / "split"
    for count, out, epochs, *resume in ((None, alone, 2), (2, split, 1), (None, split, 2, "resume")):
        done = run_workers(count, "train_run.py", data_dir, out, epochs, *resume)
        assert done.returncode == 0, done.stdout + done.stderr
    one, two = mn.load(alone / "last.npz"), mn.load(split / "last.npz")
    assert one["epoch"] == two["epoch"] == 2
    for name, weights in one["model"].items():
        np.testing.assert_allclose(two["model"][name], weights, rtol=1e-4, atol=2e-5, err_msg=name)


def test_only_rank_0_reports_a_command_line_error(monkeypatch, capsys, tmp_path):
    from minin import cli, distributed

    assert distributed.rank_from_environment({"OMPI_COMM_WORLD_RANK": "3"}) == 3
    assert distributed.rank_from_environment({"PMI_RANK": "1"}) == 1 and distributed.rank_from_environment({}) == 0
    for rank, lines in (("1", 0), ("0", 1)):
        monkeypatch.setenv("OMPI_COMM_WORLD_RANK", rank)
        assert cli.main(["summary", "--model", "small", "--input-shape", "1", "2", "2"]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == lines


# ---------------------------------------------------------------------------- bad input

def test_a_bad_exit_timeout_stops_the_run_before_mpi_starts(monkeypatch):
    assert distributed.exit_timeout_from_environment({"MININ_EXIT_TIMEOUT": " 2.5 "}) == 2.5
    assert distributed.exit_timeout_from_environment({"MININ_EXIT_TIMEOUT": ""}) == 60
    for text in ("abc", "-1", "nan"):
        with pytest.raises(distributed.DistributedError, match=f"MININ_EXIT_TIMEOUT must be a number of "
                                                                f"seconds, 0 or more, got '{text}'"):
            distributed.exit_timeout_from_environment({"MININ_EXIT_TIMEOUT": text})
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    monkeypatch.setenv("MININ_EXIT_TIMEOUT", "soon")
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # reached only after the variable is read
    with pytest.raises(distributed.DistributedError, match="MININ_EXIT_TIMEOUT .* got 'soon'"):
        distributed.init_from_environment()


@pytest.mark.parametrize("call, message", [
    (lambda: distributed.shard(10, 3, 3), "shard: rank must be 0 to 2 for a world of 3, got 3"),
    (lambda: distributed.shard(10, -1, 3), "shard: rank must be 0 to 2 for a world of 3, got -1"),
    (lambda: distributed.shard(10, 0, 0), "shard: world_size must be a positive int, got 0"),
    (lambda: distributed.shard(-1, 0, 2), "shard: count must be an int, 0 or more, got -1"),
    (lambda: distributed.check_batch_size(8, 0), "check_batch_size: world_size must be a positive int, got 0"),
    (lambda: distributed.check_batch_size(8.0, 2), "check_batch_size: batch_size must be a positive int, got 8.0"),
    (lambda: distributed.bucket_parameters(_params((2,)), bucket_bytes=0),
     "bucket_bytes must be None or a positive int \\(bytes\\), got 0"),
    (lambda: distributed.bucket_parameters(_params((2,)), bucket_bytes="1MB"),
     "bucket_bytes must be None or a positive int \\(bytes\\), got '1MB'")])
def test_bad_shares_and_bucket_sizes_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_gradient_of_another_shape_is_named_before_packing():
    params = _params((2, 3), (4,))
    params[0].grad, params[1].grad = np.ones((2, 3), np.float32), np.ones(5, np.float32)
    with pytest.raises(ValueError, match=r"pack_gradients: parameter 1 has shape \(4,\) but its \.grad has "
                                         r"shape \(5,\)"):
        distributed.pack_gradients(params)


@needs_mpi
def test_the_launcher_of_another_mpi_is_refused():
    """Variables of a launcher that says 2 processes, in a process that MPI starts alone (as
    when mpiexec belongs to another MPI than mpi4py's): not two runs that each think they
    are rank 0 of a world of one."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OMPI_", "PMI", "PMIX", "MV2_"))}
    environ.update(PMI_SIZE="2", PMI_RANK="0", OPENBLAS_NUM_THREADS="1")
    code = "from minin import distributed; distributed.init_from_environment()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environ, timeout=60)
    assert done.returncode != 0
    assert "DistributedError: the launcher started 2 processes (PMI_SIZE=2) but MPI sees a world of 1" in done.stderr


@pytest.mark.slow
@needs_mpi
def test_ranks_that_disagree_all_raise_the_same_error_and_go_on():
    """Shapes, dtypes, ops, roots, parameter lists or bucket sizes that differ between the ranks
    gave a silently wrong result (the same number of bytes), an MPI error, or a wait for ever
    (parameter lists that part ways after the first step)."""
    environ = dict(os.environ, OPENBLAS_NUM_THREADS="1", MININ_NUM_THREADS="1", MININ_EXIT_TIMEOUT="5")
    done = subprocess.run(mpiexec_command(2) + [sys.executable, os.path.join(WORKERS, "bad_input.py")],
                          capture_output=True, text=True, env=environ, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    same = "every rank must give the same"
    assert got["shape"] == f"all_reduce: rank 1 has shape (4,), rank 0 has (3,): {same} shape"
    assert got["dtype"] == f"all_reduce: rank 1 has dtype float64, rank 0 has float32: {same} dtype"
    assert got["same_bytes"] == f"all_reduce: rank 1 has shape (2,), rank 0 has (4,): {same} shape"
    assert got["op"] == f"all_reduce: rank 1 has op max, rank 0 has sum: {same} op"
    assert got["broadcast_shape"].startswith("broadcast: rank 1 has shape (4,), rank 0 has (3,)")
    assert got["broadcast_root"] == f"broadcast: rank 1 has root 1, rank 0 has 0: {same} root"
    assert got["broadcast_object_root"].startswith("broadcast_object: rank 1 has root 1, rank 0 has 0")
    assert got["layout"] == ("all_reduce_gradients: parameter 0 has shape (2,) float32 on numpy on rank 1 but "
                             "shape (4,) float32 on numpy on rank 0: every rank must build the same model")
    assert got["layout_dtype"].startswith("all_reduce_gradients: parameter 0 has shape (3,) float64 on numpy "
                                          "on rank 1 but shape (3,) float32")
    assert got["bucket_bytes"] == ("all_reduce_gradients: rank 1 has bucket_bytes 16, rank 0 has None: "
                                   f"{same} bucket_bytes")
    assert got["parted"].startswith("all_reduce_gradients: rank 1 has 1 parameters of 2 values, rank 0 has "
                                    "2 of 6: every rank must build the same model and pass all of its parameters")
    assert got["sum"] == [3.0, 3.0, 3.0]
    # Booleans as in PyTorch: sum is the logical or, min the logical and (MPI has no sum of them).
    assert got["or"] == [True, False] and got["and"] == [False, True]
    assert got["tensor"] == [2.0, 4.0]  # a Tensor, as torch.distributed.all_reduce takes
    assert got["readonly"] == "ValueError: all_reduce: the array is read-only, and the result is written into it"
    assert got["complex_max"] == "TypeError: all_reduce: op 'max' does not order complex numbers (dtype complex64)"
    assert got["strings"] == "TypeError: broadcast: expected an array of booleans or numbers, got dtype <U1"
    assert got["list"] == "TypeError: all_reduce: expected a NumPy or CuPy array or a Tensor, got list"
    assert got["root_bool"] == "ValueError: root must be a rank, 0 to 1, got True"
    assert got["no_comm"] == ("TypeError: ProcessGroup needs an mpi4py communicator (MPI.COMM_WORLD), "
                              "got NoneType")
