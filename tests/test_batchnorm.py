"""Batch normalization: F.batch_norm's gradients checked in float64, and nn.BatchNorm1d/2d
against PyTorch's through training steps, evaluation, momentum=None, no affine, no running
statistics and state_dicts."""

import numpy as np
import pytest

import minin as mn
from minin import nn
from helpers import case_tests

F = nn.functional
X4 = np.random.default_rng(0).standard_normal((4, 3, 5, 5)) * 2 + 1
X2 = np.random.default_rng(1).standard_normal((6, 3))
W, B = np.array([1.0, 2.0, -0.5]), np.array([0.1, 0.0, 0.5])
RUNNING = (np.array([0.5, -1.0, 0.0]), np.array([1.0, 2.0, 0.5]))
CASES = [
    ("train_2d", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
     lambda t, x, w, b: t.nn.functional.batch_norm(x, None, None, w, b, training=True), [X4, W, B]),
    ("train_1d", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, eps=1e-3),
     lambda t, x, w, b: t.nn.functional.batch_norm(x, None, None, w, b, training=True, eps=1e-3), [X2, W, B]),
    ("train_no_affine", lambda x: F.batch_norm(x, None, None, training=True),
     lambda t, x: t.nn.functional.batch_norm(x, None, None, training=True), [X4[:, :, 0]]),
    ("eval", lambda x, w, b: F.batch_norm(x, *map(mn.tensor, RUNNING), w, b),
     lambda t, x, w, b: t.nn.functional.batch_norm(x, *map(t.tensor, RUNNING), w, b), [X4, W, B]),
]
test_gradcheck, test_matches_torch, test_same_on_the_gpu = case_tests(CASES)


def _pair(torch, make, **kwargs):
    """The same layer in minin and in PyTorch, PyTorch's starting from minin's weights."""
    ours, theirs = make(mn.nn)(**kwargs), make(torch.nn)(**kwargs)
    theirs.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in ours.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("kind, shape", [("BatchNorm2d", (8, 3, 4, 4)), ("BatchNorm1d", (8, 3)),
                                         ("BatchNorm1d", (8, 3, 7))])
@pytest.mark.parametrize("options", [dict(), dict(momentum=None), dict(affine=False), dict(momentum=0.5, eps=1e-3),
                                     dict(bias=False),
                                     dict(track_running_stats=False)], ids=str)
def test_layers_follow_torch_through_training_and_evaluation(kind, shape, options):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, lambda module: getattr(module, kind), num_features=3, **options)
    rng = np.random.default_rng(2)
    for step in range(4):
        if step == 3:
            ours.eval(), theirs.eval()
        x = (rng.standard_normal(shape) * 3 + step).astype(np.float32)
        y, expected = ours(mn.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_allclose(y.numpy(), expected.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert repr(ours) == repr(theirs)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(np.asarray(ours.state_dict()[name]), value.numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=name)


def test_errors_name_the_mistake():
    with pytest.raises(ValueError, match="BatchNorm2d expects a 4-D input, got shape \\(2, 3\\)"):
        nn.BatchNorm2d(3)(mn.ones(2, 3))
    with pytest.raises(ValueError, match="BatchNorm1d expects a 2 or 3-D input"):
        nn.BatchNorm1d(3)(mn.ones(2, 3, 4, 4))
    with pytest.raises(ValueError, match="num_features must be a positive int, got 0"):
        nn.BatchNorm2d(0)
    with pytest.raises(ValueError, match="momentum must be in \\[0, 1\\] or None, got 2"):
        nn.BatchNorm2d(3, momentum=2)
    with pytest.raises(ValueError, match="training needs more than one value per channel"):
        nn.BatchNorm1d(3)(mn.ones(1, 3))
    with pytest.raises(ValueError, match="running_mean must have shape \\(3,\\) and dtype float32"):
        F.batch_norm(mn.ones(2, 3), mn.zeros(2), mn.ones(2))
    with pytest.raises(ValueError, match="evaluation \\(training=False\\) needs running_mean"):
        F.batch_norm(mn.ones(2, 3), None, None)
    with pytest.raises(ValueError, match="give both running_mean and running_var"):
        F.batch_norm(mn.ones(2, 3), mn.zeros(3), None, training=True)
    with pytest.raises(TypeError, match="batch_norm: input must be floating point"):
        F.batch_norm(mn.tensor([[1, 2]]), None, None, training=True)


def test_a_frozen_layer_passes_the_gradient_to_its_input_only():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).standard_normal((6, 3, 2, 2)).astype(np.float32)
    ours, theirs = _pair(torch, lambda module: module.BatchNorm2d, num_features=3)
    ours.requires_grad_(False)
    theirs.requires_grad_(False)
    a, b = mn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ours(a) * mn.tensor(x)).sum().backward()
    (theirs(b) * torch.tensor(x)).sum().backward()
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-4, atol=1e-5)
    assert ours.weight.grad is None and ours.bias.grad is None
