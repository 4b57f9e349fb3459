"""The trainer and the `minin` command, end to end on a small data set written by the tests."""

import json
import subprocess
import sys

import numpy as np
import pytest

import minin as mn
from helpers import write_fashion_like
from minin import cli
from minin.train import Stopped, TrainConfig, Trainer, TrainingDiverged


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_fashion_like(tmp_path_factory.mktemp("fashion"))


def config(data_dir, out, **options):
    settings = dict(data_dir=str(data_dir), out=str(out), epochs=2, batch_size=32, val_split=64,
                    download=False, subset=0)
    settings.update(options)
    return TrainConfig(**settings)


def run_cli(*argv):
    return cli.main([str(a) for a in argv])


def weights(trainer):
    return {k: v for k, v in trainer.model.state_dict().items()}


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


def test_the_same_seed_gives_the_same_run(data_dir, tmp_path):
    results = []
    for k in range(2):
        trainer = Trainer(config(data_dir, tmp_path / f"run{k}", epochs=1), progress=False, log=lambda *a: None)
        trainer.fit()
        results.append((trainer.history, weights(trainer)))
    assert results[0][0][0]["train_loss"] == results[1][0][0]["train_loss"]
    for name, value in results[0][1].items():
        assert np.array_equal(value, results[1][1][name]), name


@pytest.mark.parametrize("stop_at_step", [3, None])  # in the middle of epoch 1, or after it
def test_a_resumed_run_ends_like_an_uninterrupted_one(data_dir, tmp_path, stop_at_step):
    quiet = dict(progress=False, log=lambda *a: None)
    straight = Trainer(config(data_dir, tmp_path / "straight"), **quiet)
    straight.fit()

    first = Trainer(config(data_dir, tmp_path / "stopped"), **quiet)

    def stop(trainer):
        last = len(trainer.train_loader)
        if trainer.epoch == 0 and trainer.step_in_epoch == (stop_at_step or last):
            trainer.request_stop()

    with pytest.raises(Stopped):
        first.fit(on_step=stop)
    saved = mn.load(tmp_path / "stopped" / "last.npz")
    assert (saved["epoch"], saved["step"]) == ((0, 3) if stop_at_step else (1, 0))

    resumed = Trainer(config(data_dir, tmp_path / "stopped"), resume=True, **quiet)
    resumed.fit()
    for name, value in weights(straight).items():
        assert np.array_equal(value, weights(resumed)[name]), name
    rows = [json.loads(line) for line in (tmp_path / "stopped" / "metrics.jsonl").read_text().splitlines()]
    assert [r.get("epoch") for r in rows] == [1, 2, None]
    assert rows[0]["train_loss"] == pytest.approx(straight.history[0]["train_loss"], rel=1e-12)
    assert rows[1]["val_acc"] == straight.history[1]["val_acc"]


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
                   "--seed", 0, "--no-progress", "--no-download") == 0
    settings = json.loads((out / "config.json").read_text())
    assert settings["momentum"] == 0 and settings["val_split"] == 0 and settings["val_images"] == 0
    assert mn.load(out / "last.npz")["optimizer"]["param_groups"][0]["momentum"] == 0


@pytest.mark.parametrize("schedule", ["cosine", "step", "onecycle"])
def test_a_run_resumed_with_more_epochs_follows_the_longer_schedule(data_dir, tmp_path, schedule):
    quiet = dict(progress=False, log=lambda *a: None)
    options = dict(schedule=schedule, optimizer="sgd", val_split=0)
    Trainer(config(data_dir, tmp_path / "run", epochs=1, **options), **quiet).fit()
    resumed = Trainer(config(data_dir, tmp_path / "run", epochs=3, **options), resume=True, **quiet)
    longer = Trainer(config(data_dir, tmp_path / "fresh", epochs=3, **options), **quiet)
    for _ in range(len(longer.train_loader)):  # the 3-epoch schedule, one epoch in
        longer.scheduler.step()
    for key in ("lr", "momentum"):
        assert resumed.optimizer.param_groups[0][key] == pytest.approx(longer.optimizer.param_groups[0][key])


def test_weights_that_turn_nan_in_an_epochs_last_step_are_not_saved(data_dir, tmp_path):
    trainer = Trainer(config(data_dir, tmp_path / "run"), progress=False, log=lambda *a: None)

    def poison_the_last_update(trainer):
        if trainer.step_in_epoch == len(trainer.train_loader):
            next(trainer.model.parameters()).data[0] = np.nan

    with pytest.raises(TrainingDiverged, match="weights became NaN or infinite in the last step of epoch 1; "
                                               "no checkpoint was written yet"):
        trainer.fit(on_step=poison_the_last_update)
    assert not (tmp_path / "run" / "last.npz").exists() and not (tmp_path / "run" / "best.npz").exists()


def test_a_nan_validation_loss_stops_before_anything_is_saved(data_dir, tmp_path, monkeypatch):
    trainer = Trainer(config(data_dir, tmp_path / "run"), progress=False, log=lambda *a: None)
    monkeypatch.setattr(trainer, "evaluate", lambda loader: (float("nan"), 0.5))
    with pytest.raises(TrainingDiverged, match="validation loss became NaN or infinite after epoch 1"):
        trainer.fit()
    assert not (tmp_path / "run" / "last.npz").exists() and not (tmp_path / "run" / "best.npz").exists()


def test_a_diverging_loss_stops_with_a_clear_message(data_dir, tmp_path):
    trainer = Trainer(config(data_dir, tmp_path / "run", optimizer="sgd", lr=1e12, schedule="none",
                             momentum=0.0), progress=False, log=lambda *a: None)
    with pytest.raises(TrainingDiverged, match=r"NaN or infinite at epoch 1, step \d+.*lower learning rate"):
        trainer.fit()
    assert not (tmp_path / "run" / "last.npz").exists()


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
    assert "small cannot take inputs of shape [1, 5, 5]" in capsys.readouterr().err
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
