"""The trainer: its loop, updater, extensions and checkpoints, on a small data set written by the tests."""

import json

import numpy as np
import pytest

import minin as mn
from helpers import write_fashion_like
from minin.train import Stopped, TrainConfig, Trainer, TrainingDiverged


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_fashion_like(tmp_path_factory.mktemp("fashion"))


def config(data_dir, out, **options):
    settings = dict(data_dir=str(data_dir), out=str(out), epochs=2, batch_size=32, val_split=64,
                    download=False, subset=0)
    settings.update(options)
    return TrainConfig(**settings)


def weights(trainer):
    return {k: v for k, v in trainer.model.state_dict().items()}


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


@pytest.mark.parametrize("schedule", ["cosine", "step", "onecycle"])
def test_a_run_resumed_with_more_epochs_follows_the_longer_schedule(data_dir, tmp_path, schedule):
    quiet = dict(progress=False, log=lambda *a: None)
    options = dict(schedule=schedule, optimizer="sgd", val_split=0)
    Trainer(config(data_dir, tmp_path / "run", epochs=1, **options), **quiet).fit()
    resumed = Trainer(config(data_dir, tmp_path / "run", epochs=3, **options), resume=True, **quiet).setup()
    longer = Trainer(config(data_dir, tmp_path / "fresh", epochs=3, **options), **quiet).setup()
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

def test_a_kill_while_best_npz_is_written_loses_neither_checkpoint(data_dir, tmp_path, monkeypatch):
    import minin.training.checkpoint as checkpoint

    quiet = dict(progress=False, log=lambda *a: None)
    options = dict(val_split=0)  # without a validation set best.npz is written after every epoch
    straight = Trainer(config(data_dir, tmp_path / "straight", **options), **quiet)
    straight.fit()
    real_save = checkpoint.save

    def killed_in_epoch_2s_best(state, path):
        if path.name == "best.npz" and state["epoch"] == 2:
            raise KeyboardInterrupt  # the process dies inside the write
        real_save(state, path)

    monkeypatch.setattr(checkpoint, "save", killed_in_epoch_2s_best)
    with pytest.raises(KeyboardInterrupt):
        Trainer(config(data_dir, tmp_path / "killed", **options), **quiet).fit()
    monkeypatch.setattr(checkpoint, "save", real_save)
    Trainer(config(data_dir, tmp_path / "killed", **options), resume=True, **quiet).fit()
    for name in ("best.npz", "last.npz"):
        expected, got = mn.load(tmp_path / "straight" / name), mn.load(tmp_path / "killed" / name)
        assert got["epoch"] == expected["epoch"] == 2, name
        for key, value in expected["model"].items():
            assert np.array_equal(value, got["model"][key]), (name, key)


def test_the_constructor_changes_no_global_state(data_dir, tmp_path):
    mn.manual_seed(123)
    before = mn.backend.get_rng_state()
    trainer = Trainer(config(data_dir, tmp_path / "run", seed=7), progress=False)
    assert trainer.model is None
    after = mn.backend.get_rng_state()
    assert json.dumps(before, default=str) == json.dumps(after, default=str)
    trainer.setup()  # now the run's seed is applied and everything is built
    assert trainer.model is not None and len(trainer.train_loader) == 10


def test_the_updater_is_the_one_place_of_the_update(data_dir, tmp_path):
    from minin.training import Updater

    trainer = Trainer(config(data_dir, tmp_path / "run"), progress=False).setup()
    assert isinstance(trainer.updater, Updater)
    calls = []

    class Recording:  # a process group of one that records what the updater asks of it
        rank, world_size = 0, 1

        def all_reduce_gradients(self, parameters):
            calls.append(sum(p.grad is not None for p in parameters))

    trainer.updater.group = Recording()
    images, labels = next(iter(trainer.train_loader))
    lr = trainer.optimizer.param_groups[0]["lr"]
    trainer.train_step(images, labels)
    assert calls == [len(list(trainer.model.parameters()))]
    assert trainer.optimizer.param_groups[0]["lr"] != lr  # the schedule stepped too


