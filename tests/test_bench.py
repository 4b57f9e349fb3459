"""The benchmark scripts run end to end (on tiny batches: their figures are not checked,
only that they are produced)."""

import json
import os
import subprocess
import sys

import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")


def run_script(name, *args):
    out = subprocess.run([sys.executable, os.path.join(BENCH, name), *args],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_step_compares_with_torch_and_writes_json(tmp_path):
    pytest.importorskip("torch")
    path = tmp_path / "step.json"
    text = run_script("step.py", "--model", "reference", "--batch-size", "2", "--steps", "2",
                      "--warmup", "1", "--compare", "torch", "--no-memory", "--json", str(path))
    assert "ratio minin / torch:" in text
    result = json.loads(path.read_text())
    assert result["model"] == "reference" and result["batch_size"] == 2
    assert result["ratio"] == pytest.approx(result["minin"]["median_s"] / result["torch"]["median_s"])


def test_step_measures_peak_memory_without_torch():
    text = run_script("step.py", "--model", "reference", "--batch-size", "2", "--steps", "1",
                      "--warmup", "1", "--compare", "none")
    assert "peak memory of a step: minin" in text and "ratio minin" not in text


def test_profile_splits_the_step_and_the_convolutions():
    text = run_script("profile_step.py", "--model", "reference", "--batch-size", "2", "--steps", "1")
    for row in ("Conv2d.forward", "MaxPool2d.backward", "optimizer.step", "(between operations)",
                "inside Conv2d", "im2col", "col2im", "bias_relu", "relu_backward",
                "matrix products, bias grad"):
        assert row in text


def test_kernel_table_has_every_layer():
    pytest.importorskip("torch")
    text = run_script("kernels.py", "--batch-size", "2", "--repeat", "1")
    lines = text.splitlines()
    assert any(line.startswith("conv 3×3 64→128") for line in lines)
    assert any(line.startswith("max pool 3/2, 64×28×28") for line in lines)
    assert lines[-1].startswith("sum")


def test_epoch_runs_both_loops_on_a_few_batches(tmp_path):
    pytest.importorskip("torch")
    from minin.data import FashionMNIST
    try:
        FashionMNIST(train=False, download=False)
    except FileNotFoundError:
        pytest.skip("Fashion-MNIST is not installed")
    path = tmp_path / "epoch.json"
    text = run_script("epoch.py", "--subset", "320", "--val-split", "64", "--batch-size", "64",
                      "--rounds", "1", "--json", str(path))
    assert "minin / PyTorch: training" in text
    result = json.loads(path.read_text())
    assert result["epoch_ratio"] == pytest.approx(result["minin"]["epoch_seconds"]
                                                  / result["torch"]["epoch_seconds"])


def test_reading_path_counts_the_functions_a_pass_calls():
    text = run_script("reading_path.py", "--list")
    summary = next(line for line in text.splitlines() if line.startswith("lines read"))
    counts = dict(part.rsplit(" ", 1) for part in summary.split(", "))
    assert int(counts["functions"]) > 10 and int(counts["lines read"]) > int(counts["functions"])
    assert int(counts["lines run"]) < int(counts["lines read"])
    assert 0 < int(counts["code lines"]) < int(counts["lines read"])
    for name in ("nn/module.py:__call__", "functional.py:conv2d", "function.py:run_backward",
                 "kernels/conv.py:conv2d_forward", "kernels/conv.py:conv2d_backward"):
        assert name in text


def test_code_lines_leave_out_docstrings_comments_and_blank_lines(tmp_path):
    sys.path.insert(0, BENCH)
    try:
        import reading_path
    finally:
        sys.path.pop(0)
    source = tmp_path / "example.py"
    source.write_text('def f(x):\n    """Twice x.\n\n    More prose.\n    """\n\n'
                      '    # why, not what\n    y = (x +\n         x)\n    return y\n')
    assert reading_path.code_lines(str(source), set(range(1, 11))) == {1, 8, 9, 10}
