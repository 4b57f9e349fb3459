"""minin.optim against torch.optim: updates, schedules, checkpoints and errors."""

import math

import numpy as np
import pytest

import minin as mn
import minin.functional as F
from minin.nn import Parameter
from minin.optim import SGD, Adam, Optimizer, lr_scheduler

SHAPES = [(3, 4), (4,), (2, 1, 3)]


def _weights(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


def _gradients(steps, seed=1, dtype=np.float64):
    """Per step, one gradient per parameter; parameter 1 has none at step 2."""
    rng = np.random.default_rng(seed)
    grads = [[rng.standard_normal(shape).astype(dtype) for shape in SHAPES] for _ in range(steps)]
    grads[2][1] = None
    return grads


def _run_minin(make_optimizer, grads, weights=None):
    params = [Parameter(w.copy()) for w in (weights or _weights())]
    opt = make_optimizer(params)
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else g.copy()
        opt.step()
    return [p.data for p in params]


def _run_torch(torch, make_optimizer, grads):
    params = [torch.tensor(w, requires_grad=True) for w in _weights()]
    opt = make_optimizer(params)
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else torch.from_numpy(g.copy())
        opt.step()
    return [p.detach().numpy() for p in params]


def _groups(params, lrs):
    """Two groups: the first parameter alone (own lr), the rest."""
    return [{"params": params[:1], "lr": lrs[0]}, {"params": params[1:]}]


# ----------------------------------------------------------------------------- SGD, Adam vs torch

SGD_OPTIONS = [
    dict(),
    dict(momentum=0.9),
    dict(momentum=0.9, dampening=0.5),
    dict(momentum=0.9, nesterov=True),
    dict(weight_decay=0.01),
    dict(momentum=0.8, dampening=0.1, weight_decay=0.05),
    dict(momentum=0.7, nesterov=True, weight_decay=1e-3),
]


@pytest.mark.parametrize("options", SGD_OPTIONS, ids=str)
def test_sgd_matches_torch(options):
    torch = pytest.importorskip("torch")
    grads = _gradients(5)
    ours = _run_minin(lambda ps: SGD(ps, lr=0.1, **options), grads)
    theirs = _run_torch(torch, lambda ps: torch.optim.SGD(ps, lr=0.1, **options), grads)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


ADAM_OPTIONS = [
    dict(),
    dict(betas=(0.8, 0.99), weight_decay=0.1),
    dict(betas=(0.0, 0.5), weight_decay=0.01),
    dict(eps=1e-3, lr=0.05),
    dict(amsgrad=True),
    dict(amsgrad=True, betas=(0.5, 0.9), weight_decay=0.05, lr=0.1),
]


@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=str)
def test_adam_matches_torch(options):
    torch = pytest.importorskip("torch")
    grads = _gradients(5)
    ours = _run_minin(lambda ps: Adam(ps, **options), grads)
    theirs = _run_torch(torch, lambda ps: torch.optim.Adam(ps, **options), grads)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("options", ADAM_OPTIONS + [dict(weight_decay=0.5, lr=0.1)], ids=str)
