"""What CNN training scripts call around the model: set_grad_enabled and inference_mode,
freezing with Module.requires_grad_, gradient clipping, MultiStepLR and ReduceLROnPlateau,
and the torch.backends switches; each against PyTorch where PyTorch has it."""

import numpy as np
import pytest

import minin as mn
from minin import nn, optim


def test_set_grad_enabled_works_as_a_call_a_block_and_a_decorator():
    w = mn.ones(2, requires_grad=True)
    with mn.set_grad_enabled(False):
        assert not (w * 2).requires_grad
    assert mn.is_grad_enabled() and (w * 2).requires_grad
    for phase in ("train", "val"):  # PyTorch's transfer-learning loop
        with mn.set_grad_enabled(phase == "train"):
            assert (w * 2).requires_grad == (phase == "train")
    mn.set_grad_enabled(False)
    try:
        assert not mn.is_grad_enabled()
    finally:
        mn.set_grad_enabled(True)

    @mn.set_grad_enabled(False)
    def predict():
        return (w * 2).requires_grad
    assert mn.is_grad_enabled() and predict() is False and mn.is_grad_enabled()
    with mn.inference_mode():
        assert not (w * 2).requires_grad
    with mn.inference_mode(False):
        assert (w * 2).requires_grad
    with pytest.raises(TypeError, match="set_grad_enabled takes True or False, got 'no'"):
        mn.set_grad_enabled("no")


def test_requires_grad_freezes_a_part_of_a_model():
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    assert net[0].requires_grad_(False) is net[0]
    net(mn.ones(1, 4)).sum().backward()
    assert net[0].weight.grad is None and net[2].weight.grad is not None
    assert [p.requires_grad for p in net.parameters()] == [False, False, True, True]


@pytest.mark.parametrize("norm_type, max_norm", [(2.0, 1.0), (2, 100.0), (1, 0.5), (float("inf"), 0.1), (3.5, 2.0)])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (4,), (2, 2, 2)]]
    ours = [nn.Parameter(mn.zeros(*g.shape)) for g in grads]
    theirs = [torch.nn.Parameter(torch.zeros(*g.shape)) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = g.copy(), torch.tensor(g)
    ours.append(nn.Parameter(mn.zeros(2)))  # no gradient: skipped
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-6)
    assert total.dtype == np.float32
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-6)
        assert p.grad.dtype == np.float32


def test_clip_grad_value_and_the_errors_of_clipping():
    torch = pytest.importorskip("torch")
    g = np.array([3.0, -0.5, -7.0], np.float32)
    p, q = nn.Parameter(mn.zeros(3)), torch.nn.Parameter(torch.zeros(3))
    p.grad, q.grad = g.copy(), torch.tensor(g)
    nn.utils.clip_grad_value_(p, 1.0)
    torch.nn.utils.clip_grad_value_(q, 1.0)
    np.testing.assert_array_equal(p.grad, q.grad.numpy())
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    p.grad = np.array([np.inf, 1.0], np.float32)
    with pytest.raises(RuntimeError, match="the gradients' 2.0-norm is inf"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    with pytest.raises(TypeError, match="clip_grad_norm_ takes tensors .*, got ndarray"):
        nn.utils.clip_grad_norm_([np.zeros(2)], 1.0)
    with pytest.raises(TypeError, match="clip_grad_norm_: max_norm must be a number, got '1'"):
        nn.utils.clip_grad_norm_(p, "1")
    with pytest.raises(ValueError, match="norm_type must be positive"):
        nn.utils.clip_grad_norm_(p, 1.0, norm_type=0)
    with pytest.raises(TypeError, match="clip_grad_value_: clip_value must be a number, got nan"):
        nn.utils.clip_grad_value_(p, float("nan"))
    with pytest.raises(TypeError, match="is not a minin.optim.Optimizer"):
        optim.lr_scheduler.ReduceLROnPlateau(nn.Linear(2, 2))


def _lrs(scheduler_class, torch_module, steps, metrics=None, **kwargs):
    """The lr before each step of a scheduler, in minin (or PyTorch)."""
    if torch_module is None:
        opt = optim.SGD([nn.Parameter(mn.ones(1))], lr=1.0)
        sched = getattr(optim.lr_scheduler, scheduler_class)(opt, **kwargs)
    else:
        opt = torch_module.optim.SGD([torch_module.nn.Parameter(torch_module.ones(1))], lr=1.0)
        sched = getattr(torch_module.optim.lr_scheduler, scheduler_class)(opt, **kwargs)
    lrs = []
    for i in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step(*([] if metrics is None else [metrics[i]]))
    return lrs


@pytest.mark.parametrize("kwargs", [dict(milestones=[2, 5]), dict(milestones=[3, 3, 7], gamma=0.5),
                                    dict(milestones=[0, 1])])
def test_multistep_lr_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    assert _lrs("MultiStepLR", None, 10, **kwargs) == _lrs("MultiStepLR", torch, 10, **kwargs)


@pytest.mark.parametrize("kwargs", [dict(), dict(patience=2), dict(mode="max", patience=1, factor=0.5),
                                    dict(threshold_mode="abs", threshold=0.05, patience=1, cooldown=2,
                                         min_lr=0.01)])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    metrics = np.random.default_rng(0).choice([1.0, 0.9, 0.95, 0.5, 0.51, 0.49, 0.3, -0.2], 60).tolist()
    assert (_lrs("ReduceLROnPlateau", None, 60, metrics, **kwargs)
            == _lrs("ReduceLROnPlateau", torch, 60, metrics, **kwargs))


def test_schedulers_survive_a_checkpoint_and_refuse_bad_arguments(tmp_path):
    opt = optim.SGD([nn.Parameter(mn.ones(1))], lr=1.0)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    plateau.step(1.0)
    multistep = optim.lr_scheduler.MultiStepLR(opt, [2])
    mn.save({"plateau": plateau.state_dict(), "multistep": multistep.state_dict()}, tmp_path / "s.pkl")
    saved = mn.load(tmp_path / "s.pkl")
    again = optim.lr_scheduler.ReduceLROnPlateau(optim.SGD([nn.Parameter(mn.ones(1))], lr=1.0))
    again.load_state_dict(saved["plateau"])
    assert again.best == 1.0 and again.last_epoch == 1
    restored = optim.lr_scheduler.MultiStepLR(opt, [9])
    restored.load_state_dict(saved["multistep"])
    restored.step()
    restored.step()
    assert restored.last_epoch == 2 and restored.get_last_lr() == [0.1]  # the saved milestone 2, not 9
    for make, message in [
        (lambda: optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.0), "factor must be below 1"),
        (lambda: optim.lr_scheduler.ReduceLROnPlateau(opt, mode="lowest"), "mode must be 'min' or 'max'"),
        (lambda: optim.lr_scheduler.ReduceLROnPlateau(opt, patience=-1), "patience must be a non-negative int"),
        (lambda: optim.lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0, 0]), "min_lr has 2 values"),
        (lambda: optim.lr_scheduler.MultiStepLR(opt, [1.5]), "milestones must be ints"),
    ]:
        with pytest.raises(ValueError, match=message):
            make()


