"""minin.summary: the table, its totals, and the seed's cost arithmetic."""

import re

import numpy as np
import pytest

import minin as mn
from minin import nn
from minin.models import alexnet, nin


def test_the_seeds_two_convolution_costs():
    direct = nn.Sequential(nn.Conv2d(192, 256, 3, padding=1))
    bottleneck = nn.Sequential(nn.Conv2d(192, 96, 1), nn.Conv2d(96, 256, 3, padding=1))
    assert mn.summary(direct, (192, 32, 32)).total_macs == 452_984_832
    assert mn.summary(bottleneck, (192, 32, 32)).total_macs == 245_366_784


def test_totals_rows_and_sizes_of_the_d2l_nin():
    result = mn.summary(nin("d2l"), (1, 224, 224))
    assert result.total_params == result.trainable_params == 1_992_166
    assert result.total_macs == 762_297_352
    first = result.rows[1]
    assert (first.name, first.kind, first.output_shape) == ("0", "Sequential", (1, 96, 54, 54))
    conv = [r for r in result.rows if r.name == "0.0"][0]
    assert conv.macs == 96 * 1 * 11 * 11 * 54 * 54 and conv.params == 96 * 121 + 96
    assert result.weight_bytes == 4 * 1_992_166


def test_the_table_names_macs_and_the_weight_size():
    text = str(mn.summary(alexnet(), (3, 224, 224)))
    assert "MACs (mult-adds)" in text and "FLOPs ≈ 2 × MACs" in text
    assert "Total params: 61,100,840" in text
    assert "244.40 MB (233.08 MiB)" in text  # the seed's "AlexNet 230M"


def test_batch_size_multiplies_macs_and_model_mode_is_kept():
    model = nin("small")
    one, four = mn.summary(model, (1, 28, 28)), mn.summary(model, (1, 28, 28), batch_size=4)
    assert four.total_macs == 4 * one.total_macs and four.rows[-1].output_shape == (4, 10)
    assert model.training
    assert not model._forward_hooks and all(not m._forward_hooks for m in model.modules())


def test_each_module_keeps_its_own_mode():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Dropout(0.5), nn.Flatten(), nn.Linear(144, 3))
    model[1].eval()
    mn.summary(model, (1, 8, 8))
    assert [m.training for m in model.modules()] == [True, True, False, True, True]


def test_a_module_used_twice_is_one_row_under_its_first_name():
    shared = nn.Conv2d(4, 4, 1)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), shared, nn.ReLU(), shared)
    table = mn.summary(model, (1, 8, 8))
    assert [row.name for row in table.rows] == ["", "0", "1", "2"]
    assert table.rows[0].macs == 4 * 36 * 9 + 2 * 16 * 36  # the shared layer runs twice


def test_summary_needs_a_module():
    with pytest.raises(TypeError, match="needs an nn.Module"):
        mn.summary(lambda x: x, (1, 2, 2))


def test_the_caffe_imagenet_nin_costs_1_10_g_macs():
    result = mn.summary(nin("imagenet"), (3, 224, 224))
    assert result.total_params == 7_595_176 and result.total_macs == 1_100_188_800
    assert [r.output_shape[2] for r in result.rows if r.kind == "MaxPool2d"] == [27, 13, 6]


def small_nin_cost(head, mlp_depth, mlp_kernel):
    """Parameters and MACs of the small NiN worked out by hand: (in, out, kernel, map size)
    for every convolution, then the head."""
    layers = []
    for cin, width, kernel, size, out in [(1, 64, 5, 28, 64), (64, 128, 3, 13, 128), (128, 192, 3, 6, 192),
                                          (192, 192, 3, 2, 10)]:
        widths = [width] * (mlp_depth + 1)
        widths[-1] = out
        layers.append((cin, widths[0], kernel, size))
        layers += [(w_in, w_out, mlp_kernel, size) for w_in, w_out in zip(widths, widths[1:])]
    params = sum(o * i * k * k + o for i, o, k, _ in layers)
    macs = sum(o * i * k * k * s * s for i, o, k, s in layers)
    if head.startswith("fc"):
        params, macs = params + 40 * 10 + 10, macs + 40 * 10
    return params, macs


