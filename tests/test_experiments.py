"""The experiment scripts of tutorials/experiments, end to end in their --quick mode, and their helpers."""

import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import minin as mn
from minin.models import nin

EXPERIMENTS = Path(__file__).resolve().parent.parent / "tutorials" / "experiments"


def load_script(name):
    sys.path.insert(0, str(EXPERIMENTS))
    try:
        spec = importlib.util.spec_from_file_location(f"experiment_{name}", EXPERIMENTS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(EXPERIMENTS))
    return module


def quick(name, tmp_path):
    load_script(name).main(["--quick", "--results", str(tmp_path), "--figures", str(tmp_path)])
    record = json.loads((tmp_path / f"{name}_quick.json").read_text())
    assert (tmp_path / f"{name}_quick.png").stat().st_size > 1000
    log = (tmp_path / f"{name}_quick.log").read_text()
    assert log.startswith("command: python ") and "wrote" in log
    assert record["quick"] and record["data"] == "synthetic" and record["wall_seconds"] >= 0
    return record


def test_gap_heads_quick(tmp_path):
    record = quick("gap_heads", tmp_path)
    table = record["table"]
    assert list(table) == ["gap", "fc", "fc-dropout", "gmp"]
    for head, row in table.items():
        assert row["params"] == mn.summary(nin("small", head=head), (1, 28, 28)).total_params
        assert 0 <= row["test_acc"]["mean"] <= 1 and row["test_acc"]["n"] == len(record["grid"]["seeds"])
        assert math.isclose(row["gap"]["mean"], row["train_acc"]["mean"] - row["val_acc"]["mean"], abs_tol=1e-9)
    assert table["fc"]["params"] - table["gap"]["params"] == 410 and table["gap"]["paper_cifar10_error"] == 10.41
    assert len(record["curves"]["gap/0"]) == record["grid"]["epochs"]


def test_mlpconv_ablation_quick(tmp_path):
    record = quick("mlpconv_ablation", tmp_path)
    table = record["table"]
    assert set(table) == {"0x1", "2x1", "2x3"}
    assert table["2x1"]["params"] == 783_306 and table["2x1"]["macs"] == 37_773_824
    assert table["0x1"]["params"] < table["2x1"]["params"] < table["2x3"]["params"]
    assert (table["2x3"]["mlp_depth"], table["2x3"]["mlp_kernel"]) == (2, 3)


def test_plateau_quick(tmp_path):
    record = quick("plateau", tmp_path)
    assert set(record["table"]) == {"article", "init-nin", "d2l"}
    for key, losses in record["losses"].items():
        assert len(losses) == record["grid"]["steps"] and all(math.isfinite(v) for v in losses)
    assert record["table"]["init-nin"]["init"] == "nin" and record["table"]["d2l"]["optimizer"] == "sgd"
    # init_nin starts every seed at exactly ln 10 (chapter 6)
    assert record["losses"]["init-nin/0"][0] == pytest.approx(math.log(10), abs=1e-5)


def test_helpers():
    common = load_script("common")
    a = common.resize_matrix(28, 67)
    assert a.shape == (67, 28) and np.allclose(a.sum(1), 1) and a[0, 0] == 1 and a[-1, -1] == 1
    assert np.allclose(common.resize_matrix(5, 5), np.eye(5))
    s = common.spread([0.5, 0.7, 0.6])
    assert s["mean"] == pytest.approx(0.6) and s["spread"] == pytest.approx(0.1) and s["n"] == 3
    plateau = load_script("plateau")
    assert plateau.smooth([1, 3, 5], window=2) == [1, 2, 4]
    assert plateau.left_at([2.3] * 5 + [1.0] * 20, level=2.2, window=2) == 6
    assert plateau.left_at([2.3] * 5) is None
    assert load_script("mlpconv_ablation").parse_cell("3x1") == (3, 1)
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        common.make_optimizer(nin("small"), "rmsprop", 0.1)


def test_the_nin_diagrams_are_drawn_from_summary(tmp_path):
    pytest.importorskip("matplotlib")
    spec = importlib.util.spec_from_file_location(
        "make_nin_figures", EXPERIMENTS.parent / "figures" / "make_nin_figures.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    rows, table = script.stages("small")
    assert [r[0].split("\n")[0] for r in rows] == ["input", "mlpconv", "max pool", "mlpconv", "max pool",
                                                  "mlpconv", "max pool", "dropout", "mlpconv", "global avg"]
    assert sum(r[2] for r in rows) == table.total_params and sum(r[3] for r in rows) == table.total_macs
    assert rows[1][1] == (1, 64, 28, 28) and script.short(87_619_968) == "87.6 M"
    assert script.main(["--variant", "small", "--out-dir", str(tmp_path)]) == 0
    assert (tmp_path / "nin_pipeline.png").stat().st_size > 10_000
    assert (tmp_path / "linear_conv_vs_mlpconv.png").stat().st_size > 10_000
