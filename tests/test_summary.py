"""summary(): the notes' layer counts, totals equal to PyTorch's, and no side effects on the model."""

import numpy as np
import pytest
import torch

from dlcourse import nn
from dlcourse.summary import summary


def _lenet(dtype=np.float64):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, rng=0, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2, stride=2),
        nn.Conv2d(6, 16, 5, rng=1, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2, stride=2),
        nn.Flatten(), nn.Linear(400, 120, rng=2, dtype=dtype), nn.ReLU(), nn.Linear(120, 10, rng=3, dtype=dtype),
    )


def test_notes_counts_come_out_of_the_table():
    table = summary(_lenet(), (1, 1, 32, 32))
    conv1, pool1, conv2 = table.rows[0], table.rows[2], table.rows[3]
    # 6 filters of 5x5 on 32x32: 28x28x6 neurons, 150 weights (156 with the biases)
    assert conv1.kind == "Conv2d" and conv1.output_shape == (1, 6, 28, 28)
    assert conv1.neurons == 28 * 28 * 6 and conv1.weights == 150 and conv1.biases == 6 and conv1.params == 156
    assert pool1.output_shape == (1, 6, 14, 14) and pool1.params == 0
    # 16 filters of 5x5x6 on 14x14x6: 10x10x16 = 1600 neurons, 2400 weights
    assert conv2.output_shape == (1, 16, 10, 10) and conv2.neurons == 1600
    assert conv2.weights == 2400 and conv2.biases == 16
    assert table.output_shape == (1, 10) and len(table.rows) == 10
    text = str(table)
    for piece in ("Conv2d", "(1, 6, 28, 28)", "4,704", "150", "1,600", "2,400", "Total params: 51,902"):
        assert piece in text


def test_totals_match_torch():
    model = _lenet()
    ref = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Conv2d(6, 16, 5),
        torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(400, 120), torch.nn.ReLU(),
        torch.nn.Linear(120, 10),
    )
    table = summary(model, (2, 1, 32, 32))
    assert table.total_params == sum(p.numel() for p in ref.parameters()) == 51_902
    assert table.total_biases == 6 + 16 + 120 + 10
    assert table.trainable_params == table.total_params
    shapes = [tuple(s) for s in _torch_output_shapes(ref, torch.zeros(2, 1, 32, 32))]
    assert [row.output_shape for row in table.rows] == shapes


def _torch_output_shapes(model, x):
    shapes = []
    for layer in model:
        x = layer(x)
        shapes.append(x.shape)
    return shapes


def test_nested_blocks_and_depth():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, rng=0), nn.ResidualBlock(8, 16, 2, rng=1),
                          nn.InceptionBlock(16, 4, 4, 8, 2, 4, 4, rng=2), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(20, 10, rng=3))
    deep = summary(model, (2, 3, 16, 16))
    flat = summary(model, (2, 3, 16, 16), depth=1)
    assert [row.name for row in flat.rows] == ["0", "1", "2", "3", "4", "5"]
    assert flat.rows[1].output_shape == (2, 16, 8, 8) and flat.rows[2].output_shape == (2, 20, 8, 8)
    assert flat.rows[1].params == sum(p.data.size for p in model[1].parameters())
    assert "1.shortcut.0" in [row.name for row in deep.rows]
    block_row = next(row for row in deep.rows if row.name == "1")
    assert block_row.shows_children and "--" in str(deep)
    assert deep.total_params == flat.total_params == sum(p.data.size for p in model.parameters())
    assert sum(row.params for row in flat.rows) == flat.total_params


def test_summary_leaves_the_model_as_it_was():
    model = nn.Sequential(nn.Conv2d(2, 4, 3, rng=0), nn.BatchNorm2d(4), nn.ReLU())
    x = np.random.default_rng(0).normal(size=(3, 2, 6, 6))
    y = model(x)
    running_mean = model[1].running_mean.copy()
    summary(model, (1, 2, 6, 6))                 # batch 1 would fail batch norm in training mode
    assert model.training and all(m.training for m in model.modules())
    np.testing.assert_array_equal(model[1].running_mean, running_mean)
    assert all("forward" not in m.__dict__ for m in model.modules())
    dx = model.backward(np.ones_like(y))        # the caches still belong to the earlier forward
    assert dx.shape == x.shape
    model.eval()
    summary(model, (1, 2, 6, 6))
    assert not model.training


def test_float32_model_and_single_layer():
    table = summary(nn.Conv2d(1, 6, 5, dtype=np.float32), (1, 1, 32, 32))
    assert [row.name for row in table.rows] == ["Conv2d"]
    assert table.rows[0].neurons == 4704 and table.total_weights == 150
    assert summary(_lenet(np.float32), (4, 1, 32, 32)).output_shape == (4, 10)


def test_wrong_input_shape_reports_the_layer_error_and_restores_the_model():
    model = _lenet()
    with pytest.raises(ValueError, match="expected input with 1 channels"):
        summary(model, (1, 3, 32, 32))
    assert all("forward" not in m.__dict__ for m in model.modules()) and model.training
