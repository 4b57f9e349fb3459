"""Hostile input to `minin train`, `minin eval` and the trainer: overlong and non-UTF-8
paths, checkpoints that are folders or were edited by hand, a config.json that is not a
run's, resumes that ask for fewer epochs than were trained. Each must end in one clear
line (or a TypeError / ValueError naming the setting) and leave the run folder as it was."""

import os
import subprocess
import sys

import numpy as np
import pytest

import minin as mn
from helpers import run_cli, write_fashion_like
from minin import cli
from minin.serialization import CheckpointError
from minin.train import TrainConfig, Trainer

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

FAST = ["--subset", "64", "--batch-size", "32", "--val-split", "0", "--epochs", "1", "--no-progress",
        "--no-download"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_fashion_like(tmp_path_factory.mktemp("fashion"), n_train=96, n_test=32)


@pytest.fixture(scope="module")
def trained(data_dir, tmp_path_factory):
    """A finished one-epoch run (two steps of 32 images)."""
    out = tmp_path_factory.mktemp("trained") / "run"
    assert cli.main(["train", "--data-dir", str(data_dir), "--out", str(out), *FAST]) == 0
    return out


def copy_run(source, target):
    target.mkdir()
    for f in source.iterdir():
        if f.is_file():
            (target / f.name).write_bytes(f.read_bytes())
    return target


def snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.name != ".lock"}


run = run_cli


def assert_one_line(err, *parts):
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith(("minin: error:", "minin train: error:", "usage:")) or "error:" in err, err
    for part in parts:
        assert part in err, err


# ---------------------------------------------------------------------------- paths
@pytest.mark.parametrize("argv, shown", [
    (["train", "--out", "a" * 300], "argument --out: a name in it is 300 bytes long"),
    (["train", "--data-dir", "d" * 256], "argument --data-dir: a name in it is 256 bytes long"),
    (["train", "--resume", "x/" + "r" * 1000], "argument --resume: a name in it is 1000 bytes long"),
    (["train", "--out", "a/" * 2100], "argument --out: it is 4200 bytes long"),
    (["eval", "--checkpoint", "c" * 300 + ".npz"], "argument --checkpoint: a name in it is 304 bytes long"),
])
def test_overlong_paths_are_usage_errors_not_tracebacks(tmp_path, monkeypatch, capsys, argv, shown):
    # pathlib's exists() raises ENAMETOOLONG instead of answering False
    monkeypatch.chdir(tmp_path)
    status, err = run(argv, capsys)
    assert status == 2 and shown in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


def test_a_checkpoint_that_is_a_folder_is_one_line(tmp_path, capsys):
    (tmp_path / "run" / "last.npz").mkdir(parents=True)
    status, err = run(["eval", "--checkpoint", tmp_path / "run" / "last.npz"], capsys)
    assert status == 2
    assert_one_line(err, f"cannot read the checkpoint: Is a directory: {tmp_path / 'run' / 'last.npz'}")
    status, err = run(["train", "--resume", tmp_path / "run", "--no-progress"], capsys)
    assert status == 2
    assert_one_line(err, "cannot read the run to resume: Is a directory:", "last.npz")


def test_a_path_that_is_not_utf8_is_printed_escaped(data_dir, tmp_path):
    # argv keeps undecodable bytes as surrogates; a strict UTF-8 stdout cannot print them
    empty = tmp_path / "no-data"
    empty.mkdir()
    out = os.fsencode(tmp_path) + b"/run\xff"
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    result = subprocess.run([os.fsencode(sys.executable), b"-m", b"minin", b"train", b"--out", out,
                             b"--data-dir", os.fsencode(empty), b"--no-download", b"--no-progress"],
                            capture_output=True, env=env)
    assert b"Traceback" not in result.stderr and b"UnicodeEncodeError" not in result.stderr, result.stderr
    assert result.returncode == 1 and b"was not found" in result.stderr
    assert b"writing to " + os.fsencode(tmp_path) + b"/run\\udcff" in result.stdout


