"""Fault and fuzz tests of the `minin` command: generated command lines and corrupted
files against train, eval, summary and confmap, and runs killed at chosen points.

Every case must end with exit status 0, 1 (a run that failed, or data that cannot be
read) or 2 (bad input), at most one line on stderr that is not a traceback, no file
touched outside --out, nothing lost in an existing folder, and bounded memory. The
examples are generated from a fixed seed (``derandomize=True``) and counted, so CI
runs the same cases every time.
"""

import json
import os
import resource
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

import minin as mn  # noqa: E402
from helpers import run_cli, idx_bytes, write_fashion_like, write_gz  # noqa: E402
from minin import cli  # noqa: E402

def generated(examples):
    """A fixed number of examples from a fixed seed: the same cases on every run."""
    return settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


CASES = {}  # name -> number of generated cases run (printed at the end of the module)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A data set, a trained run, a folder that is not a run, and a file."""
    root = tmp_path_factory.mktemp("world")
    data = write_fashion_like(root / "data", n_train=160, n_test=40)
    run = root / "run"
    assert cli.main(["train", "--data-dir", str(data), "--no-download", "--no-progress", "--epochs", "1",
                     "--batch-size", "32", "--val-split", "32", "--out", str(run)]) == 0
    project = root / "project"
    project.mkdir()
    (project / "config.json").write_text('{"mine": 1}\n')
    (project / "notes.txt").write_text("keep me\n")
    (root / "file").write_text("a file\n")
    return root


def snapshot(folder, skip=()):
    return {p: p.read_bytes() for p in sorted(Path(folder).rglob("*"))
            if p.is_file() and not any(s == p or s in p.parents for s in skip)}


run = run_cli


def assert_clean_failure(status, err, allowed=(0, 1, 2)):
    assert status in allowed, (status, err)
    assert "Traceback" not in err, err
    if status != 0:
        lines = [line for line in err.splitlines() if line.strip()]
        if "was not found" in lines[0]:  # missing data: the places looked in, one per line
            lines = lines[:1]
        if lines[0].startswith("usage:"):  # argparse: the usage, then one error line
            lines = [line for line in lines if "error:" in line]
        assert len(lines) == 1 and "error:" in lines[0], err


def assert_memory_bounded():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    assert peak < 3 * 2**30, f"peak resident memory {peak / 2**30:.1f} GiB"


# ---------------------------------------------------------------------------- generated command lines
def _values(*choices):
    return st.sampled_from([str(c) for c in choices])


TRAIN_OPTIONS = {
    "--epochs": _values(0, -1, 1, 2, "x", "inf", ""),
    "--batch-size": _values(0, 16, 32, 64, 1000, 10**9, "1.5"),
    "--lr": _values(0, -1, "inf", "nan", "1e-3", "1e30", "x"),
    "--momentum": _values(-1, 0, "0.9", "inf"),
    "--weight-decay": _values(-1, 0, "1e-4", "inf", "nan"),
    "--label-smoothing": _values(-0.1, 0, "0.1", 1, "nan", "x"),
    "--val-split": _values(-1, 0, 16, 100, 10**9, "x"),
    "--subset": _values(0, -5, 48, 96, 10**12, ""),
    "--resize": _values(0, 5, 28, 100000),
    "--seed": _values(-5, 0, 3, 2**70, "x"),
    "--model": _values("small", "huge", ""),
    "--optimizer": _values("sgd", "adam", "lamb"),
    "--schedule": _values("none", "step", "cosine", "onecycle", "linear"),
    "--head": _values("gap", "gmp", "mean"),
    "--mlp-depth": _values(0, 1, 4, "x"),
    "--backend": _values("numpy", "cupy", "torch"),
    "--out": _values("", "OUT", "PROJECT", "FILE", "/proc/minin-run", "FILE/run"),
    "--resume": _values("", "RUN", "PROJECT", "nothing"),
    "--data-dir": _values("", "FILE", "DATA", "missing"),
}
FLAGS = ["--no-augment", "--augment", "--tf32", "--no-download"]


