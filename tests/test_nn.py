"""Module registration, state dicts, modes, layers and initialisation."""

import math

import numpy as np
import pytest

import minin as mn
from minin import nn
from minin.nn import init


class TwoLayers(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Dropout(0.5))
        self.scale = nn.Parameter(mn.tensor([1.0]))
        self.head = nn.Linear(4, 2)
        self.not_a_layer = 3

    def forward(self, x):
        h = nn.GlobalAvgPool2d()(self.features(x))
        return self.head(h) * self.scale


def test_registration_order_and_names():
    model = TwoLayers()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["scale", "features.0.weight", "features.0.bias", "head.weight", "head.bias"]
    assert [type(c).__name__ for c in model.children()] == ["Sequential", "Linear"]
    assert len(list(model.parameters())) == 5
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())


def test_reassigning_and_deleting_attributes_updates_registration():
    model = TwoLayers()
    model.head = nn.Linear(4, 3)
    assert [n for n, _ in model.named_parameters()][-1] == "head.bias"
    assert model.head.out_features == 3
    del model.scale
    assert "scale" not in dict(model.named_parameters())


def test_shared_parameters_are_listed_once():
    layer = nn.Linear(2, 2)
    assert len(list(nn.Sequential(layer, layer).parameters())) == 2


def test_forgetting_super_init_is_explained():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="must call super"):
        Broken()


def test_train_and_eval_reach_every_submodule():
    model = TwoLayers()
    model.eval()
    assert all(not m.training for m in model.modules())
    x = mn.tensor(np.random.rand(2, 1, 5, 5), dtype=np.float32)
    mn.manual_seed(0)
    a = model(x).numpy()
    b = model(x).numpy()
    assert np.array_equal(a, b)  # dropout off
    model.train()
    assert all(m.training for m in model.modules())
    assert not np.array_equal(model(x).numpy(), model(x).numpy())  # dropout on


def test_zero_grad_and_backward_reach_parameters():
    model = TwoLayers()
    model(mn.tensor(np.random.rand(2, 1, 5, 5), dtype=np.float32)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_round_trip(tmp_path):
    model, other = TwoLayers(), TwoLayers()
    state = model.state_dict()
    assert list(state) == [n for n, _ in model.named_parameters()]
    assert all(isinstance(v, np.ndarray) for v in state.values())
    state["head.bias"][:] = 7  # a copy: the model is not changed
    assert not np.array_equal(model.head.bias.numpy(), state["head.bias"])
    mn.save(model.state_dict(), tmp_path / "model.npz")
    other.load_state_dict(mn.load(tmp_path / "model.npz"))
    for (n1, p1), (n2, p2) in zip(model.named_parameters(), other.named_parameters()):
        assert n1 == n2 and np.array_equal(p1.numpy(), p2.numpy()) and p2.dtype == np.float32


def test_strict_loading_names_the_offending_key():
    model = TwoLayers()
    state = model.state_dict()
    del state["head.weight"]
    state["head.extra"] = np.zeros(1)
    with pytest.raises(KeyError, match=r"missing key\(s\) 'head.weight'; unexpected key\(s\) 'head.extra'"):
        model.load_state_dict(state)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert missing == ["head.weight"] and unexpected == ["head.extra"]
    state = model.state_dict()
    state["features.0.weight"] = np.zeros((4, 1, 5, 5))
    with pytest.raises(ValueError, match=r"'features.0.weight' has shape \(4, 1, 5, 5\) in the state dict "
                                         r"but \(4, 1, 3, 3\) in the model"):
        model.load_state_dict(state)


@pytest.mark.gpu
def test_state_dict_round_trip_on_the_gpu(gpu):
    model = TwoLayers()
    state = model.state_dict()
    model.to("cupy")
    assert all(p.backend == "cupy" for p in model.parameters())
    assert all(isinstance(v, np.ndarray) for v in model.state_dict().values())
    model.load_state_dict(state)
    assert all(p.backend == "cupy" for p in model.parameters())
    out = model(mn.Tensor(gpu.asarray(np.random.rand(2, 1, 5, 5).astype(np.float32))))
    assert out.backend == "cupy"
    model.to("numpy")
    assert all(p.backend == "numpy" for p in model.parameters())


def test_repr_looks_like_pytorch():
    text = repr(nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.ReLU(), nn.MaxPool2d(3, 2),
                              nn.Dropout(0.3), nn.Flatten(), nn.Linear(8, 2)))
    assert text == (
        "Sequential(\n"
        "  (0): Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n"
        "  (1): ReLU()\n"
        "  (2): MaxPool2d(kernel_size=3, stride=2, padding=0, ceil_mode=False)\n"
        "  (3): Dropout(p=0.3)\n"
        "  (4): Flatten(start_dim=1, end_dim=-1)\n"
        "  (5): Linear(in_features=8, out_features=2, bias=True)\n"
        ")")


