"""The model zoo: shapes, parameter counts, PyTorch compatibility, and that NiN trains."""

import numpy as np
import pytest

import minin as mn
import minin.functional as F
from minin import nn
from minin.models import INPUT_SHAPES, GlobalMaxPool2d, alexnet, class_maps, mlpconv, nin, nin_block


def forward_shapes(model, x):
    shapes = []
    for layer in model:
        x = layer(x)
        shapes.append(tuple(x.shape[1:]))
    return shapes


def assert_same_logits(ours, theirs, x):
    """Give our model the PyTorch model's weights and check their logits on ``x`` agree."""
    import torch

    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    with torch.no_grad():
        expected = theirs(torch.tensor(x)).numpy()
    with mn.no_grad():
        got = ours(mn.tensor(x)).numpy()
    assert np.abs(expected).max() > 1e-2  # logits that depend on the input
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


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
        return sum(p.numel() for p in model.parameters())

    assert count(nin("d2l")) == 1_992_166
    assert count(nin("cifar10")) == 966_986
    assert count(nin("imagenet")) == 7_595_176  # the model zoo's 29 MB of float32
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
    assert_same_logits(ours, theirs, np.random.default_rng(0).random((2, 1, 224, 224)).astype(np.float32))


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


def test_imagenet_pools_round_up_as_the_caffe_model_does():
    model = nin("imagenet").eval()
    pools = [m for m in model if isinstance(m, nn.MaxPool2d)]
    assert len(pools) == 3 and all(p.ceil_mode for p in pools)
    with mn.no_grad():
        shapes = forward_shapes(model, mn.tensor(np.random.rand(1, 3, 224, 224), dtype=np.float32))
    assert [s[1] for s in shapes[:8]] == [54, 27, 27, 13, 13, 6, 6, 6]


# The model switches: head, mlp_depth, mlp_kernel, init.

def test_the_defaults_are_the_nin_of_before_weight_for_weight():
    mn.manual_seed(5)
    default = nin("small")
    mn.manual_seed(5)
    explicit = nin("small", head="gap", mlp_depth=2, mlp_kernel=1, init="nin")
    assert repr(default) == repr(explicit)
    ours, theirs = default.state_dict(), explicit.state_dict()
    assert list(ours) == list(theirs) and all(np.array_equal(ours[k], theirs[k]) for k in ours)
    assert [type(m).__name__ for m in default] == ["Sequential", "MaxPool2d"] * 3 + [
        "Dropout", "Sequential", "GlobalAvgPool2d", "Flatten"]


@pytest.mark.parametrize("depth, widths", [(0, (10,)), (1, (192, 10)), (2, (192, 192, 10)),
                                           (3, (192, 192, 192, 10))])
def test_mlp_depth_sets_the_layers_after_each_first_convolution(depth, widths):
    model = nin("small", mlp_depth=depth)
    last = [m for m in model[7] if isinstance(m, nn.Conv2d)]
    assert tuple(c.out_channels for c in last) == widths
    assert [c.kernel_size for c in last[1:]] == [(1, 1)] * depth
    assert all(isinstance(m, nn.ReLU) for m in model[7][1::2])  # a ReLU after each but the last
    assert len(model[0]) == 2 * (depth + 1)


def test_mlp_depth_keeps_unequal_widths_in_order():
    model = nin("cifar10", mlp_depth=3)
    assert [c.out_channels for c in model[0] if isinstance(c, nn.Conv2d)] == [192, 160, 160, 96]
    model = nin("cifar10", mlp_depth=1)
    assert [c.out_channels for c in model[0] if isinstance(c, nn.Conv2d)] == [192, 96]


def test_mlp_kernel_3_keeps_the_map_size():
    model = nin("small", mlp_kernel=3).eval()
    convs = [m for m in model[2] if isinstance(m, nn.Conv2d)]
    assert [c.kernel_size for c in convs] == [(3, 3)] * 3 and convs[1].padding == (1, 1)
    with mn.no_grad():
        assert model(mn.tensor(np.random.rand(2, 1, 28, 28), dtype=np.float32)).shape == (2, 10)


@pytest.mark.parametrize("head, tail", [("gap", ["GlobalAvgPool2d", "Flatten"]),
                                        ("gmp", ["GlobalMaxPool2d", "Flatten"]),
                                        ("fc", ["Flatten", "Linear"]),
                                        ("fc-dropout", ["Flatten", "Dropout", "Linear"])])