@st.composite
def train_command_lines(draw):
    names = draw(st.lists(st.sampled_from(sorted(TRAIN_OPTIONS) + FLAGS), max_size=5, unique=True))
    argv = []
    for name in names:
        argv.append(name)
        if name in TRAIN_OPTIONS:
            argv.append(draw(TRAIN_OPTIONS[name]))
    return argv


@generated(12)
@given(argv=train_command_lines())
def test_generated_train_command_lines(world, tmp_path_factory, capsys, argv):
    CASES["train command lines"] = CASES.get("train command lines", 0) + 1
    work = tmp_path_factory.mktemp("case")
    names = {"OUT": work / "out", "PROJECT": world / "project", "FILE": world / "file",
             "RUN": world / "run", "DATA": world / "data", "FILE/run": world / "file" / "run"}
    argv = [str(names.get(a, a)) for a in argv]
    # Small and quick unless the case says otherwise; later options win.
    base = ["train", "--data-dir", world / "data", "--no-download", "--no-progress", "--epochs", 1,
            "--subset", 96, "--batch-size", 32, "--out", work / "out"]
    if "--resume" in argv:
        base = ["train", "--no-progress", "--epochs", 1]
    resumed = [world / "run"] if "--resume" in argv else []  # the one folder a case may change
    before = snapshot(world, skip=resumed)
    cwd = os.getcwd()
    os.chdir(work)
    try:
        status, err = run(base + argv, capsys)
    finally:
        os.chdir(cwd)
    assert_clean_failure(status, err)
    assert snapshot(world, skip=resumed) == before
    assert [p.name for p in work.iterdir()] in ([], ["out"]), list(work.iterdir())
    assert_memory_bounded()


SUMMARY_SIZES = st.sampled_from([1, 3, 5, 28, 32, 100000])


@generated(12)
@given(model=st.sampled_from(["small", "cifar10"]), shape=st.tuples(SUMMARY_SIZES, SUMMARY_SIZES, SUMMARY_SIZES),
       batch=st.sampled_from([1, 2, 100000]))
def test_generated_summary_shapes(capsys, model, shape, batch):
    CASES["summary shapes"] = CASES.get("summary shapes", 0) + 1
    status, err = run(["summary", "--model", model, "--input-shape", *shape, "--batch-size", batch], capsys)
    assert_clean_failure(status, err, allowed=(0, 2))
    assert_memory_bounded()


# ---------------------------------------------------------------------------- corrupted files
def _flip(data, position, bit):
    data = bytearray(data)
    data[position % len(data)] ^= 1 << bit
    return bytes(data)