@pytest.mark.parametrize("head, mlp_depth, mlp_kernel", [
    ("gap", 2, 1), ("fc", 2, 1), ("fc-dropout", 2, 1), ("gmp", 2, 1),
    ("gap", 0, 1), ("gap", 1, 1), ("gap", 3, 1), ("gap", 2, 3), ("fc", 0, 3)])
def test_every_switched_model_has_its_summary_row(head, mlp_depth, mlp_kernel):
    model = nin("small", head=head, mlp_depth=mlp_depth, mlp_kernel=mlp_kernel)
    result = mn.summary(model, (1, 28, 28))
    assert (result.total_params, result.total_macs) == small_nin_cost(head, mlp_depth, mlp_kernel)
    last = result.rows[-1]
    assert last.output_shape == (1, 10)
    if head.startswith("fc"):
        linear = [r for r in result.rows if r.kind == "Linear"][0]
        assert (linear.params, linear.macs) == (410, 400)
    else:
        pool = [r for r in result.rows if r.kind in ("GlobalAvgPool2d", "GlobalMaxPool2d")][0]
        assert (pool.params, pool.macs, pool.output_shape) == (0, 0, (1, 10))


@pytest.mark.parametrize("init", ["nin", "torch", "xavier"])
def test_initialisation_changes_no_count(init):
    result = mn.summary(nin("small", init=init), (1, 28, 28))
    assert (result.total_params, result.total_macs) == (783_306, 37_773_824)


# Bad input, layers that fail, and models of other shapes.

@pytest.mark.parametrize("shape, error, message", [
    ((1, -28, 28), ValueError, r"every size of input_shape must be at least 1, got \(1, -28, 28\)"),
    ((1, 0, 28), ValueError, r"every size of input_shape must be at least 1, got \(1, 0, 28\)"),
    ((1, 28.5, 28), TypeError, r"input_shape must hold ints, got \(1, 28.5, 28\)"),
    (28, TypeError, r"input_shape must be a sequence of sizes without the batch, e\.g\. \(1, 28, 28\), got int 28"),
    ("1x28x28", TypeError, "got str '1x28x28'")])
def test_a_bad_input_shape_is_named(shape, error, message):
    with pytest.raises(error, match=message):
        mn.summary(nn.Sequential(nn.Flatten()), shape)


@pytest.mark.parametrize("batch_size", [0, -1, 1.5, True, "2"])
def test_a_bad_batch_size_is_named(batch_size):
    with pytest.raises(ValueError, match=f"summary: batch_size must be a positive int, got {batch_size!r}"):
        mn.summary(nn.Sequential(nn.Flatten()), (2,), batch_size=batch_size)


def test_an_input_too_large_to_make_is_a_memory_error_naming_its_shape():
    with pytest.raises(MemoryError, match=r"summary: an input of shape \(1, 100000, 100000, 100000\) "
                                          r"\(4,000,000,000,000,000 bytes of float32\) does not fit"):
        mn.summary(nn.Sequential(nn.Flatten()), (10**5, 10**5, 10**5))


class Branches(nn.Module):
    def __init__(self, second_in=4):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
        self.heads = nn.ModuleList([nn.Linear(4, 3), nn.Linear(second_in, 2)])

    def forward(self, x):
        x = self.trunk(x)
        return tuple(head(x) for head in self.heads)


