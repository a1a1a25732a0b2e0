import numpy as np
import pytest
import torch

from dlcourse import nn
from dlcourse.datasets import load_digits_split
from dlcourse.models import LeNet, LeNet5, accuracy, train_digits_cnn


def to_torch(model):
    """The same network in PyTorch, with the same weights (float64)."""
    layers = []
    for layer in model:
        if isinstance(layer, nn.Conv2d):
            t = torch.nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                                stride=layer.stride, padding=layer.padding, dtype=torch.float64)
        elif isinstance(layer, nn.Linear):
            t = torch.nn.Linear(*layer.weight.data.shape[::-1], dtype=torch.float64)
        elif isinstance(layer, nn.ReLU):
            t = torch.nn.ReLU()
        elif isinstance(layer, nn.MaxPool2d):
            t = torch.nn.MaxPool2d(2)
        elif isinstance(layer, nn.Flatten):
            t = torch.nn.Flatten()
        else:
            raise TypeError(type(layer))
        if hasattr(layer, "weight"):
            with torch.no_grad():
                t.weight.copy_(torch.from_numpy(layer.weight.data))
                t.bias.copy_(torch.from_numpy(layer.bias.data))
        layers.append(t)
    return torch.nn.Sequential(*layers)


def test_lenet_shapes_follow_the_layer_table():
    model = LeNet(rng=0)
    x = np.random.default_rng(1).uniform(0, 1, (5, 1, 8, 8))
    shapes = []
    for layer in model:
        x = layer(x)
        shapes.append(x.shape)
    assert shapes == [(5, 16, 8, 8), (5, 16, 8, 8), (5, 16, 4, 4), (5, 32, 4, 4), (5, 32, 4, 4),
                      (5, 32, 2, 2), (5, 128), (5, 64), (5, 64), (5, 10)]


def test_lenet5_has_the_notes_parameter_counts_and_shapes():
    model = LeNet5(rng=0)
    assert model[0].weight.size == 6 * 25 == 150          # "6 × 25 = 150 parameters"
    assert model[3].weight.size == 5 * 5 * 6 * 16 == 2400  # "the number of parameters are 2400"
    x = np.random.default_rng(1).uniform(0, 1, (2, 1, 28, 28))
    assert model[:1](x).shape == (2, 6, 28, 28)            # 28 × 28 × 6 neurons
    assert model[:4](x).shape == (2, 16, 10, 10)           # 10 × 10 × 16 = 1600 neurons
    assert model(x).shape == (2, 10)


@pytest.mark.parametrize("make, side", [(LeNet, 8), (LeNet5, 28)])
def test_forward_and_backward_match_torch(make, side):
    model = make(rng=3)
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 1, (3, 1, side, side))
    grad_out = rng.standard_normal((3, 10))
    y = model(x)
    dx = model.backward(grad_out)

    reference = to_torch(model)
    xt = torch.tensor(x, requires_grad=True)
    yt = reference(xt)
    yt.backward(torch.from_numpy(grad_out))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    for ours, theirs in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_initialisation_is_seeded():
    a, b, c = LeNet(rng=7), LeNet(rng=np.random.default_rng(7)), LeNet(rng=8)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
        assert not np.array_equal(pa.data, pc.data)


def test_float32_model_keeps_float32():
    model = LeNet(rng=0, dtype=np.float32)
    y = model(np.zeros((2, 1, 8, 8), dtype=np.float32))
    assert y.dtype == np.float32


def test_bad_image_size_is_named():
    with pytest.raises(ValueError, match="divisible by 4.*got 10"):
        LeNet(image_size=10)


def test_lenet_learns_the_digits():
    model, history, test_accuracy = train_digits_cnn(seed=0, progress=False)
    assert test_accuracy >= 0.97
    assert len(history["loss"]) == 20
    assert history["loss"][-1] < 0.25 * history["loss"][0]
    assert history["val_acc"][-1] == pytest.approx(test_accuracy)
    assert not model.training
    _, x_test, _, y_test = load_digits_split(seed=0)
    assert accuracy(model, x_test, y_test) == test_accuracy