def test_a_path_object_is_a_valid_output_and_data_folder(tmp_path):
    # config.json is written with json.dumps, which cannot write a PosixPath
    config = TrainConfig(out=tmp_path / "run", data_dir=tmp_path, seed=np.int64(3), lr=1)
    assert (config.out, config.data_dir) == (str(tmp_path / "run"), str(tmp_path))
    assert type(config.seed) is int and type(config.lr) is float
    assert TrainConfig(data_dir=None).data_dir == ""


# ---------------------------------------------------------------------------- settings
SETTING_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 2**66), st.floats(allow_nan=True),
                           st.text(max_size=6), st.lists(st.integers(0, 3), max_size=2))
SETTINGS = sorted(f.name for f in __import__("dataclasses").fields(TrainConfig))
KINDS = {**{n: int for n in ("epochs", "batch_size", "seed", "subset", "resize", "sync_every", "mlp_depth",
                             "mlp_kernel")},
         **{n: float for n in ("lr", "momentum", "weight_decay", "label_smoothing")},
         **{n: bool for n in ("augment", "download", "tf32")}}


@settings(max_examples=60, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(SETTINGS), value=SETTING_VALUES)
def test_a_saved_setting_of_the_wrong_kind_is_refused_by_name(name, value):
    """What a hand-edited checkpoint or config may hold: either a config whose every field
    has its kind, or a TypeError / ValueError naming the field."""
    try:
        config = TrainConfig.from_dict({name: value})
    except (TypeError, ValueError) as exc:
        assert name in str(exc), (name, value, exc)
        return
    got = getattr(config, name)
    if name in KINDS:
        assert type(got) is KINDS[name], (name, value)
    if name == "val_split":
        assert got is None or type(got) is int
    if name in ("out", "data_dir"):
        assert type(got) is str
    assert not (name == "seed" and got >= 2**64)