def _rewrite_manifest(good, change):
    """The checkpoint ``good`` with its JSON index replaced by ``change(index text)``."""
    import io
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        entries = {name: z.read(name) for name in z.namelist()}
    manifest = np.lib.format.read_array(io.BytesIO(entries["__minin__.npy"]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in entries.items():
            if name == "__minin__.npy":
                buffer = io.BytesIO()
                np.save(buffer, np.array(change(str(manifest))))
                data = buffer.getvalue()
            z.writestr(name, data)
    return out.getvalue()


def _edit_state(good, tmp, edit):
    path = tmp / "edit.npz"
    path.write_bytes(good)
    state = mn.load(path)
    edit(state)
    mn.save(state, path)
    return path.read_bytes()


def _pickled(tmp):
    path = tmp / "pickled.npz"
    np.savez(path, __minin__=np.array([{"kind": "minin-train"}], dtype=object))
    return path.read_bytes()


CORRUPTIONS = {
    "truncated": lambda good, tmp, k, b: good[:k % len(good)],
    "bit flip": lambda good, tmp, k, b: _flip(good, k, b),
    "empty": lambda good, tmp, k, b: b"",
    "text": lambda good, tmp, k, b: b"not a checkpoint\n",
    "forged index": lambda good, tmp, k, b: _rewrite_manifest(
        good, lambda text: ['[]', '{"format": 1}', '{"format": 1, "root": {"__array__": "nope"}}',
                            '{"format": 1, "root": {"__dict__": {"kind": "minin-train"}}}',
                            '{', text.replace('"epoch": 1', '"epoch": "one"')][k % 6]),
    "wrong model": lambda good, tmp, k, b: _edit_state(
        good, tmp, lambda s: s["config"].update(model=["cifar10", "d2l"][k % 2])),
    "missing key": lambda good, tmp, k, b: _edit_state(
        good, tmp, lambda s: s.pop(["model", "classes", "config", "epoch", "optimizer"][k % 5])),
    "wrong weights": lambda good, tmp, k, b: _edit_state(
        good, tmp, lambda s: s["model"].update({next(iter(s["model"])): np.zeros(3, np.float32)})),
    "pickled": lambda good, tmp, k, b: _pickled(tmp),
}


@generated(24)
@given(kind=st.sampled_from(sorted(CORRUPTIONS)), position=st.integers(0, 10**6), bit=st.integers(0, 7),
       command=st.sampled_from(["eval", "confmap", "resume"]))
def test_corrupted_checkpoints(world, tmp_path_factory, capsys, kind, position, bit, command):
    CASES["corrupted checkpoints"] = CASES.get("corrupted checkpoints", 0) + 1
    work = tmp_path_factory.mktemp("case")
    good = (world / "run" / "last.npz").read_bytes()
    bad = CORRUPTIONS[kind](good, work, position, bit)
    if command == "resume":
        (work / "run").mkdir()
        (work / "run" / "config.json").write_bytes((world / "run" / "config.json").read_bytes())
        (work / "run" / "last.npz").write_bytes(bad)
        argv = ["train", "--resume", work / "run", "--no-progress", "--epochs", 1]
    else:
        (work / "bad.npz").write_bytes(bad)
        argv = [command, "--checkpoint", work / "bad.npz", "--data-dir", world / "data", "--no-download"]
        argv += ["--out", work / "maps.png", "--count", 1] if command == "confmap" else []
    status, err = run(argv, capsys)
    assert_clean_failure(status, err, allowed=(0, 2))
    if bad != good and status == 0:  # a change NumPy and zip cannot see (zip padding): still a full run
        assert command != "resume" or (work / "run" / "last.npz").exists()
    assert_memory_bounded()


def _gzip_bomb(path):
    import zlib
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "wb") as f:
        f.write(deflate.compress(idx_bytes(np.zeros(160))))
        zeros = bytes(1 << 20)
        for _ in range(256):
            f.write(deflate.compress(zeros))
        f.write(deflate.flush())


DATA_CORRUPTIONS = {
    "truncated": lambda path, k, b: path.write_bytes(path.read_bytes()[:k % path.stat().st_size]),
    "bit flip": lambda path, k, b: path.write_bytes(_flip(path.read_bytes(), k, b)),
    "forged header": lambda path, k, b: write_gz(path, idx_bytes(np.zeros(2**k % 7 + 1))[:8]
                                                 + (2**31 + k).to_bytes(4, "big")),
    "gzip bomb": lambda path, k, b: _gzip_bomb(path),
    "not gzip": lambda path, k, b: path.write_bytes(b"IDX" * (k % 100 + 1)),
}


@generated(12)
@given(kind=st.sampled_from(sorted(DATA_CORRUPTIONS)), which=st.sampled_from(["train-images", "train-labels",
                                                                              "t10k-images", "t10k-labels"]),
       position=st.integers(0, 10**6), bit=st.integers(0, 7))
def test_corrupted_data_files(world, tmp_path_factory, capsys, kind, which, position, bit):
    CASES["corrupted data files"] = CASES.get("corrupted data files", 0) + 1
    work = tmp_path_factory.mktemp("case")
    data = work / "data"
    data.mkdir()
    for f in (world / "data").iterdir():
        (data / f.name).write_bytes(f.read_bytes())
    target = data / f"{which}-idx{3 if 'images' in which else 1}-ubyte.gz"
    DATA_CORRUPTIONS[kind](target, position, bit)
    status, err = run(["train", "--data-dir", data, "--no-download", "--no-progress", "--epochs", 1,
                       "--subset", 64, "--batch-size", 32, "--out", work / "out"], capsys)
    assert_clean_failure(status, err)
    assert_memory_bounded()


# ---------------------------------------------------------------------------- killed runs
KILL_RUN = ["--subset", 64, "--batch-size", 16, "--val-split", 0, "--epochs", 2, "--no-progress",
            "--no-download"]
# A child that runs the command and SIGKILLs itself halfway through its N-th write of one file
# (without a validation set best.npz is written after every epoch, before last.npz).
_SELF_KILLER = """
import os, signal, sys
import minin._files as files
target, count = sys.argv[1], int(sys.argv[2])
real, seen = files.atomic_write, []
def dying_write(path, write):
    if os.path.basename(str(path)) == target:
        seen.append(path)
        if len(seen) == count:
            def half(f):
                f.write(b"x" * 100)
                f.flush()
                os.kill(os.getpid(), signal.SIGKILL)
            return real(path, half)
    return real(path, write)
files.atomic_write = dying_write
import minin.serialization, minin.training.folder
minin.serialization.atomic_write = minin.training.folder.atomic_write = dying_write
from minin import cli
sys.exit(cli.main(sys.argv[3:]))
"""


def _minin(*argv, killer=None):
    command = [sys.executable, "-m", "minin"]
    if killer is not None:
        command = [sys.executable, "-c", _SELF_KILLER, *map(str, killer)]
    return subprocess.run(command + [str(a) for a in argv], capture_output=True, text=True, timeout=300,
                           cwd=Path(__file__).parent)


def _in_process(*argv):
    """`minin ARGV` in this process (only the killed runs need a process of their own)."""
    return cli.main([str(a) for a in argv])


@pytest.fixture(scope="module")
def uninterrupted(world):
    out = world / "straight"
    assert _in_process("train", "--data-dir", world / "data", "--out", out, *KILL_RUN) == 0
    return {name: mn.load(out / name) for name in ("last.npz", "best.npz")}


def _finished(out):
    lines = (out / "metrics.jsonl").read_text().splitlines() if (out / "metrics.jsonl").exists() else []
    return bool(lines) and "test_acc" in lines[-1]


def _finish_and_compare(out, expected):
    if not _finished(out):
        assert _in_process("train", "--resume", out, "--no-progress") == 0
    for name, state in expected.items():
        got = mn.load(out / name)
        assert got["epoch"] == state["epoch"], name
        for key, value in state["model"].items():
            assert np.array_equal(value, got["model"][key]), (name, key)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r.get("epoch") for r in rows] == [1, 2, None]
    assert not list(out.glob(".*.part"))


