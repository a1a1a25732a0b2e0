"""The digits CNN of chapter 11, trained once and shipped as weights (chapter 12 looks inside it).

``dlcourse/data/digits_cnn.npz`` holds the parameters of a :class:`dlcourse.models.LeNet`
trained by :func:`dlcourse.models.train_digits_cnn` with :data:`TRAINING` (a fixed seed, so
``python -m dlcourse.pretrained`` rebuilds the same file), and the test accuracy it reached on
``load_digits_split(seed=0)``'s test set. It is package data, so a grading sandbox that sees
only the installed library finds it.

Besides the model itself, three plain functions of a batch ``x`` of shape (N, 1, 8, 8) give
what the inspection techniques need from it (the parameters stay fixed, their ``.grad`` is
never touched):

* :func:`digits_cnn_probabilities` — softmax(S(x)), shape (N, 10);
* :func:`digits_cnn_input_gradient` — ∂(Σ g ⊙ S(x))/∂x for a given g = ∂L/∂S, shape of x;
* :func:`digits_cnn_loss_gradient` — ∂/∂x of Σ_n −log softmax(S(x_n))[y_n], shape of x;

and :func:`digits_cnn_layers` lists its layers as plain data.
"""

from pathlib import Path

import numpy as np

from dlcourse.functional.softmax import log_softmax, softmax
from dlcourse.models import LeNet, train_digits_cnn

__all__ = ["WEIGHTS", "TRAINING", "load_digits_cnn", "digits_cnn_test_accuracy", "digits_cnn_probabilities",
           "digits_cnn_input_gradient", "digits_cnn_loss_gradient", "digits_cnn_layers", "rebuild_digits_cnn"]

WEIGHTS = Path(__file__).resolve().parent / "data" / "digits_cnn.npz"
TRAINING = {"epochs": 20, "seed": 0}     # the arguments of train_digits_cnn that made the file
_frozen = {}


def _stored():
    with np.load(WEIGHTS, allow_pickle=False) as saved:
        return {key: saved[key].copy() for key in saved.files}


def load_digits_cnn():
    """A fresh :class:`~dlcourse.models.LeNet` (float64, evaluation mode) with the shipped weights."""
    stored = _stored()
    model = LeNet(rng=0)
    params = list(model.parameters())
    for index, param in enumerate(params):
        value = stored[f"param{index}"]
        if value.shape != param.data.shape:
            raise ValueError(f"{WEIGHTS.name}: parameter {index} has shape {value.shape}, LeNet expects "
                             f"{param.data.shape}; rebuild it with `python -m dlcourse.pretrained`")
        param.data[...] = value
    if f"param{len(params)}" in stored:
        raise ValueError(f"{WEIGHTS.name} holds more parameters than LeNet has")
    return model.eval()


def digits_cnn_test_accuracy():
    """The test accuracy the shipped network reached on ``load_digits_split(seed=0)`` when it was saved."""
    return float(_stored()["test_accuracy"])


def _model():
    """One shared copy with frozen parameters, for the functions below."""
    if "model" not in _frozen:
        model = load_digits_cnn()
        for param in model.parameters():
            param.requires_grad = False      # backward leaves .grad alone
        _frozen["model"] = model
    return _frozen["model"]


def _batch(x):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4 or x.shape[1:] != (1, 8, 8):
        raise ValueError(f"the digits CNN takes a batch of shape (N, 1, 8, 8), got shape {x.shape}")
    return x


def digits_cnn_probabilities(x):
    """softmax(S(x)) for a batch x (N, 1, 8, 8): the class probabilities, shape (N, 10)."""
    return softmax(_model().forward(_batch(x)), dim=1)


def digits_cnn_input_gradient(x, grad_scores):
    """∂(Σ_{n,c} g[n, c] S_c(x_n)) / ∂x for g = ``grad_scores`` (N, 10): one forward and one
    backward pass; g = one-hot(c) gives ∂S_c/∂x. Returns (N, 1, 8, 8)."""
    x = _batch(x)
    grad_scores = np.asarray(grad_scores, dtype=np.float64)
    if grad_scores.shape != (len(x), 10):
        raise ValueError(f"grad_scores must have shape {(len(x), 10)} (one row of 10 class scores per image), "
                         f"got {grad_scores.shape}")
    model = _model()
    model.forward(x)
    return model.backward(grad_scores)


def digits_cnn_loss_gradient(x, y):
    """∂/∂x of the summed cross-entropy Σ_n −log softmax(S(x_n))[y_n]; y (N,) labels.
    Each image's gradient is that of its own loss. Returns (N, 1, 8, 8)."""
    x = _batch(x)
    y = np.asarray(y)
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() > 9:
        raise ValueError(f"y must hold one integer label in 0..9 per image, shape {(len(x),)}; got {y!r:.80}")
    model = _model()
    grad = np.exp(log_softmax(model.forward(x), dim=1))
    grad[np.arange(len(x)), y] -= 1.0
    return model.backward(grad)


def _side(value):
    """One int from an int or a square (rows, columns) pair."""
    return int(value) if np.ndim(value) == 0 else int(value[0])


def digits_cnn_layers():
    """The network as plain data, layer by layer::

        ("conv", w, b, stride, padding)  ("relu",)  ("maxpool", size, stride)
        ("flatten",)                     ("linear", w, b)    # y = x @ w.T + b
    """
    layers = []
    for layer in _model():
        kind = type(layer).__name__
        if kind == "Conv2d":
            layers.append(("conv", layer.weight.data.copy(), layer.bias.data.copy(), _side(layer.stride),
                           _side(layer.padding)))
        elif kind == "ReLU":
            layers.append(("relu",))
        elif kind == "MaxPool2d":
            layers.append(("maxpool", _side(layer.kernel_size), _side(layer.stride)))
        elif kind == "Flatten":
            layers.append(("flatten",))
        elif kind == "Linear":
            layers.append(("linear", layer.weight.data.copy(), layer.bias.data.copy()))
        else:
            raise TypeError(f"digits_cnn_layers cannot describe a {kind} layer")
    return layers


def rebuild_digits_cnn(path=WEIGHTS, progress=True):
    """Train the network again with :data:`TRAINING` and save it to ``path``; returns its test accuracy."""
    model, _, test_accuracy = train_digits_cnn(progress=progress, **TRAINING)
    arrays = {f"param{i}": param.data for i, param in enumerate(model.parameters())}
    np.savez_compressed(path, test_accuracy=np.float64(test_accuracy), **arrays)
    _frozen.clear()
    return test_accuracy


if __name__ == "__main__":
    print(f"test accuracy {rebuild_digits_cnn():.4f}, saved to {WEIGHTS}")