def test_adamw_matches_torch(options):
    torch = pytest.importorskip("torch")
    grads = _gradients(5)
    ours = _run_minin(lambda ps: mn.optim.AdamW(ps, **options), grads)
    theirs = _run_torch(torch, lambda ps: torch.optim.AdamW(ps, **options), grads)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="AdamW: invalid weight_decay -1"):
        mn.optim.AdamW([Parameter(np.zeros(1))], weight_decay=-1)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_param_groups_match_torch(name):
    torch = pytest.importorskip("torch")
    grads = _gradients(5)
    kwargs = dict(lr=0.01, momentum=0.9) if name == "SGD" else dict(lr=0.01)
    ours = _run_minin(lambda ps: getattr(mn.optim, name)(_groups(ps, [0.3]), **kwargs), grads)
    theirs = _run_torch(torch, lambda ps: getattr(torch.optim, name)(_groups(ps, [0.3]), **kwargs),
                        grads)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.1),
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: Adam(ps, lr=0.1, weight_decay=0.1),
], ids=["sgd", "nesterov", "adam"])
def test_float32_stays_float32_and_updates_in_place(make):
    params = [Parameter(w) for w in _weights(dtype=np.float32)]
    arrays = [p.data for p in params]
    opt = make(params)
    for step_grads in _gradients(3, dtype=np.float32):
        for p, g in zip(params, step_grads):
            p.grad = g
        opt.step()
    for p, array in zip(params, arrays):
        assert p.data is array and p.dtype == np.float32
    for state in opt.state.values():
        for value in state.values():
            assert getattr(value, "dtype", np.float32) == np.float32


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
    lambda ps: Adam(ps, lr=0.1, weight_decay=0.1),
], ids=["sgd", "adam"])
def test_each_backend_gives_the_numpy_result_and_checkpoints_cross_over(make, backend):
    on = mn.backend.to_backend
    grads = _gradients(6)
    expected = _run_minin(make, grads)
    params = [Parameter(on(w, backend)) for w in _weights()]
    opt = make(params)
    moved = [[None if g is None else on(g, backend) for g in step] for step in grads]
    _train(params, opt, None, moved[:3])
    numpy_params = [Parameter(p.numpy()) for p in params]
    numpy_opt = make(numpy_params)
    numpy_opt.load_state_dict(opt.state_dict())
    back = make([Parameter(on(w, backend)) for w in _weights()])
    back.load_state_dict(numpy_opt.state_dict())
    for optimizer, name in ((numpy_opt, "numpy"), (back, backend)):
        assert all(mn.backend.name_of(v) == name for s in optimizer.state.values()
                   for v in s.values() if hasattr(v, "shape"))
    _train(params, opt, None, moved[3:])
    _train(numpy_params, numpy_opt, None, grads[3:])
    for p, q, e in zip(params, numpy_params, expected):
        assert p.backend == backend
        np.testing.assert_allclose(p.numpy(), e, rtol=1e-12, atol=1e-14)
        # On the GPU an update is one fused kernel (multiply-adds rounded once), so the
        # state it hands over agrees with NumPy's to rounding, not bit for bit.
        np.testing.assert_allclose(q.data, e, rtol=1e-12, atol=1e-14)


def test_step_leaves_grad_untouched_and_zero_grad_clears_it():
    p = Parameter(np.ones(3))
    g = np.full(3, 2.0)
    p.grad = g
    opt = SGD([p], lr=0.5, momentum=0.9, weight_decay=0.1)
    opt.step()
    np.testing.assert_array_equal(p.grad, np.full(3, 2.0))
    np.testing.assert_allclose(p.data, 1 - 0.5 * 2.1)
    opt.zero_grad()
    assert p.grad is None


def test_closure_is_called_and_its_loss_returned():
    p = Parameter(np.array([3.0]))
    opt = SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(p.data, [1.5])


# ----------------------------------------------------------------------------- end to end

class _Net(mn.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = mn.nn.Conv2d(3, 4, 3, 1, 1)
        self.conv2 = mn.nn.Conv2d(4, 5, 1)

    def forward(self, x):
        return F.global_avg_pool2d(self.conv2(F.relu(self.conv1(x))))


@pytest.mark.parametrize("name, kwargs", [("SGD", dict(lr=0.1, momentum=0.9)),
                                          ("Adam", dict(lr=0.01))])
def test_training_a_small_cnn_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, 1, 1), torch.nn.ReLU(),
                                 torch.nn.Conv2d(4, 5, 1))
    ours = _Net()
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        p.data[...] = tp.detach().numpy()
    our_opt = getattr(mn.optim, name)(ours.parameters(), **kwargs)
    their_opt = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal((4, 3, 6, 6)).astype(np.float32)
        y = rng.integers(0, 5, size=4)
        our_opt.zero_grad()
        F.cross_entropy(ours(mn.Tensor(x)), y).backward()
        our_opt.step()
        their_opt.zero_grad()
        logits = theirs(torch.from_numpy(x)).mean(dim=(2, 3))
        torch.nn.functional.cross_entropy(logits, torch.from_numpy(y)).backward()
        their_opt.step()
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------------------- schedulers