def test_a_seed_no_generator_takes_is_a_usage_error(data_dir, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--data-dir", str(data_dir), "--out", str(tmp_path / "run"), "--seed", str(2**70)])
    assert exit_info.value.code == 2
    assert f"minin train: error: seed must lie in [0, 2**64), got {2**70}" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_tf32_is_refused_on_a_resumed_numpy_run(trained, tmp_path, capsys):
    run_folder = copy_run(trained, tmp_path / "run")
    before = snapshot(run_folder)
    status, err = run(["train", "--resume", run_folder, "--tf32", "--no-progress"], capsys)
    assert status == 2 and "--tf32 only applies to --backend cupy" in err
    assert snapshot(run_folder) == before


# ---------------------------------------------------------------------------- resuming
def _edited(trained, folder, edit):
    run_folder = copy_run(trained, folder)
    state = mn.load(run_folder / "last.npz")
    edit(state)
    mn.save(state, run_folder / "last.npz")
    return run_folder


def _mid_epoch(state, epoch=1, step=1, order=None):
    state.update(epoch=epoch, step=step, order=np.arange(64)[::-1].copy() if order is None else order,
                 partial={"loss_sum": 50.0, "correct": 3, "seen": 32, "seconds": 1.0})


@pytest.mark.parametrize("edit, epochs, shown", [
    (lambda s: s.update(epoch=2), "1", "--epochs 1 is fewer than the saved run needs: RUN has trained 2 epochs; "
                                       "give --epochs 2 or more"),
    (_mid_epoch, "1", "RUN is partway through epoch 2; give --epochs 2 or more"),
])
def test_resuming_with_fewer_epochs_than_were_trained_is_refused(trained, tmp_path, capsys, edit, epochs, shown):
    # It used to "finish" at once: a mid-epoch state tested and recorded as a shorter run
    run_folder = _edited(trained, tmp_path / "run", edit)
    before = snapshot(run_folder)
    status, err = run(["train", "--resume", run_folder, "--epochs", epochs, "--no-progress"], capsys)
    assert status == 2
    assert_one_line(err, shown.replace("RUN", str(run_folder / "last.npz")))
    assert snapshot(run_folder) == before


@pytest.mark.parametrize("edit, shown", [
    (lambda s: s["config"].update(epochs=1.5), "holds settings this minin cannot use (epochs must be an integer, got 1.5)"),
    (lambda s: s["config"].update(seed=0.5), "(seed must be an integer, got 0.5)"),
    (lambda s: s["config"].update(data_dir=5), "(data_dir must be a path, got 5)"),
    (lambda s: s.update(step=-3), "is damaged: its 'step' entry is -3, expected an integer >= 0"),
    (lambda s: _mid_epoch(s, order="abc"), "its 'order' entry is str, expected None or a 1-D integer array"),
    (lambda s: s.update(step=1, order=None), "saved at step 1 of an epoch but holds no epoch order"),
    (lambda s: (_mid_epoch(s), s.update(partial={"x": 1})), "its 'partial' entry is not the sums of an epoch"),
    (lambda s: s.update(rng="abc"), "its 'rng' or 'scheduler' entry is not a state dict"),
    (lambda s: s.update(classes=[{"a": 1}] * 10), "its 'classes' entry is not a list of names"),
    (lambda s: _mid_epoch(s, epoch=0, step=9), "was saved at step 9 of an epoch, but an epoch of this run has 2 steps"),
    (lambda s: _mid_epoch(s, epoch=0, order=np.arange(5) + 1000),
     "mid-epoch over 5 training images in an order that is not a shuffle of this run's 64"),
    (lambda s: _mid_epoch(s, epoch=0, order=np.zeros(64, np.int64)), "not a shuffle of this run's 64"),
])
def test_a_hand_edited_checkpoint_is_refused_in_one_line(trained, tmp_path, capsys, edit, shown):
    run_folder = _edited(trained, tmp_path / "run", edit)
    before = snapshot(run_folder)
    status, err = run(["train", "--resume", run_folder, "--no-progress"], capsys)
    assert status == 2
    assert_one_line(err, str(run_folder / "last.npz"), shown)
    assert snapshot(run_folder) == before


def test_the_trainer_too_refuses_to_resume_with_fewer_epochs_than_were_trained(trained, data_dir, tmp_path):
    run_folder = _edited(trained, tmp_path / "run", lambda s: s.update(epoch=2))
    config = TrainConfig.from_dict(dict(mn.load(run_folder / "last.npz")["config"], out=str(run_folder),
                                        data_dir=str(data_dir), epochs=1))
    before = snapshot(run_folder)
    with pytest.raises(ValueError, match="--epochs 1 is fewer than the saved run needs: .* has trained 2 epochs"):
        Trainer(config, progress=False, resume=True).setup()
    assert snapshot(run_folder) == before


def test_a_damaged_schedule_state_is_a_checkpoint_error(trained, data_dir, tmp_path):
    run_folder = _edited(trained, tmp_path / "run", lambda s: s.update(scheduler={"base_lrs": "x"}))
    config = TrainConfig.from_dict(dict(mn.load(run_folder / "last.npz")["config"], out=str(run_folder),
                                        data_dir=str(data_dir)))
    with pytest.raises(CheckpointError, match="its schedule or random generator state cannot be restored"):
        Trainer(config, progress=False, resume=True).setup()


@pytest.mark.parametrize("text", ['["model", "seed"]', "null", '"small"'])
def test_a_config_json_that_is_not_a_runs_settings_is_one_line(trained, tmp_path, capsys, text):
    run_folder = copy_run(trained, tmp_path / "run")
    (run_folder / "config.json").write_text(text)
    before = snapshot(run_folder)
    status, err = run(["train", "--resume", run_folder, "--no-progress"], capsys)
    assert status == 2
    assert_one_line(err, f"{run_folder / 'config.json'} holds {text}, not the settings of a run")
    assert snapshot(run_folder) == before


def test_a_failed_write_names_the_file(trained, tmp_path, capsys):
    run_folder = copy_run(trained, tmp_path / "run")
    (run_folder / "metrics.jsonl").unlink()
    (run_folder / "metrics.jsonl").mkdir()
    status, err = run(["train", "--resume", run_folder, "--no-progress"], capsys)
    assert status == 1
    assert_one_line(err, f"minin: error: Is a directory: {run_folder / 'metrics.jsonl'}")
    assert mn.load(run_folder / "last.npz")["epoch"] == 1


@pytest.mark.parametrize("row", ['{"epoch": 1}', '{"epoch": 1, "train_loss": "x", "val_loss": [1], "val_acc": {}}'])
def test_a_hand_edited_metrics_row_does_not_stop_the_resumed_run(trained, tmp_path, capsys, row):
    # curves.png is drawn from the kept rows: a KeyError, or NumPy's "inhomogeneous shape", ended the run
    pytest.importorskip("matplotlib")
    run_folder = copy_run(trained, tmp_path / "run")
    (run_folder / "metrics.jsonl").write_text(row + "\n")
    (run_folder / "curves.png").unlink()
    status, err = run(["train", "--resume", run_folder, "--epochs", 2, "--no-progress"], capsys)
    assert status == 0 and "Traceback" not in err, err
    assert (run_folder / "curves.png").exists() and mn.load(run_folder / "last.npz")["epoch"] == 2


def test_a_second_ctrl_c_inside_the_stops_save_keeps_the_last_checkpoint(data_dir, tmp_path, monkeypatch):
    import signal

    import minin.training.checkpoint as checkpoint

    out = tmp_path / "run"
    config = TrainConfig(data_dir=str(data_dir), out=str(out), download=False, epochs=2, subset=64,
                         batch_size=32, val_split=0)
    real_save = checkpoint.save

    def ctrl_c_again(state, path):  # the stop's own, mid-epoch save is where the second one lands
        if state["step"]:
            os.kill(os.getpid(), signal.SIGINT)
        real_save(state, path)

    def ctrl_c(trainer):
        if (trainer.epoch, trainer.step_in_epoch) == (1, 1):
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(checkpoint, "save", ctrl_c_again)
    with pytest.raises(KeyboardInterrupt):
        Trainer(config, progress=False, log=lambda *a: None).fit(on_step=ctrl_c)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    monkeypatch.undo()
    saved = mn.load(out / "last.npz")
    assert (saved["epoch"], saved["step"]) == (1, 0) and not list(out.glob(".*.part"))
    assert cli.main(["train", "--resume", str(out), "--no-progress"]) == 0
    assert mn.load(out / "last.npz")["epoch"] == 2


def test_a_figure_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from minin import plots
    from matplotlib.figure import Figure

    path = tmp_path / "curves.png"
    rows = [dict(epoch=1, train_loss=1.0, train_acc=0.5, val_loss=None, val_acc=None)]
    assert plots.plot_curves(rows, path)
    before = path.read_bytes()
    assert before.startswith(b"\x89PNG")

    def killed(self, file, **kwargs):  # a kill in the middle of the write
        file.write(b"\x89PNG half")
        raise KeyboardInterrupt

    monkeypatch.setattr(Figure, "savefig", killed)
    with pytest.raises(KeyboardInterrupt):
        plots.plot_curves(rows * 2, path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["curves.png"]


@pytest.mark.parametrize("value", [np.ones((1, 2), complex), np.array([["a", "b"]])])
def test_load_state_dict_refuses_values_that_are_not_real_numbers(value):
    layer = mn.nn.Linear(2, 1)
    with pytest.raises(TypeError, match=f"'weight' holds {value.dtype} values in the state dict; the model's are float32"):
        layer.load_state_dict({"weight": value, "bias": np.zeros(1)})
    assert np.isfinite(layer.weight.numpy()).all()