def test_the_layer_a_forward_pass_fails_in_is_named():
    with pytest.raises(ValueError, match=r"^summary: layer 'heads\.1' \(Linear\) failed on an input of shape "
                                         r"\(2, 4\): linear: input has 4 features but the weight expects 5") as info:
        mn.summary(Branches(second_in=5), (4,), batch_size=2)
    assert isinstance(info.value.__cause__, ValueError)
    model = nin("small")
    with pytest.raises(ValueError, match=r"layer '0\.0' \(Conv2d\) failed on an input of shape \(1, 3, 28, 28\)"):
        mn.summary(model, (3, 28, 28))
    # Nothing is left behind: no hook, no wrapped forward, the training mode as it was.
    assert model.training and all(not m._forward_hooks and "forward" not in vars(m) for m in model.modules())
    with pytest.raises(ValueError, match=r"^summary: the model \(Linear\) failed on an input of shape \(1, 3\)"):
        mn.summary(nn.Linear(2, 2), (3,))


def test_a_layer_with_several_outputs_lists_their_shapes():
    result = mn.summary(nn.Sequential(Branches()), (4,), batch_size=2)
    assert result.rows[0].output_shape == result.rows[1].output_shape == ((2, 3), (2, 2))
    assert re.search(r"^Branches: 0 +\[\[2, 3\], \[2, 2\]\] +45 +72$", str(result), re.M)
    assert [r.name for r in result.rows] == ["", "0", "0.trunk", "0.trunk.0", "0.trunk.1", "0.heads.0",
                                             "0.heads.1"]


def torch_counts(model, x):
    """Each submodule's output shape and parameter count in PyTorch, by the same hooks."""
    shapes = {}
    handles = [m.register_forward_hook(lambda m, i, out, name=name: shapes.__setitem__(
        name, tuple(out.shape) if hasattr(out, "shape") else tuple(tuple(o.shape) for o in out)))
               for name, m in model.named_modules()]
    model(x)
    for h in handles:
        h.remove()
    return shapes, sum(p.numel() for p in model.parameters())


def test_shared_layers_module_lists_and_buffers_count_as_in_pytorch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn

    class TorchBranches(tnn.Module):
        def __init__(self):
            super().__init__()
            self.trunk = tnn.Sequential(tnn.Linear(4, 4), tnn.ReLU())
            self.heads = tnn.ModuleList([tnn.Linear(4, 3), tnn.Linear(4, 2)])
            self.register_buffer("scale", torch.ones(4))

        def forward(self, x):
            x = self.trunk(x) * self.scale
            return tuple(head(x) for head in self.heads)

    class Buffered(Branches):
        def __init__(self):
            super().__init__()
            self.register_buffer("scale", mn.ones(4))

        def forward(self, x):
            x = self.trunk(x) * self.scale
            return tuple(head(x) for head in self.heads)

    shared_t = tnn.Linear(4, 4)
    cases = [(Buffered(), TorchBranches())]
    shared = nn.Linear(4, 4)
    cases.append((nn.Sequential(shared, nn.ReLU(), shared, nn.Flatten()),
                  tnn.Sequential(shared_t, tnn.ReLU(), shared_t, tnn.Flatten())))
    cases.append((nn.Sequential(nn.ReLU(), nn.Flatten()), tnn.Sequential(tnn.ReLU(), tnn.Flatten())))
    for ours, theirs in cases:
        result = mn.summary(ours, (4,), batch_size=3)
        shapes, params = torch_counts(theirs, torch.zeros(3, 4))
        assert result.total_params == params
        assert {r.name: r.output_shape for r in result.rows} == {name: shapes[name] for name in
                                                                   (r.name for r in result.rows)}


@pytest.mark.parametrize("dtype", [mn.float64, mn.float16])
def test_a_model_of_another_float_dtype_gets_inputs_of_its_dtype(dtype):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(18, 3)).to(dtype)
    result = mn.summary(model, (1, 5, 5))
    assert result.rows[-1].output_shape == (1, 3) and result.total_params == 77
    assert result.weight_bytes == 77 * np.dtype(dtype).itemsize