def test_every_head_ends_in_class_scores(head, tail):
    model = nin("small", head=head)
    assert [type(m).__name__ for m in model][8:] == tail
    x = mn.tensor(np.random.rand(3, 1, 28, 28), dtype=np.float32)
    assert model(x).shape == (3, 10)
    if head.startswith("fc"):
        assert model[-1].in_features == 10 * 2 * 2  # the 10 class maps of 2×2, flattened


def test_a_fully_connected_head_is_sized_for_the_variants_input():
    assert nin("d2l", head="fc")[-1].in_features == 10 * 5 * 5
    assert nin("cifar10", head="fc-dropout")[-1].in_features == 10 * 8 * 8
    assert nin("small", head="fc", mlp_kernel=3, mlp_depth=0)[-1].in_features == 40


@pytest.mark.parametrize("kwargs, message", [
    (dict(head="avg"), "unknown NiN head 'avg'"), (dict(init="he"), "unknown NiN init 'he'"),
    (dict(mlp_depth=4), "mlp_depth must be 0, 1, 2 or 3, got 4"),
    (dict(mlp_depth=True), "mlp_depth must be 0, 1, 2 or 3, got True"),
    (dict(mlp_kernel=5), "mlp_kernel must be 1 or 3, got 5")])
def test_bad_switches_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nin("small", **kwargs)
    with pytest.raises(ValueError, match="mlp_kernel must be 1 or 3, got 2"):
        mlpconv(1, (4, 4), 3, mlp_kernel=2)


