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