def test_sequential_indexing_and_iteration():
    seq = nn.Sequential(nn.ReLU(), nn.Flatten(), nn.Identity())
    assert len(seq) == 3 and isinstance(seq[1], nn.Flatten) and isinstance(seq[-1], nn.Identity)
    assert isinstance(seq[1:], nn.Sequential) and len(seq[1:]) == 2
    assert [type(m).__name__ for m in seq] == ["ReLU", "Flatten", "Identity"]
    with pytest.raises(TypeError, match="holds Modules"):
        nn.Sequential(lambda x: x)


def test_layers_match_functional():
    x = mn.tensor(np.random.rand(2, 3, 8, 8), dtype=np.float32)
    conv = nn.Conv2d(3, 5, (3, 2), stride=2, padding=1)
    expected = mn.functional.conv2d(x, conv.weight, conv.bias, stride=2, padding=1)
    assert np.array_equal(conv(x).numpy(), expected.numpy())
    assert nn.MaxPool2d(3, 2)(x).shape == (2, 3, 3, 3)
    assert nn.AvgPool2d(2)(x).shape == (2, 3, 4, 4)
    assert nn.GlobalAvgPool2d()(x).shape == (2, 3)
    assert nn.Flatten()(x).shape == (2, 192)


def test_layer_arguments_are_checked_at_construction():
    with pytest.raises(ValueError, match="in_channels must be a positive int"):
        nn.Conv2d(0, 3, 3)
    with pytest.raises(ValueError, match="Conv2d: stride must be at least 1"):
        nn.Conv2d(1, 3, 3, stride=0)
    with pytest.raises(TypeError, match="Conv2d: kernel_size must be an int or a pair"):
        nn.Conv2d(1, 3, (3, 3, 3))
    with pytest.raises(ValueError, match="at most half the kernel size"):
        nn.MaxPool2d(2, padding=2)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match=r"Dropout: p must be in \[0, 1\], got None"):
        nn.Dropout(None)
    with pytest.raises(ValueError, match=r"Conv2d: padding='same' needs stride 1"):
        nn.Conv2d(1, 3, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"Conv2d: padding must be an int, a pair of ints, 'same' or 'valid'"):
        nn.Conv2d(1, 3, 3, padding="full")
    with pytest.raises(ValueError, match=r"AvgPool2d: divisor_override must be a nonzero int"):
        nn.AvgPool2d(2, divisor_override=0)
    for sizes, name in (((0, 5), "in_features"), ((3, -1), "out_features"), ((3.0, 5), "in_features")):
        with pytest.raises(ValueError, match=f"Linear: {name} must be a positive int"):
            nn.Linear(*sizes)


def test_pytorch_default_initialisation_bounds():
    mn.manual_seed(0)
    conv = nn.Conv2d(16, 32, 3)
    bound = 1 / math.sqrt(16 * 9)
    for p in (conv.weight, conv.bias):
        values = p.numpy()
        assert values.dtype == np.float32
        assert np.abs(values).max() <= bound and np.abs(values).max() > 0.9 * bound
    linear = nn.Linear(100, 10)
    assert np.abs(linear.weight.numpy()).max() <= 0.1


