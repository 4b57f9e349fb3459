"""The `minin` command end to end: train, resume, eval, summary and confmap, and the
one-line errors of each, on a small data set written by the tests."""

import json
import subprocess
import sys

import numpy as np
import pytest

import minin as mn
from helpers import write_fashion_like
from minin import cli


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_fashion_like(tmp_path_factory.mktemp("fashion"))


def run_cli(*argv):
    return cli.main([str(a) for a in argv])


def test_train_command_writes_metrics_checkpoints_and_curves(data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    status = run_cli("train", "--data-dir", data_dir, "--out", out, "--epochs", 2, "--batch-size", 32,
                     "--val-split", 64, "--no-progress", "--no-download")
    assert status == 0
    printed = capsys.readouterr().out
    assert "epoch 1/2: train loss" in printed and "epoch 2/2" in printed and "test accuracy" in printed
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r.get("epoch") for r in rows[:2]] == [1, 2]
    for row in rows[:2]:
        assert set(row) == {"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds",
                            "images_per_second"}
        assert 0 <= row["val_acc"] <= 1 and row["train_loss"] > 0
    assert set(rows[2]) == {"test_loss", "test_acc"}
    settings = json.loads((out / "config.json").read_text())
    assert settings["model"] == "small" and settings["epochs"] == 2 and settings["test_images"] == 100
    for name in ("last.npz", "best.npz"):
        state = mn.load(out / name)
        assert state["kind"] == "minin-train" and "0.0.weight" in state["model"]
    assert mn.load(out / "last.npz")["epoch"] == 2
    pytest.importorskip("matplotlib")
    assert (out / "curves.png").stat().st_size > 1000


