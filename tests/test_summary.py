"""minin.summary: the table, its totals, and the seed's cost arithmetic."""

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