def conv_weights(model):
    return [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def test_init_torch_is_pytorchs_default():
    mn.manual_seed(0)
    model = nin("small", init="torch", head="fc")
    for layer in conv_weights(model):
        w, b = layer.weight.numpy(), layer.bias.numpy()
        fan_in = int(np.prod(w.shape[1:]))
        assert np.abs(w).max() <= 1 / np.sqrt(fan_in) and np.abs(b).max() <= 1 / np.sqrt(fan_in)
        if w.size > 5000:
            assert abs(w.var() * 3 * fan_in - 1) < 0.1
    first = model[0][0]
    mn.manual_seed(0)
    assert np.array_equal(nn.Conv2d(1, 64, 5, 1, 2).weight.numpy(), first.weight.numpy())  # as built


def test_init_xavier_is_d2ls():
    mn.manual_seed(0)
    model = nin("small", init="xavier")
    for layer in conv_weights(model):
        w, b = layer.weight.numpy(), layer.bias.numpy()
        receptive = int(np.prod(w.shape[2:]))
        fan_in, fan_out = w.shape[1] * receptive, w.shape[0] * receptive
        assert np.abs(w).max() <= np.sqrt(6 / (fan_in + fan_out)) + 1e-7
        if w.size > 5000:
            assert abs(w.var() * (fan_in + fan_out) / 2 - 1) < 0.1
        assert np.abs(b).max() <= 1 / np.sqrt(fan_in) and np.any(b != 0)  # biases as built


def test_init_nin_on_a_fully_connected_head_zeroes_the_class_map_layer():
    model = nin("small", head="fc-dropout")
    assert not np.any(model[7][-1].weight.numpy()) and np.all(model[7][-1].bias.numpy() == np.float32(0.1))


def test_global_max_pooling_gradient():
    x = mn.tensor(np.random.default_rng(0).standard_normal((2, 3, 4, 5)), requires_grad=True)
    assert mn.gradcheck(lambda t: GlobalMaxPool2d()(t), [x])
    with pytest.raises(ValueError, match="expects a 4-d .* got shape \\(3, 4\\)"):
        GlobalMaxPool2d()(mn.tensor(np.zeros((3, 4), dtype=np.float32)))


def test_global_max_pooling_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 4)).astype(np.float32)
    ours = mn.tensor(x, requires_grad=True)
    out = GlobalMaxPool2d()(ours)
    theirs = torch.tensor(x, requires_grad=True)
    expected = torch.flatten(torch.nn.AdaptiveMaxPool2d(1)(theirs), 1)
    g = np.random.default_rng(2).standard_normal((2, 3)).astype(np.float32)
    out.backward(mn.tensor(g))
    expected.backward(torch.tensor(g))
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def torch_small_nin(head, mlp_depth, mlp_kernel):
    """The small NiN with its switches, written in PyTorch layer by layer."""
    from torch import nn as tnn

    def block(i, widths, k, last_relu=True):
        layers = []
        for n, o in enumerate(widths):
            layers.append(tnn.Conv2d(i, o, k, 1, k // 2) if n == 0 else tnn.Conv2d(i, o, mlp_kernel, 1, mlp_kernel // 2))
            if last_relu or n < len(widths) - 1:
                layers.append(tnn.ReLU())
            i = o
        return tnn.Sequential(*layers)

    def widths(w, out):
        return (w,) * mlp_depth + (out,)

    body = [block(1, widths(64, 64), 5), tnn.MaxPool2d(3, 2), block(64, widths(128, 128), 3), tnn.MaxPool2d(3, 2),
            block(128, widths(192, 192), 3), tnn.MaxPool2d(3, 2), tnn.Dropout(0.5),
            block(192, widths(192, 10), 3, last_relu=False)]
    heads = {"gap": [tnn.AdaptiveAvgPool2d(1), tnn.Flatten()], "gmp": [tnn.AdaptiveMaxPool2d(1), tnn.Flatten()],
             "fc": [tnn.Flatten(), tnn.Linear(40, 10)],
             "fc-dropout": [tnn.Flatten(), tnn.Dropout(0.5), tnn.Linear(40, 10)]}
    return tnn.Sequential(*body, *heads[head])


@pytest.mark.parametrize("head, mlp_depth, mlp_kernel", [("fc", 2, 1), ("fc-dropout", 1, 1), ("gmp", 3, 1),
                                                         ("gap", 0, 1), ("gap", 2, 3)])
def test_switched_models_load_pytorch_weights_and_give_its_logits_and_gradients(head, mlp_depth, mlp_kernel):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch_small_nin(head, mlp_depth, mlp_kernel).eval()
    for p in theirs.parameters():  # He-sized weights keep the logits near 1 at every depth
        torch.nn.init.kaiming_normal_(p, nonlinearity="relu") if p.ndim > 1 else torch.nn.init.normal_(p, std=0.05)
    ours = nin("small", head=head, mlp_depth=mlp_depth, mlp_kernel=mlp_kernel).eval()
    state = {k: v.numpy() for k, v in theirs.state_dict().items()}
    assert list(state) == list(ours.state_dict())
    ours.load_state_dict(state)
    x = np.random.default_rng(0).random((2, 1, 28, 28)).astype(np.float32)
    expected = theirs(torch.tensor(x))
    got = ours(mn.tensor(x))
    np.testing.assert_allclose(got.numpy(), expected.detach().numpy(), rtol=1e-4, atol=1e-5)
    expected.sum().backward()
    got.sum().backward()
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-3, atol=1e-4, err_msg=name)


def test_class_maps_of_each_head():
    x = mn.tensor(np.random.rand(2, 1, 28, 28), dtype=np.float32)
    for head in ("gap", "gmp"):
        model = nin("small", head=head).eval()
        with mn.no_grad():
            assert class_maps(model, x).shape == (2, 10, 2, 2)
    with pytest.raises(ValueError, match="head 'gap' or 'gmp'"):
        class_maps(nin("small", head="fc"), x)


def test_upsample_is_pytorchs_bilinear():
    from minin.plots import upsample
    maps = np.random.default_rng(0).standard_normal((2, 3, 2, 3)).astype(np.float32)
    big = upsample(maps, (28, 20))
    assert big.shape == (2, 3, 28, 20) and big.dtype == np.float32
    np.testing.assert_allclose(upsample(np.full((1, 2, 2), 0.7), (5, 9)), 0.7, rtol=1e-6)
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.interpolate(torch.tensor(maps), size=(28, 20), mode="bilinear",
                                               align_corners=False).numpy()
    np.testing.assert_allclose(big, expected, rtol=1e-5, atol=1e-6)


def test_class_map_figure_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    from minin.plots import plot_class_maps
    rng = np.random.default_rng(0)
    images = rng.standard_normal((2, 1, 28, 28)).astype(np.float32)
    maps = rng.standard_normal((2, 10, 2, 2)).astype(np.float32)
    probabilities = np.exp(maps.mean((2, 3))) / np.exp(maps.mean((2, 3))).sum(1, keepdims=True)
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
    path = tmp_path / "maps.png"
    plot_class_maps(images, maps, probabilities, np.array([3, 9]), classes, str(path), 0.2860, 0.3530)
    assert path.stat().st_size > 10_000


# Bad arguments are named by the function that was given them.

@pytest.mark.parametrize("kwargs, message", [
    (dict(num_classes=0), "nin: num_classes must be a positive int, got 0"),
    (dict(num_classes=-3), "nin: num_classes must be a positive int, got -3"),
    (dict(num_classes=2.5), "nin: num_classes must be a positive int, got 2.5"),
    (dict(num_classes=True), "nin: num_classes must be a positive int, got True"),
    (dict(num_classes="10"), "nin: num_classes must be a positive int, got '10'"),
    (dict(in_channels=0), "nin: in_channels must be a positive int, got 0"),
    (dict(in_channels=1.0), "nin: in_channels must be a positive int, got 1.0"),
    (dict(mlp_depth=2.0), "nin: mlp_depth must be 0, 1, 2 or 3, got 2.0"),
    (dict(mlp_kernel=1.0), "nin: mlp_kernel must be 1 or 3, got 1.0"),
    (dict(mlp_kernel=True), "nin: mlp_kernel must be 1 or 3, got True")])
def test_bad_sizes_are_named_by_nin_not_by_a_layer_inside(kwargs, message):
    with pytest.raises(ValueError) as info:
        nin("small", **kwargs)
    assert str(info.value) == message


def test_numpy_integers_are_counts_like_ints():
    model = nin("small", num_classes=np.int64(3), in_channels=np.int32(2), mlp_depth=np.int64(1)).eval()
    with mn.no_grad():
        assert model(mn.zeros(1, 2, 28, 28)).shape == (1, 3)
    assert isinstance(model[-3][-1].out_channels, int)


@pytest.mark.parametrize("kwargs, message", [(dict(num_classes=0), "alexnet: num_classes must be a positive int"),
                                             (dict(in_channels=-1), "alexnet: in_channels must be a positive int")])
def test_bad_alexnet_sizes_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        alexnet(**kwargs)


@pytest.mark.parametrize("widths, error, message", [
    ((), ValueError, "mlpconv: widths must hold at least one channel count"),
    (4, TypeError, "mlpconv: widths must be a sequence of channel counts, e.g. \\(96, 96, 96\\), got int 4"),
    ("96", TypeError, "got str '96'")])
def test_mlpconv_needs_a_sequence_of_widths(widths, error, message):
    with pytest.raises(error, match=message):
        mlpconv(1, widths, 3)
    with pytest.raises(ValueError, match="mlpconv: mlp_kernel must be 1 or 3, got True"):
        mlpconv(1, (4, 4), 3, mlp_kernel=True)


def test_init_nin_needs_a_module():
    from minin.models import init_nin
    with pytest.raises(TypeError, match="init_nin needs an nn.Module, got list"):
        init_nin([nn.Conv2d(1, 1, 1)])


def test_the_registry_builds_alexnet_as_asked_and_names_what_it_does_not_know():
    from minin import registry
    model = registry.MODELS["alexnet"].build(num_classes=10, in_channels=1)
    assert model[0].in_channels == 1 and model[-1].out_features == 10
    with pytest.raises(TypeError, match="alexnet takes no NiN switches, got head"):
        registry.MODELS["alexnet"].build(head="fc")
    with pytest.raises(ValueError, match="unknown model 'nope'; expected one of \\('small'"):
        registry.not_trained_reason("nope")


def torch_cifar10_nin():
    from torch import nn as tnn

    def block(i, widths, k, p):
        layers = []
        for n, o in enumerate(widths):
            layers += [tnn.Conv2d(i, o, k, 1, p) if n == 0 else tnn.Conv2d(i, o, 1), tnn.ReLU()]
            i = o
        return tnn.Sequential(*layers)

    return tnn.Sequential(block(3, (192, 160, 96), 5, 2), tnn.MaxPool2d(3, 2, ceil_mode=True), tnn.Dropout(0.5),
                          block(96, (192,) * 3, 5, 2), tnn.AvgPool2d(3, 2, ceil_mode=True), tnn.Dropout(0.5),
                          block(192, (192, 192, 10), 3, 1), tnn.AdaptiveAvgPool2d(1), tnn.Flatten())


def test_cifar10_nin_gives_pytorchs_logits_at_odd_sizes_too():
    """Its pools round up (ceil_mode), which at 31×31 leaves windows hanging over the edge."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch_cifar10_nin().eval()
    for p in theirs.parameters():
        torch.nn.init.kaiming_normal_(p, nonlinearity="relu") if p.ndim > 1 else torch.nn.init.normal_(p, std=0.05)
    ours = nin("cifar10").eval()
    assert sum(p.numel() for p in theirs.parameters()) == sum(p.numel() for p in ours.parameters())
    assert_same_logits(ours, theirs, np.random.default_rng(0).random((1, 3, 31, 31)).astype(np.float32))