def _lr_sequences(torch, optimizer_name, make_scheduler, steps, lrs=(0.1, 0.02), **opt_kwargs):
    """(lr per group, momentum per group) after construction and after each step."""
    def run(module, params):
        opt = getattr(module, optimizer_name)(
            [{"params": params[:1]}, {"params": params[1:], "lr": lrs[1]}], lr=lrs[0],
            **opt_kwargs)
        sched = make_scheduler(module.lr_scheduler, opt)
        history = []
        for _ in range(steps + 1):
            assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
            history.append([(g["lr"], g["betas"][0] if "betas" in g else g.get("momentum"))
                            for g in opt.param_groups])
            if len(history) <= steps:
                opt.step()
                sched.step()
        return np.array(history, dtype=float)

    ours = run(mn.optim, [Parameter(w) for w in _weights()])
    theirs = run(torch.optim, [torch.tensor(w, requires_grad=True) for w in _weights()])
    return ours, theirs


SCHEDULES = {
    "step": (lambda m, o: m.StepLR(o, step_size=3, gamma=0.5), 12),
    "cosine": (lambda m, o: m.CosineAnnealingLR(o, T_max=7), 3 * 7),
    "cosine-eta_min": (lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001), 3 * 10 + 4),
    "one-cycle": (lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=20,
                                            cycle_momentum=False), 20),
    "one-cycle-epochs-lists": (lambda m, o: m.OneCycleLR(
        o, max_lr=[1.0, 0.5], epochs=4, steps_per_epoch=5, pct_start=0.25,
        div_factor=10.0, final_div_factor=100.0, cycle_momentum=False), 20),
    "one-cycle-three-phase-linear": (lambda m, o: m.OneCycleLR(
        o, max_lr=0.3, total_steps=17, anneal_strategy="linear", three_phase=True,
        cycle_momentum=False), 17),
    "one-cycle-three-phase-cos": (lambda m, o: m.OneCycleLR(
        o, max_lr=0.3, total_steps=23, pct_start=0.4, three_phase=True,
        cycle_momentum=False), 23),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_scheduler_matches_torch(name):
    torch = pytest.importorskip("torch")
    make, steps = SCHEDULES[name]
    ours, theirs = _lr_sequences(torch, "SGD", make, steps)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


@pytest.mark.parametrize("optimizer_name, kwargs", [("SGD", dict(momentum=0.9)), ("Adam", {})])
def test_one_cycle_momentum_cycling_matches_torch(optimizer_name, kwargs):
    torch = pytest.importorskip("torch")

    def make(m, o):
        return m.OneCycleLR(o, max_lr=0.5, total_steps=15, cycle_momentum=True,
                            base_momentum=0.8, max_momentum=0.9)

    ours, theirs = _lr_sequences(torch, optimizer_name, make, 15, **kwargs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


def test_one_cycle_refuses_to_step_past_total_steps():
    opt = SGD([Parameter(np.zeros(2))], lr=0.1)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=4)
    for _ in range(4):
        sched.step()
    with pytest.raises(ValueError, match="total steps is 4"):
        sched.step()


def test_one_cycle_does_not_cycle_momentum_by_default():
    opt = SGD([Parameter(np.zeros(2))], lr=0.1, momentum=0.5)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    sched.step()
    assert opt.param_groups[0]["momentum"] == 0.5


def test_scheduler_records_initial_lr_and_counts_steps():
    opt = SGD([Parameter(np.zeros(2))], lr=0.4)
    sched = lr_scheduler.StepLR(opt, step_size=2)
    assert opt.param_groups[0]["initial_lr"] == 0.4 and sched.last_epoch == 0
    for _ in range(5):
        sched.step()
    assert sched.last_epoch == 5
    assert sched.get_last_lr() == [pytest.approx(0.4 * 0.1 ** 2)]


# ----------------------------------------------------------------------------- checkpoints

def _train(params, opt, sched, grads):
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else g.copy()
        opt.step()
        if sched is not None:
            sched.step()


CHECKPOINTED = {
    "sgd-steplr": (lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
                   lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.5)),
    "adam-groups-cosine": (lambda ps: Adam(_groups(ps, [0.05]), lr=0.01, weight_decay=0.01),
                           lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=3)),
    "adam-one-cycle": (lambda ps: Adam(ps, lr=0.01),
                       lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=8,
                                                         cycle_momentum=True)),
    "sgd-alone": (lambda ps: SGD(ps, lr=0.1, momentum=0.5), None),
}