def test_init_functions_follow_their_formulas():
    mn.manual_seed(0)
    w = nn.Parameter(mn.tensor(np.zeros((256, 128, 3, 3)), dtype=np.float32))
    init.kaiming_normal_(w, nonlinearity="relu")
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / (128 * 9)), rel=0.02)
    init.kaiming_uniform_(w, nonlinearity="relu")
    assert np.abs(w.numpy()).max() == pytest.approx(math.sqrt(6 / (128 * 9)), rel=0.01)
    init.xavier_uniform_(w)
    assert np.abs(w.numpy()).max() == pytest.approx(math.sqrt(6 / (128 * 9 + 256 * 9)), rel=0.01)
    init.zeros_(w)
    assert not w.numpy().any() and w.dtype == np.float32
    with pytest.raises(ValueError, match="mode must be"):
        init.kaiming_normal_(w, mode="fan_avg")
    alias = w.detach()
    init.ones_(w)
    assert alias.numpy().all()  # filled in place: a view of the weight sees it
    empty = nn.Parameter(mn.tensor(np.zeros((3, 0, 3, 3), np.float32)))
    assert init.kaiming_uniform_(empty) is empty and init.kaiming_normal_(empty) is empty
    assert init.calculate_gain("selu") == 0.75 and init.calculate_gain("conv_transpose2d") == 1.0
    for call, error, message in (
            (lambda: init.normal_(w, 0, -1), ValueError, "std >= 0, got -1"),
            (lambda: init.uniform_(w, 1, 0), ValueError, "a <= b, got a=1, b=0"),
            (lambda: init.uniform_(mn.Tensor(np.zeros(3, np.int64))), TypeError, "floating-point"),
            (lambda: init.calculate_gain("leaky_relu", "x"), ValueError, "slope must be a number")):
        with pytest.raises(error, match=message):
            call()
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(nn.Parameter(mn.tensor([1.0])))
    mn.manual_seed(3)
    a = init.normal_(nn.Parameter(mn.tensor(np.zeros(5))), 0, 1).numpy()
    mn.manual_seed(3)
    assert np.array_equal(a, init.normal_(nn.Parameter(mn.tensor(np.zeros(5))), 0, 1).numpy())


def test_forward_hooks_run_and_can_be_removed():
    layer, seen = nn.ReLU(), []
    handle = layer.register_forward_hook(lambda m, inputs, out: seen.append(out.shape))
    layer(mn.tensor([[1.0, -1.0]]))
    handle.remove()
    layer(mn.tensor([[1.0, -1.0]]))
    assert seen == [(1, 2)]


def test_a_forward_hook_that_returns_something_replaces_the_output():
    layer = nn.Linear(2, 3)
    layer.register_forward_hook(lambda m, inputs, out: out * 0)
    layer.register_forward_hook(lambda m, inputs, out: None)  # keeps what the first one gave
    assert layer(mn.tensor([[1.0, 2.0]])).numpy().tolist() == [[0.0, 0.0, 0.0]]


def test_assigning_a_plain_tensor_to_a_parameter_is_refused():
    layer = nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"cannot assign a Tensor to parameter 'weight' of Linear: "
                                        r"expected an nn.Parameter or None"):
        layer.weight = mn.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    layer.weight = nn.Parameter(mn.tensor(np.ones((2, 3), np.float32)))
    layer.bias = None  # still a registered, absent parameter, as bias=False makes it
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert "bias" in layer._parameters and layer(mn.tensor(np.ones((1, 3), np.float32))).shape == (1, 2)
    model = nn.Sequential(nn.ReLU())
    with pytest.raises(TypeError, match="cannot assign a str to sub-module '0' of Sequential"):
        setattr(model, "0", "relu")
    setattr(model, "0", None)  # as in PyTorch, None takes a sub-module out
    assert list(model.children()) == []


def _run(model, x, grad):
    y = model(x)
    y.backward(grad)
    return [y.numpy()] + [p.grad.copy() for p in model.parameters()]