@pytest.mark.slow
@pytest.mark.parametrize("target, count", [("best.npz", 2)])  # finding: best.npz was lost for good
def test_sigkill_inside_a_file_write_then_resume_is_bitwise_equal(world, uninterrupted, tmp_path, target, count):
    out = tmp_path / "run"
    killed = _minin("train", "--data-dir", world / "data", "--out", out, *KILL_RUN, killer=[target, count])
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    _continue(world, out, uninterrupted)


def _continue(world, out, expected):
    """Resume a stopped run (or start it again if it stopped before its first checkpoint),
    then compare its checkpoints with the uninterrupted run's."""
    if not (out / "last.npz").exists():
        assert _in_process("train", "--data-dir", world / "data", "--out", out, *KILL_RUN) == 0
    _finish_and_compare(out, expected)


@pytest.mark.slow
@pytest.mark.parametrize("signum, seconds", [(signal.SIGINT, 1.5), (signal.SIGTERM, 0.7), (signal.SIGKILL, 2.5)])
def test_a_signal_at_a_chosen_time_then_resume_is_bitwise_equal(world, uninterrupted, tmp_path, signum, seconds):
    """The signal comes ``seconds`` after the run printed its first line: anywhere from
    set-up to the last epoch, depending on the machine; every point must resume exactly."""
    import time

    out = tmp_path / "run"
    child = subprocess.Popen([sys.executable, "-u", "-m", "minin", "train", "--data-dir", str(world / "data"),
                              "--out", str(out), *map(str, KILL_RUN)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parent)
    child.stdout.readline()
    time.sleep(seconds)
    child.send_signal(signum)
    _, err = child.communicate(timeout=300)
    assert child.returncode in (0, 130, -signal.SIGKILL, -signal.SIGTERM, -signal.SIGINT), (child.returncode, err)
    assert "Traceback" not in err, err
    _continue(world, out, uninterrupted)


def test_zz_report_the_number_of_generated_cases(capsys):
    with capsys.disabled():
        print(f"\ngenerated cases run: {CASES} (total {sum(CASES.values())})")