@pytest.mark.parametrize("name", CHECKPOINTED)
def test_checkpoint_round_trip_continues_like_an_uninterrupted_run(name, tmp_path):
    make_opt, make_sched = CHECKPOINTED[name]
    grads = _gradients(8)

    params = [Parameter(w) for w in _weights()]
    opt = make_opt(params)
    sched = make_sched(opt) if make_sched else None
    _train(params, opt, sched, grads)
    expected = [p.data.copy() for p in params]

    params = [Parameter(w) for w in _weights()]
    opt = make_opt(params)
    sched = make_sched(opt) if make_sched else None
    _train(params, opt, sched, grads[:4])
    mn.save({"weights": [p.data for p in params], "optimizer": opt.state_dict(),
             "scheduler": sched.state_dict() if sched else None}, tmp_path / "ckpt.npz")

    checkpoint = mn.load(tmp_path / "ckpt.npz")
    params = [Parameter(w) for w in checkpoint["weights"]]
    opt = make_opt(params)
    sched = make_sched(opt) if make_sched else None
    opt.load_state_dict(checkpoint["optimizer"])
    if sched:
        sched.load_state_dict(checkpoint["scheduler"])
    _train(params, opt, sched, grads[4:])
    for p, e in zip(params, expected):
        np.testing.assert_array_equal(p.data, e)


def test_state_dict_is_plain_data_and_a_snapshot():
    params = [Parameter(w) for w in _weights()]
    opt = Adam(_groups(params, [0.1]))
    _train(params, opt, None, _gradients(3))
    state = opt.state_dict()
    assert sorted(state["state"]) == ["0", "1", "2"]
    assert [g["params"] for g in state["param_groups"]] == [[0], [1, 2]]
    assert state["param_groups"][0]["lr"] == 0.1 and state["param_groups"][1]["lr"] == 1e-3
    before = state["state"]["0"]["exp_avg"].copy()
    assert type(before) is np.ndarray and state["state"]["0"]["step"] == 3
    _train(params, opt, None, _gradients(3, seed=5))
    np.testing.assert_array_equal(state["state"]["0"]["exp_avg"], before)


def test_load_state_dict_casts_to_the_parameters_dtype():
    params = [Parameter(w) for w in _weights()]
    opt = SGD(params, lr=0.1, momentum=0.9)
    _train(params, opt, None, _gradients(3))
    params32 = [Parameter(w) for w in _weights(dtype=np.float32)]
    opt32 = SGD(params32, lr=0.1, momentum=0.9)
    opt32.load_state_dict(opt.state_dict())
    assert all(s["momentum_buffer"].dtype == np.float32 for s in opt32.state.values())


# ----------------------------------------------------------------------------- errors