def test_fuse_conv_relu_runs_conv_then_relu_as_one_operation(monkeypatch):
    mn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 3, 1), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(3, 2, 1))
    fast = nn.fuse_conv_relu(model)
    assert [type(m).__name__ for m in fast] == ["Conv2dReLU", "Conv2dReLU", "MaxPool2d", "Conv2d"]
    assert list(fast.state_dict()) == list(model.state_dict())  # same names: checkpoints fit both
    assert all(a is b for a, b in zip(fast.parameters(), model.parameters()))  # shared, not copied
    x = mn.tensor(np.random.default_rng(0).standard_normal((3, 2, 6, 6)).astype(np.float32))
    grad = np.random.default_rng(1).standard_normal((3, 2, 3, 3)).astype(np.float32)
    fused_calls = []
    fused = mn.functional.conv2d_relu
    monkeypatch.setattr(mn.functional, "conv2d_relu", lambda *a, **k: fused_calls.append(1) or fused(*a, **k))
    got = _run(fast, x, grad)
    assert len(fused_calls) == 2  # both conv + ReLU pairs; the last conv has no ReLU
    fused_calls.clear()
    model.zero_grad()
    expected = _run(model, x, grad)  # Sequential runs what it holds: no fusion behind the scenes
    assert not fused_calls
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)


def test_fuse_conv_relu_reaches_into_custom_modules_and_leaves_the_original_alone():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
            self.head = nn.Flatten()

        def forward(self, x):
            return self.head(self.body(x))

    net = Net()
    fast = nn.fuse_conv_relu(net)
    assert type(fast) is Net and type(fast.body[0]) is nn.Conv2dReLU
    assert type(net.body[0]) is nn.Conv2d and len(net.body) == 2
    x = mn.tensor(np.random.default_rng(0).standard_normal((2, 1, 5, 5)).astype(np.float32))
    np.testing.assert_array_equal(fast(x).numpy(), net(x).numpy())
    with pytest.raises(TypeError, match="fuse_conv_relu takes a Module"):
        nn.fuse_conv_relu([nn.Conv2d(1, 2, 3), nn.ReLU()])


def test_forward_hooks_see_both_layers_of_a_fusable_pair():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    seen = []
    model[0].register_forward_hook(lambda module, inputs, output: seen.append(output.numpy().copy()))
    model = nn.fuse_conv_relu(model)
    assert type(model[0]) is nn.Conv2d  # a hooked layer is not fused away
    y = model(mn.tensor(np.random.default_rng(0).standard_normal((2, 1, 5, 5)).astype(np.float32)))
    assert len(seen) == 1 and (seen[0] < 0).any()  # the convolution's output, before the ReLU
    np.testing.assert_array_equal(y.numpy(), np.maximum(seen[0], 0))


def _with_buffers(nn, t):
    """A module with a persistent float buffer, an integer one, a non-persistent one and a
    child with its own buffer, written once for minin and once for PyTorch."""
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("running_mean", t.zeros(3))
            self.fc = nn.Linear(3, 2)
            self.register_buffer("steps", t.tensor(0))
            self.register_buffer("scratch", t.ones(2), persistent=False)
            self.inner = nn.Sequential(nn.Linear(2, 2))
            self.inner.register_buffer("seen", t.zeros(1))

        def forward(self, x):
            return self.inner(self.fc(x - self.running_mean))

    return Counter()