class OneOfMany:
    """Process ``rank`` of ``world_size``, run alone: every collective acts as if the other
    processes held exactly what this one holds (sums scale, averages and broadcasts keep)."""

    def __init__(self, rank, world_size):
        self.rank, self.world_size, self.local_rank, self.calls = rank, world_size, rank, []

    def all_reduce(self, array, op="sum"):
        self.calls.append("all_reduce")
        if op == "sum":
            array *= self.world_size

    def all_reduce_gradients(self, parameters):
        self.calls.append("all_reduce_gradients")

    def broadcast_parameters(self, parameters):
        self.calls.append("broadcast_parameters")

    def broadcast_optimizer_state(self, optimizer):
        self.calls.append("broadcast_optimizer_state")

    def broadcast_object(self, obj, root=0):
        return obj

    def agree(self, flag):
        self.calls.append("agree")
        return bool(flag)


def test_a_process_other_than_rank_0_trains_its_share_and_writes_nothing(data_dir, tmp_path):
    lines, sizes = [], []
    group = OneOfMany(rank=1, world_size=2)
    trainer = Trainer(config(data_dir, tmp_path / "run", epochs=1), progress=False, log=lines.append,
                      group=group).setup()
    update = trainer.updater.update
    trainer.updater.update = lambda images, labels: sizes.append(len(labels)) or update(images, labels)
    result = trainer.fit()
    assert sizes == [16] * len(trainer.train_loader) and len(trainer.train_loader) == 10
    assert not (tmp_path / "run").exists() and lines == []
    assert 0 <= result["test_acc"] <= 1 and len(trainer.test_loader.dataset) == 50  # its half of 100
    assert group.calls[:2] == ["broadcast_parameters", "broadcast_optimizer_state"]
    assert group.calls.count("all_reduce_gradients") == 10 and "agree" in group.calls


def test_the_batch_must_split_evenly_over_the_processes(data_dir, tmp_path):
    with pytest.raises(ValueError, match="--batch-size 32 must be a multiple of the 3 processes"):
        Trainer(config(data_dir, tmp_path / "run"), group=OneOfMany(0, 3)).setup()


def test_fit_again_after_a_stop_continues_the_run(data_dir, tmp_path):
    quiet = dict(progress=False, log=lambda *a: None)
    trainer = Trainer(config(data_dir, tmp_path / "run", epochs=1), **quiet)
    with pytest.raises(Stopped):
        trainer.fit(on_step=lambda t: t.step_in_epoch == 4 and t.request_stop())
    trainer.stop_requested = False
    assert trainer.fit()["test_acc"] is not None and mn.load(tmp_path / "run" / "last.npz")["epoch"] == 1


def test_the_updater_trains_on_the_label_smoothed_loss():
    from minin.nn import functional as NF
    from minin.training import Updater

    mn.manual_seed(0)
    model = mn.nn.Linear(6, 4)
    x, y = mn.randn(8, 6) * 3, np.arange(8) % 4
    expected = NF.cross_entropy(model(x), y, label_smoothing=0.2).item()
    plain = NF.cross_entropy(model(x), y).item()
    updater = Updater(model, mn.optim.SGD(model.parameters(), lr=0.1), label_smoothing=0.2)
    loss, _ = updater.update(x, mn.tensor(y, dtype=mn.int64))
    assert float(loss) == pytest.approx(expected, rel=1e-5) and expected != pytest.approx(plain)


@pytest.mark.parametrize("eps", [-0.1, 1.0, 2.5, float("nan")])
def test_label_smoothing_outside_0_to_1_is_refused(eps):
    with pytest.raises(ValueError, match=r"label_smoothing must lie in \[0, 1\)"):
        TrainConfig(label_smoothing=eps)


def test_a_run_saved_before_label_smoothing_resumes_without_it():
    import dataclasses

    saved = {k: v for k, v in dataclasses.asdict(TrainConfig()).items() if k != "label_smoothing"}
    assert TrainConfig.from_dict(saved).label_smoothing == 0.0
    assert TrainConfig().label_smoothing == 0.1
