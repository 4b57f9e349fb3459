"""The model zoo: shapes, parameter counts, PyTorch compatibility, and that NiN trains."""

import numpy as np
import pytest

import minin as mn
import minin.functional as F
from minin import nn
from minin.models import INPUT_SHAPES, alexnet, nin, nin_block


def forward_shapes(model, x):
    shapes = []
    for layer in model:
        x = layer(x)
        shapes.append(tuple(x.shape[1:]))
    return shapes


@pytest.mark.parametrize("variant, classes", [("small", 10), ("d2l", 10), ("cifar10", 10), ("imagenet", 1000)])
def test_every_variant_maps_its_input_to_class_scores(variant, classes):
    model = nin(variant).eval()
    x = mn.tensor(np.random.rand(2, *INPUT_SHAPES[variant]), dtype=np.float32)
    with mn.no_grad():
        out = model(x)
    assert out.shape == (2, classes) and out.dtype == np.float32


def test_d2l_shapes_after_every_stage_are_the_seeds():
    model = nin("d2l").eval()
    x = mn.tensor(np.random.rand(1, 1, 224, 224), dtype=np.float32)
    with mn.no_grad():
        shapes = forward_shapes(model, x)
    assert shapes == [(96, 54, 54), (96, 26, 26), (256, 26, 26), (256, 12, 12), (384, 12, 12),
                      (384, 5, 5), (384, 5, 5), (10, 5, 5), (10,), (10,)]


def test_parameter_counts():
    def count(model):
        return sum(p.size for p in model.parameters())

    assert count(nin("d2l")) == 1_992_166
    assert count(nin("cifar10")) == 966_986
    assert count(nin("imagenet")) == 7_595_176
    assert count(alexnet()) == 61_100_840


def test_cifar10_keeps_the_papers_map_sizes():
    model = nin("cifar10").eval()
    with mn.no_grad():
        shapes = forward_shapes(model, mn.tensor(np.random.rand(1, 3, 32, 32), dtype=np.float32))
    assert shapes[0] == (96, 32, 32) and shapes[1] == (96, 16, 16) and shapes[4] == (192, 8, 8)


def test_nin_block_is_conv_relu_and_two_pointwise_convs():
    block = nin_block(3, 8, kernel_size=5, stride=2, padding=1)
    kinds = [type(m).__name__ for m in block]
    assert kinds == ["Conv2d", "ReLU", "Conv2d", "ReLU", "Conv2d", "ReLU"]
    assert block[0].kernel_size == (5, 5) and block[0].stride == (2, 2) and block[0].padding == (1, 1)
    assert block[2].kernel_size == block[4].kernel_size == (1, 1)


def test_unknown_variant():
    with pytest.raises(ValueError, match="unknown NiN variant 'tiny'"):
        nin("tiny")


def torch_d2l_nin():
    from torch import nn as tnn

    def block(i, o, k, s, p):
        return tnn.Sequential(tnn.Conv2d(i, o, k, s, p), tnn.ReLU(), tnn.Conv2d(o, o, 1), tnn.ReLU(),
                              tnn.Conv2d(o, o, 1), tnn.ReLU())

    return tnn.Sequential(block(1, 96, 11, 4, 0), tnn.MaxPool2d(3, 2), block(96, 256, 5, 1, 2),
                          tnn.MaxPool2d(3, 2), block(256, 384, 3, 1, 1), tnn.MaxPool2d(3, 2),
                          tnn.Dropout(0.5), block(384, 10, 3, 1, 1), tnn.AdaptiveAvgPool2d(1),
                          tnn.Flatten())


def test_d2l_loads_pytorch_weights_and_gives_the_same_logits():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch_d2l_nin().eval()
    ours = nin("d2l").eval()
    their_state = {k: v.numpy() for k, v in theirs.state_dict().items()}
    assert {k: v.shape for k, v in their_state.items()} == {k: v.shape for k, v in ours.state_dict().items()}
    assert list(their_state) == list(ours.state_dict())
    for p in theirs.parameters():  # default init gives logits nearly independent of the input
        torch.nn.init.normal_(p, std=0.05)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).random((2, 1, 224, 224)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.tensor(x)).numpy()
    with mn.no_grad():
        got = ours(mn.tensor(x)).numpy()
    assert np.abs(expected).max() > 1e-2
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def synthetic_batches(seed, count=40, size=28, batch=32):
    """Ten classes, each a bright square at its own place plus noise: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        labels = rng.integers(0, 10, batch)
        images = rng.normal(0, 0.3, (batch, 1, size, size)).astype(np.float32)
        for i, label in enumerate(labels):
            r, c = divmod(int(label), 4)
            step = size // 4
            images[i, 0, r * step:(r + 1) * step, c * step:(c + 1) * step] += 1.5
        yield mn.tensor(images), labels


@pytest.mark.slow
@pytest.mark.parametrize("variant, size", [("small", 28), ("d2l", 67)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nin_trains_from_every_seed(variant, size, seed):
    """A few dozen steps leave the ln(10) = 2.303 plateau, whatever the seed."""
    mn.manual_seed(seed)
    model = nin(variant)
    optimizer = mn.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for images, labels in synthetic_batches(seed, count=60, size=size, batch=16):
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.75 * np.log(10), losses


def test_initialisation_keeps_the_signal_alive():
    """With PyTorch's default initialisation the features reaching the d2l NiN's last
    block are ~100× smaller than after init_nin, which keeps the input's scale."""
    mn.manual_seed(0)
    x = mn.tensor(np.random.default_rng(0).random((4, 1, 96, 96)), dtype=np.float32)
    model = nin("d2l").eval()
    features = model[:6]
    with mn.no_grad():
        ours = np.abs(features(x).numpy()).mean()
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                m.reset_parameters()  # back to PyTorch's default
        default = np.abs(features(x).numpy()).mean()
    assert ours > 0.1 and ours > 30 * default


def test_class_maps_needs_a_sequential_nin():
    from minin.models import class_maps
    with pytest.raises(TypeError, match="needs an nn.Sequential NiN, got Linear"):
        class_maps(nn.Linear(2, 2), mn.tensor(np.zeros((1, 2))))


def test_initial_class_maps_are_equal_and_alive():
    model = nin("d2l").eval()
    with mn.no_grad():
        logits = model(mn.tensor(np.random.default_rng(0).random((3, 1, 67, 67)), dtype=np.float32))
    np.testing.assert_allclose(logits.numpy(), 0.1)  # loss ln(10), every ReLU open
    square = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1)
              and m.in_channels == m.out_channels][0]
    assert np.array_equal(square.weight.numpy()[:, :, 0, 0], np.eye(square.out_channels))