def test_buffers_are_registered_saved_loaded_and_moved_as_in_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = _with_buffers(nn, mn), _with_buffers(torch.nn, torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert len(list(ours.buffers())) == 4
    state = {k: v.numpy() for k, v in theirs.state_dict().items()}
    state["running_mean"] = np.array([1.0, 2.0, 3.0])
    state["steps"] = np.array(5)
    assert ours.load_state_dict(state) == ([], [])
    assert ours.running_mean.tolist() == [1.0, 2.0, 3.0] and ours.steps.item() == 5
    del state["inner.seen"]
    with pytest.raises(KeyError, match=r"missing key\(s\) 'inner.seen'"):
        ours.load_state_dict(state)
    ours.to(mn.float64)  # floating-point buffers only, as in PyTorch
    assert ours.running_mean.dtype == np.float64 and ours.steps.dtype == np.int64
    assert ours.scratch.dtype == np.float64 and ours.fc.weight.dtype == np.float64
    ours.running_mean = mn.ones(3, dtype=mn.float64)  # assigning to a buffer replaces it
    assert ours.state_dict()["running_mean"].tolist() == [1.0, 1.0, 1.0]
    del ours.steps
    assert "steps" not in ours.state_dict()


def test_buffer_mistakes_are_clear_errors():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="register_buffer: cannot register a list as buffer 'b'"):
        m.register_buffer("b", [1.0])
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.register_buffer("weight", mn.zeros(1))
    with pytest.raises(KeyError, match="without '.'"):
        m.register_buffer("a.b", mn.zeros(1))
    m.register_buffer("b", mn.zeros(1))
    with pytest.raises(TypeError, match="cannot assign a float to buffer 'b' of Linear"):
        m.b = 1.0


def test_zero_grad_set_to_none_false_zeroes_the_gradients_in_place():
    torch = pytest.importorskip("torch")
    for lib in (mn, torch):
        layer = lib.nn.Linear(2, 1)
        layer(lib.ones(3, 2)).sum().backward()
        grad = layer.weight.grad
        layer.zero_grad(set_to_none=False)
        assert layer.weight.grad is grad and grad.tolist() == [[0.0, 0.0]]
        layer.zero_grad()
        assert layer.weight.grad is None


def stack(nn):
    """A module that keeps its layers in a ModuleList, as PyTorch programs do, built on ``nn``."""

    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(3, 4), nn.Linear(4, 2)])
            self.layers.insert(1, nn.ReLU())

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x
    return Stack()


def test_module_list_registers_its_modules_as_pytorch_does():
    torch = pytest.importorskip("torch")
    ours, theirs = stack(nn), stack(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == \
        ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(mn.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    ours(mn.tensor(x)).sum().backward()
    assert all(p.grad is not None for p in ours.parameters())


def test_module_list_behaves_as_a_list():
    layers = nn.ModuleList()
    assert len(layers) == 0 and list(layers) == []
    relu, flat = nn.ReLU(), nn.Flatten()
    assert layers.append(relu) is layers
    layers.extend([nn.Identity(), flat])
    layers += [nn.Sigmoid()]
    assert [type(m).__name__ for m in layers] == ["ReLU", "Identity", "Flatten", "Sigmoid"]
    assert layers[0] is relu and layers[-2] is flat
    part = layers[1:3]
    assert isinstance(part, nn.ModuleList) and list(part) == [layers[1], flat]
    layers[1] = nn.Tanh()
    assert isinstance(layers[1], nn.Tanh) and len(layers) == 4
    del layers[0]
    assert [name for name, _ in layers.named_children()] == ["0", "1", "2"] and layers[1] is flat
    layers.insert(-1, relu)
    assert [type(m).__name__ for m in layers] == ["Tanh", "Flatten", "ReLU", "Sigmoid"]
    with pytest.raises(IndexError, match="ModuleList index 4 is out of range for 4 modules"):
        layers[4]
    with pytest.raises(TypeError, match="ModuleList holds Modules, got int"):
        layers.append(3)
    with pytest.raises(TypeError, match="indices must be ints or slices, got str"):
        layers["0"]


def test_layers_take_numpy_integers_as_pytorch_does():
    conv, linear = nn.Conv2d(np.int64(1), np.int64(3), 3), nn.Linear(np.int32(4), np.int64(2))
    assert repr(conv) == "Conv2d(1, 3, kernel_size=(3, 3), stride=(1, 1))"
    assert conv.weight.shape == (3, 1, 3, 3) and linear.weight.shape == (2, 4)
    with pytest.raises(ValueError, match="Linear: in_features must be a positive int, got True"):
        nn.Linear(True, 2)