def test_backends_switches_are_accepted():
    assert not mn.backends.mps.is_available()
    previous = mn.backends.cudnn.benchmark
    mn.backends.cudnn.benchmark = True
    mn.backends.cudnn.deterministic = True
    try:
        assert mn.backends.cudnn.benchmark
    finally:
        mn.backends.cudnn.benchmark, mn.backends.cudnn.deterministic = previous, False


def test_grad_mode_decorators_nest_and_recurse_as_torch():
    w = mn.ones(1, requires_grad=True)

    @mn.no_grad()
    def countdown(n):
        return countdown(n - 1) if n else (w * 2).requires_grad

    @mn.inference_mode
    def bare():
        return mn.is_grad_enabled()

    assert countdown(3) is False and mn.is_grad_enabled()  # each call restores its own state
    assert bare() is False and mn.is_grad_enabled()
    with mn.no_grad(), mn.inference_mode(False):
        assert mn.is_grad_enabled()  # PyTorch's inference_mode(False) turns grad on
    assert mn.is_grad_enabled()


def test_optimizers_take_a_tensor_lr_and_schedulers_any_iterable():
    p = nn.Parameter(mn.ones(1))
    p.grad = np.ones(1, np.float32)
    opt = optim.SGD([p], lr=mn.tensor(0.5))
    opt.step()
    assert p.item() == 0.5
    sched = optim.lr_scheduler.MultiStepLR(optim.SGD([p], lr=1.0), np.array([1, 2]))
    assert sched.milestones == [1, 2]


@pytest.mark.parametrize("name, options", [("CrossEntropyLoss", dict(weight=[1.0, 3.0])),
                                           ("NLLLoss", dict(weight=[1.0, 3.0])),
                                           ("BCEWithLogitsLoss", dict(weight=[1.0, 3.0], pos_weight=[2.0]))])
def test_loss_weights_are_buffers_with_pytorchs_keys(name, options):
    torch = pytest.importorskip("torch")
    ours = getattr(nn, name)(**options)
    theirs = getattr(torch.nn, name)(**{k: torch.tensor(v) for k, v in options.items()})
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    assert ours.to("numpy").weight.dtype == np.float32  # a list of floats: float32, as PyTorch's


@pytest.mark.gpu
def test_a_weighted_loss_moves_to_the_gpu_with_to(gpu):
    loss = nn.CrossEntropyLoss(weight=[1.0, 3.0]).to("cuda")
    assert loss.weight.backend == "cupy"
    logits = mn.tensor([[2.0, 0.0], [0.0, 1.0]], device="cuda")
    assert np.isclose(loss(logits, mn.tensor([0, 1], device="cuda")).item(), 0.2667, atol=1e-4)