def test_resume_from_the_command_line(data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    common = ["--data-dir", data_dir, "--no-progress", "--no-download"]
    assert run_cli("train", "--out", out, "--epochs", 1, "--batch-size", 32, "--val-split", 64, *common) == 0
    assert run_cli("train", "--resume", out, "--epochs", 2, *common) == 0
    assert "resuming after epoch 1" in capsys.readouterr().out
    assert mn.load(out / "last.npz")["epoch"] == 2


def test_zero_valued_options_are_kept(data_dir, tmp_path):
    out = tmp_path / "run"
    assert run_cli("train", "--data-dir", data_dir, "--out", out, "--epochs", 1, "--batch-size", 32,
                   "--optimizer", "sgd", "--momentum", 0, "--val-split", 0, "--weight-decay", 0,
                   "--label-smoothing", 0, "--seed", 0, "--no-progress", "--no-download") == 0
    settings = json.loads((out / "config.json").read_text())
    assert settings["momentum"] == 0 and settings["val_split"] == 0 and settings["val_images"] == 0
    assert settings["label_smoothing"] == 0
    assert mn.load(out / "last.npz")["optimizer"]["param_groups"][0]["momentum"] == 0


def test_the_last_good_checkpoint_is_kept_when_training_diverges(data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    common = ["--data-dir", data_dir, "--no-progress", "--no-download", "--batch-size", 32, "--val-split", 64]
    assert run_cli("train", "--out", out, "--epochs", 1, *common) == 0
    before = mn.load(out / "last.npz")

    def explode(self, *args, **kwargs):  # the next run's updates turn every weight into NaN
        for group in self.param_groups:
            for p in group["params"]:
                p.data[...] = np.nan

    original = mn.optim.Adam.step
    mn.optim.Adam.step = explode
    try:
        status = run_cli("train", "--resume", out, "--epochs", 2, *common[:4])
    finally:
        mn.optim.Adam.step = original
    assert status == 1
    err = capsys.readouterr().err
    assert "NaN or infinite at epoch 2, step 2" in err and "last good checkpoint" in err
    assert "Traceback" not in err
    after = mn.load(out / "last.npz")
    assert after["epoch"] == 1
    assert np.array_equal(after["model"]["0.0.weight"], before["model"]["0.0.weight"])


@pytest.mark.parametrize("argv, message", [
    (["train", "--epochs", "0"], "must be a positive integer"),
    (["train", "--model", "huge"], "invalid choice: 'huge'"),
    (["train", "--lr", "-1"], "must be positive"),
    (["train", "--tf32"], "--tf32 only applies to --backend cupy"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_bad_arguments_exit_with_status_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_resume_refuses_new_settings_and_missing_runs(tmp_path, capsys):
    for option, shown in ((["--lr", "0.1"], "not --lr"), (["--momentum", "0"], "not --momentum"),
                          (["--no-augment"], "not --augment")):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["train", "--resume", str(tmp_path), *option])
        assert exit_info.value.code == 2 and shown in capsys.readouterr().err
    assert cli.main(["train", "--resume", str(tmp_path / "nothing")]) == 2
    assert "nothing to resume" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--subset", "20"], "the training set has 20 images, fewer than one batch of 128"),
    (["--resize", "5", "--batch-size", "32"], "model 'small' cannot take 1×5×5 inputs"),
    (["--out", "FILE"], "is a file; the output is a folder"),
    (["--resume", "NPY"], "is not a minin checkpoint (it is a .npy file"),
    (["--resume", "FOREIGN"], "is not a checkpoint written by `minin train`"),
])
def test_settings_that_cannot_work_are_one_line_errors(data_dir, tmp_path, capsys, argv, message):
    (tmp_path / "file").write_text("x")
    (tmp_path / "npy").mkdir()
    with open(tmp_path / "npy" / "last.npz", "wb") as f:
        np.save(f, np.zeros(3))
    mn.save({"a": 1}, tmp_path / "foreign" / "last.npz")
    where = {"FILE": tmp_path / "file", "NPY": tmp_path / "npy", "FOREIGN": tmp_path / "foreign"}
    argv = [str(where.get(a, a)) for a in argv]
    if "--resume" not in argv:
        argv += ["--data-dir", str(data_dir), "--no-download", "--no-progress"]
        if "--out" not in argv:
            argv += ["--out", str(tmp_path / "run")]
    assert cli.main(["train", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_summary_and_confmap_report_bad_input_in_one_line(tmp_path, capsys):
    assert cli.main(["summary", "--model", "small", "--input-shape", "1", "5", "5"]) == 2
    err = capsys.readouterr().err
    assert "small cannot take inputs of shape [1, 5, 5]" in err and "layer '" in err  # names the layer
    assert cli.main(["summary", "--model", "small", "--input-shape", "3", "90000", "90000"]) == 2
    err = capsys.readouterr().err  # measured at 256 × 256, never made at its size
    assert "layer '0.0' (Conv2d)" in err and "input has 3 channels but the weight expects 1" in err
    assert cli.main(["confmap", "--checkpoint", str(tmp_path / "x.npz"),
                     "--out", str(tmp_path / "nowhere" / "maps.png")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_an_existing_run_is_not_overwritten(data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    mn.save({"kind": "minin-train"}, out / "last.npz")
    assert run_cli("train", "--out", out, "--data-dir", data_dir) == 2
    assert "already holds a run" in capsys.readouterr().err


def test_cupy_without_a_gpu_is_one_line_and_status_2(data_dir, tmp_path):
    try:
        mn.backend.module("cupy")
        pytest.skip("a GPU is available here")
    except mn.backend.BackendError:
        pass
    result = subprocess.run([sys.executable, "-m", "minin", "train", "--backend", "cupy", "--data-dir",
                             str(data_dir), "--out", str(tmp_path / "run")], capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("minin: error: the 'cupy' backend needs")


def test_missing_data_is_reported_without_a_traceback(tmp_path, capsys):
    status = run_cli("train", "--data-dir", tmp_path / "empty", "--no-download", "--out", tmp_path / "run")
    assert status == 1
    err = capsys.readouterr().err
    assert "Fashion-MNIST" in err or "fashion" in err.lower()
    assert "Traceback" not in err


def test_eval_summary_and_confmap_commands(data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli("train", "--out", out, "--epochs", 1, "--batch-size", 32, "--val-split", 64,
                   "--data-dir", data_dir, "--no-progress", "--no-download") == 0
    capsys.readouterr()
    assert run_cli("eval", "--checkpoint", out / "best.npz", "--data-dir", data_dir, "--no-download") == 0
    printed = capsys.readouterr().out
    assert "test accuracy" in printed and "Ankle boot" in printed and "class" in printed
    assert run_cli("summary", "--model", "d2l") == 0
    assert "Total params: 1,992,166" in capsys.readouterr().out
    pytest.importorskip("matplotlib")
    picture = tmp_path / "maps.png"
    assert run_cli("confmap", "--checkpoint", out / "best.npz", "--out", picture, "--count", 3,
                   "--data-dir", data_dir, "--no-download") == 0
    assert picture.stat().st_size > 5000
    assert "10 class maps" in capsys.readouterr().out
    assert run_cli("eval", "--checkpoint", tmp_path / "missing.npz") == 2


def test_the_progress_bar_shows_loss_accuracy_and_speed(data_dir, tmp_path, capsys):
    pytest.importorskip("tqdm")
    assert run_cli("train", "--out", tmp_path / "run", "--epochs", 1, "--batch-size", 32,
                   "--val-split", 64, "--data-dir", data_dir, "--no-download") == 0
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "loss=" in err and "acc=" in err and "img_s=" in err


def test_the_default_output_folder_never_overwrites_a_run(data_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "small-fashion-mnist").mkdir(parents=True)
    mn.save({"kind": "minin-train"}, tmp_path / "runs" / "small-fashion-mnist" / "last.npz")
    assert run_cli("train", "--epochs", 1, "--batch-size", 32, "--val-split", 64, "--subset", 100,
                   "--data-dir", data_dir, "--no-download", "--no-progress") == 0
    assert "writing to runs/small-fashion-mnist-2" in capsys.readouterr().out
    assert (tmp_path / "runs" / "small-fashion-mnist-2" / "last.npz").exists()


# ---------------------------------------------------------------------------- the output folder
FAST = ["--subset", 96, "--batch-size", 32, "--val-split", 32, "--epochs", 1, "--no-progress", "--no-download"]


def fast_train(data_dir, *argv):
    return run_cli("train", "--data-dir", data_dir, *FAST, *argv)


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("metrics", ['{"epoch": 1, "mine": true}\n', "not json at all\n"])
def test_a_folder_that_is_not_a_run_is_refused_untouched(data_dir, tmp_path, capsys, metrics):
    project = tmp_path / "project"
    project.mkdir()
    (project / "config.json").write_text('{"learning_rate": 0.1}\n')
    (project / "metrics.jsonl").write_text(metrics)
    before = snapshot(project)
    assert fast_train(data_dir, "--out", project) == 2
    err = capsys.readouterr().err
    assert "holds files that are not a minin run (config.json)" in err and "--out" in err
    assert err.count("\n") == 1 and snapshot(project) == before


def test_a_folder_in_use_by_another_run_is_refused(data_dir, tmp_path, capsys):
    from minin._files import FolderLock

    out = tmp_path / "run"
    out.mkdir()
    lock = FolderLock(out).acquire()  # what a run in progress holds
    try:
        assert fast_train(data_dir, "--out", out) == 2
    finally:
        lock.release()
    err = capsys.readouterr().err
    assert f"{out} is in use by process" in err and "another run is writing there" in err
    assert not (out / "config.json").exists()
    # The lock of a run that died is gone with it: the folder is free again.
    assert fast_train(data_dir, "--out", out) == 0


def test_resume_repairs_a_metrics_line_cut_short_and_removes_stale_parts(data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert fast_train(data_dir, "--out", out) == 0
    with open(out / "metrics.jsonl", "a") as f:
        f.write('{"epoch": 2, "train_lo')  # a kill in the middle of the next epoch's line
    (out / ".last.npz.x1y2.part").write_bytes(b"half a checkpoint")
    assert run_cli("train", "--resume", out, "--epochs", 2, "--no-progress", "--no-download") == 0
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r.get("epoch") for r in rows] == [1, 2, None]
    assert not list(out.glob("*.part")) and not list(out.glob(".*.part"))


@pytest.mark.parametrize("option", ["--resume", "--out", "--data-dir"])
def test_empty_paths_are_errors(option, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", option, ""])
    assert exit_info.value.code == 2
    assert f"argument {option}: must not be empty" in capsys.readouterr().err


def test_val_split_counts_images_after_the_subset(data_dir, tmp_path):
    out = tmp_path / "run"
    assert run_cli("train", "--data-dir", data_dir, "--subset", 300, "--val-split", 100, "--batch-size", 32,
                   "--epochs", 1, "--no-progress", "--no-download", "--out", out) == 0
    settings = json.loads((out / "config.json").read_text())
    assert (settings["val_images"], settings["train_images"]) == (100, 200)


@pytest.mark.parametrize("argv, message", [
    (["--val-split", "99999999"], "--val-split 99999999 leaves 0 of the 400 training images, fewer than one batch"),
    (["--subset", "100", "--val-split", "95", "--batch-size", "8"], "leaves 5 of the 100 training images"),
    (["--batch-size", "1024"], "the training set has 400 images, fewer than one batch of 1024"),
])
def test_impossible_validation_splits_are_refused(data_dir, tmp_path, capsys, argv, message):
    assert run_cli("train", "--data-dir", data_dir, "--no-download", "--out", tmp_path / "run", *argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "run").exists()


def test_resume_refuses_a_checkpoint_from_another_run(data_dir, tmp_path, capsys):
    mine, other = tmp_path / "mine", tmp_path / "other"
    assert fast_train(data_dir, "--out", mine) == 0
    assert fast_train(data_dir, "--out", other, "--seed", 1) == 0
    (mine / "last.npz").write_bytes((other / "last.npz").read_bytes())
    before = (mine / "metrics.jsonl").read_text()
    capsys.readouterr()
    assert run_cli("train", "--resume", mine, "--epochs", 2, "--no-progress") == 2
    err = capsys.readouterr().err
    assert f"{mine / 'last.npz'} is not this folder's run: it has seed=1, config.json has seed=0" in err
    assert (mine / "metrics.jsonl").read_text() == before


# ---------------------------------------------------------------------------- confmap --out
def test_confmap_says_the_file_it_writes_and_checks_the_format_first(data_dir, tmp_path, capsys):
    assert run_cli("confmap", "--checkpoint", tmp_path / "missing.npz", "--out", tmp_path / "maps.txt") == 2
    assert "cannot write .txt pictures" in capsys.readouterr().err
    assert run_cli("confmap", "--checkpoint", tmp_path / "missing.npz", "--out", tmp_path) == 2
    assert f"--out {tmp_path} is a folder; give a file name" in capsys.readouterr().err
    pytest.importorskip("matplotlib")
    out = tmp_path / "run"
    assert fast_train(data_dir, "--out", out) == 0
    capsys.readouterr()
    assert run_cli("confmap", "--checkpoint", out / "best.npz", "--out", tmp_path / "maps", "--count", 2,
                   "--data-dir", data_dir, "--no-download") == 0
    assert f"wrote {tmp_path / 'maps.png'}:" in capsys.readouterr().out
    assert (tmp_path / "maps.png").exists() and not (tmp_path / "maps").exists()


# ---------------------------------------------------------------------------- model switches
def test_confmap_of_other_heads_uses_the_models_own_scores_or_says_why_not(data_dir, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    for head, status in (("gmp", 0), ("fc", 2)):
        out = tmp_path / head
        assert fast_train(data_dir, "--out", out, "--head", head) == 0
        capsys.readouterr()
        assert run_cli("confmap", "--checkpoint", out / "last.npz", "--out", tmp_path / f"{head}.png",
                       "--count", 2, "--data-dir", data_dir, "--no-download") == status
        err = capsys.readouterr().err
        if status:
            assert "class_maps needs a model with a GlobalAvgPool2d or GlobalMaxPool2d" in err
            assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_model_switches_are_recorded_and_rebuilt(data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert fast_train(data_dir, "--out", out, "--head", "gmp", "--mlp-depth", 1, "--mlp-kernel", 3,
                      "--init", "xavier") == 0
    settings = json.loads((out / "config.json").read_text())
    assert (settings["head"], settings["mlp_depth"], settings["mlp_kernel"], settings["init"]) == ("gmp", 1, 3, "xavier")
    assert run_cli("eval", "--checkpoint", out / "last.npz", "--data-dir", data_dir, "--no-download") == 0
    # A checkpoint written before the switches existed has none of their keys: the defaults apply.
    plain = tmp_path / "plain"
    assert fast_train(data_dir, "--out", plain) == 0
    state = mn.load(plain / "last.npz")
    for key in ("head", "mlp_depth", "mlp_kernel", "init"):
        del state["config"][key]
    mn.save(state, tmp_path / "old.npz")
    capsys.readouterr()
    assert run_cli("eval", "--checkpoint", tmp_path / "old.npz", "--data-dir", data_dir, "--no-download") == 0
    assert "test accuracy" in capsys.readouterr().out


# ---------------------------------------------------------------------------- one clear line for each failure
def _pickled_checkpoint(path):
    np.savez(path, __minin__=np.array([{"kind": "minin-train"}], dtype=object))


def _incomplete_checkpoint(path):
    mn.save({"kind": "minin-train", "config": {}, "epoch": 1}, path)


@pytest.mark.parametrize("argv, status, message", [
    (["train", "--out", "/proc/minin-run"], 2, "cannot write into --out /proc/minin-run"),
    (["train", "--out", "FILE/run"], 2, "cannot write into --out"),
    (["train", "--data-dir", "FILE"], 2, "is a file; give the folder that holds the data set"),
    (["train", "--data-dir", "EMPTY", "--subset", "10"], 2, "files hold 0 training and 0 test images"),
    (["train", "--lr", "inf"], 2, "argument --lr: must be positive and finite, got inf"),
    (["train", "--weight-decay", "inf"], 2, "argument --weight-decay: must not be negative, and finite"),
    (["train", "--label-smoothing", "1"], 2, "argument --label-smoothing: must lie in [0, 1), got 1"),
    (["train", "--epochs", "x"], 2, "argument --epochs: must be a positive integer, got 'x'"),
    (["train", "--resize", "100000"], 2, "use a smaller --resize"),
    (["train", "--batch-size", "10000000", "--subset", "400"], 2, "fewer than one batch of 10000000"),
    (["summary", "--model", "small", "--input-shape", "1", "100000", "100000"], 2, "does not fit in memory"),
    (["confmap", "--checkpoint", "x.npz", "--out", "maps.png", "--seed", "-5"], 2,
     "argument --seed: must not be negative, got -5"),
    (["confmap", "--checkpoint", "x.npz", "--out", "maps.png", "--count", "100000"], 2, "at most 32 images"),
    (["eval", "--checkpoint", "PICKLED"], 2, "holds pickled Python objects, which minin never loads"),
    (["eval", "--checkpoint", "INCOMPLETE"], 2, "is not a complete training checkpoint"),
])
def test_every_failure_is_one_clear_line(data_dir, tmp_path, capsys, argv, status, message):
    (tmp_path / "file").write_text("x")
    _pickled_checkpoint(tmp_path / "pickled.npz")
    _incomplete_checkpoint(tmp_path / "incomplete.npz")
    empty = tmp_path / "empty"
    empty.mkdir()
    from helpers import idx_bytes, write_gz
    for prefix in ("train", "t10k"):
        write_gz(empty / f"{prefix}-images-idx3-ubyte.gz", idx_bytes(np.zeros((0, 28, 28))))
        write_gz(empty / f"{prefix}-labels-idx1-ubyte.gz", idx_bytes(np.zeros(0)))
    where = {"FILE": tmp_path / "file", "FILE/run": tmp_path / "file" / "run", "EMPTY": empty,
             "PICKLED": tmp_path / "pickled.npz", "INCOMPLETE": tmp_path / "incomplete.npz"}
    argv = [str(where.get(a, a)) for a in argv]
    if argv[0] == "train":
        argv[1:1] = ["--data-dir", str(data_dir), "--no-download", "--no-progress", "--out", str(tmp_path / "run")]
    try:
        got = cli.main(argv)
    except SystemExit as exit_info:
        got = exit_info.code
    err = capsys.readouterr().err
    assert got == status and message in err, err
    assert "Traceback" not in err and "allow_pickle" not in err and "_positive_int" not in err
    assert err.strip().splitlines()[-1].startswith(("minin: error:", "minin train: error:", "minin confmap: error:"))
    if not err.startswith("usage:"):
        assert err.count("\n") == 1


def test_a_full_disk_while_saving_says_which_file_and_how_to_go_on(data_dir, tmp_path, capsys, monkeypatch):
    import errno

    import minin.training.checkpoint as checkpoint

    def full(state, path):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint, "save", full)
    out = tmp_path / "run"
    assert fast_train(data_dir, "--out", out) == 1
    err = capsys.readouterr().err
    assert (f"could not write {out / 'best.npz'} (No space left on device); the previous checkpoint there is "
            f"intact: make room and continue with minin train --resume {out}") in err
    assert err.count("\n") == 1


def test_a_step_that_cannot_fit_in_memory_is_refused_with_the_estimate(data_dir, tmp_path, capsys, monkeypatch):
    import minin.training.model as model

    monkeypatch.setattr(model, "available_memory", lambda backend_name: 40 * 2**20)
    assert fast_train(data_dir, "--out", tmp_path / "run") == 2
    err = capsys.readouterr().err
    assert "a training step of model 'small' on batches of 32 1×28×28 images needs about" in err
    assert "GiB are available: use a smaller --batch-size (at most about " in err and err.count("\n") == 1
    assert not (tmp_path / "run").exists()


def test_the_default_output_folder_skips_a_folder_another_run_is_writing(data_dir, tmp_path, monkeypatch, capsys):
    from minin._files import FolderLock

    monkeypatch.chdir(tmp_path)
    busy = tmp_path / "runs" / "small-fashion-mnist"
    busy.mkdir(parents=True)
    lock = FolderLock(busy).acquire()
    try:
        assert run_cli("train", "--data-dir", data_dir, *FAST) == 0
    finally:
        lock.release()
    assert "writing to runs/small-fashion-mnist-2" in capsys.readouterr().out


def test_a_setting_the_option_types_let_through_is_still_a_usage_error(monkeypatch, tmp_path, capsys):
    from minin.training import config as config_module

    def refuse(self):  # a check no option type makes (the defaults still pass)
        if self.label_smoothing == 0.5:
            raise ValueError("label_smoothing must lie in [0, 1), got 0.5")

    monkeypatch.setattr(config_module.TrainConfig, "__post_init__", refuse)
    with pytest.raises(SystemExit) as stop:
        run_cli("train", "--out", tmp_path / "run", "--label-smoothing", "0.5")
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "minin train: error: label_smoothing must lie in [0, 1), got 0.5" in err  # the subcommand's usage
    assert "Traceback" not in err