@pytest.mark.parametrize("make, match", [
    (lambda ps: SGD(ps, lr=-0.1), "lr -0.1"),
    (lambda ps: SGD(ps, lr=0.1, momentum=-0.5), "momentum -0.5"),
    (lambda ps: SGD(ps, lr=0.1, weight_decay=-1), "weight_decay -1"),
    (lambda ps: SGD(ps, lr=0.1, nesterov=True), "Nesterov"),
    (lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening=0.1"),
    (lambda ps: SGD([{"params": ps, "lr": -1.0}], lr=0.1), "lr -1.0"),
    (lambda ps: Adam(ps, lr=-1e-3), "lr -0.001"),
    (lambda ps: Adam(ps, eps=-1e-8), "eps -1e-08"),
    (lambda ps: Adam(ps, betas=(1.0, 0.999)), "index 0: 1.0"),
    (lambda ps: Adam(ps, betas=(0.9, -0.1)), "index 1: -0.1"),
    (lambda ps: Adam(ps, weight_decay=-0.1), "weight_decay -0.1"),
    (lambda ps: SGD(ps, lr="0.1"), "SGD: invalid lr '0.1'; it must be a number >= 0"),
    (lambda ps: mn.optim.AdamW(ps, weight_decay="a"), "AdamW: invalid weight_decay 'a'"),
    (lambda ps: Adam(ps, betas=("0.9", 0.999)), "index 0: '0.9'"),
    (lambda ps: SGD([], lr=0.1), "empty parameter list"),
    (lambda ps: SGD([ps[0], ps[0]], lr=0.1), "twice"),
    (lambda ps: SGD([{"params": ps[:2]}, {"params": ps[1:]}], lr=0.1), "more than one"),
])
def test_invalid_hyper_parameters_and_params_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make([Parameter(w) for w in _weights()])


def test_params_must_be_an_iterable_of_tensors():
    with pytest.raises(TypeError, match="single Tensor"):
        SGD(Parameter(np.zeros(3)), lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        SGD([np.zeros(3)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        SGD([Parameter(np.zeros(3)) * 2], lr=0.1)


def _trained_sgd(weights):
    params = [Parameter(w) for w in weights]
    opt = SGD(params, lr=0.1, momentum=0.9)
    _train(params, opt, None, _gradients(3))
    return opt


def test_load_state_dict_rejects_a_mismatched_checkpoint():
    state = _trained_sgd(_weights()).state_dict()
    fewer = SGD([Parameter(w) for w in _weights()[:2]], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="group 0 has 3 parameter.* but 2"):
        fewer.load_state_dict(state)
    grouped = SGD(_groups([Parameter(w) for w in _weights()], [0.1]), lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="2 parameter group.*has 1|1 parameter group.*has 2"):
        grouped.load_state_dict(state)
    reshaped = [w.reshape(-1) for w in _weights()]
    other = SGD([Parameter(w) for w in reshaped], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"momentum_buffer.*parameter 0 has shape \(3, 4\).*\(12,\)"):
        other.load_state_dict(state)
    assert other.state == {} and other.param_groups[0]["lr"] == 0.1
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        other.load_state_dict({"state": {}})


def test_scheduler_load_state_dict_rejects_another_schedulers_state():
    opt = SGD([Parameter(np.zeros(2))], lr=0.1)
    step = lr_scheduler.StepLR(opt, step_size=2)
    cosine = lr_scheduler.CosineAnnealingLR(opt, T_max=5)
    with pytest.raises(ValueError, match="not a CosineAnnealingLR state dict"):
        cosine.load_state_dict(step.state_dict())


@pytest.mark.parametrize("make, match", [
    (lambda o: lr_scheduler.StepLR(o, step_size=0), "step_size"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), "T_max"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0), "total_steps"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=-3), "total_steps, got -3"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, epochs=2, steps_per_epoch=0),
     "steps_per_epoch, got 0"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=5, pct_start=1.5), "1.5"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=5, anneal_strategy="exp"),
     "'exp'"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=5), "2 values"),
    (lambda o: lr_scheduler.StepLR(o, 30, gamma="0.1"), "gamma must be a non-negative number"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=float("nan")), "T_max must be a positive number"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=-1), "eta_min"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr="0.1", total_steps=5), "max_lr must be a positive number"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=5, div_factor=0), "div_factor"),
])
def test_invalid_scheduler_arguments_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make(SGD([Parameter(np.zeros(2))], lr=0.1))


def test_optimizer_is_the_public_base_class():
    assert issubclass(SGD, Optimizer) and issubclass(Adam, Optimizer)
    assert math.isclose(SGD([Parameter(np.zeros(1))], lr=0.1).defaults["lr"], 0.1)


def test_zero_grad_set_to_none_and_the_default_lr_as_in_pytorch():
    torch = pytest.importorskip("torch")
    for lib in (mn, torch):
        p = lib.nn.Parameter(lib.tensor([1.0, -2.0]))
        opt = lib.optim.SGD([p])  # lr=1e-3 by default since PyTorch 2
        assert opt.param_groups[0]["lr"] == 1e-3
        (p * p).sum().backward()
        grad = p.grad
        opt.zero_grad(set_to_none=False)
        assert p.grad is grad and grad.tolist() == [0.0, 0.0]
        opt.zero_grad(set_to_none=True)
        assert p.grad is None


def test_adam_amsgrad_state_round_trips():
    p = Parameter(np.array([1.0, -2.0]))
    opt = Adam([p], lr=0.1, amsgrad=True)
    for g in ([1.0, 3.0], [0.0, 0.0]):  # v falls at the second step; its maximum stays
        p.grad = np.array(g)
        opt.step()
    saved = opt.state_dict()
    assert saved["param_groups"][0]["amsgrad"] is True
    assert saved["state"]["0"]["max_exp_avg_sq"].tolist() == pytest.approx([0.001, 0.009])
    assert saved["state"]["0"]["exp_avg_sq"].tolist() == pytest.approx([0.000999, 0.008991])
    again = Adam([Parameter(np.array([1.0, -2.0]))], amsgrad=False)
    again.load_state_dict(saved)
    assert again.param_groups[0]["amsgrad"] is True
