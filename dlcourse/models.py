"""LeNet-style convolutional networks (chapter "Convolutional Neural Network").

The notes' example network (LeCun et al. 1998): 6 filters of 5×5 (150 weights)
→ max pooling with stride 2 → 16 filters of 5×5×6 (2400 weights, 10×10×16
neurons) → pooling → fully connected layers, which hold most of the weights.

* :class:`LeNet5` is that network for 28×28 MNIST digits (padding 2 keeps the
  first maps at 28×28, as the original's 32×32 input did without padding).
* :class:`LeNet` is the same design scaled to scikit-learn's 8×8 digits:
  3×3 filters with padding 1, two 2×2 poolings (8 → 4 → 2), a hidden layer.

Both are :class:`~dlcourse.nn.Sequential`, so ``model[k]`` is layer k, which
is how :mod:`dlcourse.inspect` names the layer to look into.
:func:`train_digits_cnn` trains a :class:`LeNet` with Adam on the digits.
"""

import numpy as np

from dlcourse.datasets import load_digits_split
from dlcourse.nn import Conv2d, CrossEntropyLoss, Flatten, Linear, MaxPool2d, ReLU, Sequential
from dlcourse.optim import Adam
from dlcourse.train import categorical_accuracy, fit, predict

__all__ = ["LeNet", "LeNet5", "accuracy", "train_digits_cnn"]


class LeNet(Sequential):
    """LeNet for 1×8×8 digits; with the defaults (shapes for a batch of N)::

        0 Conv2d(1, 16, 3, padding=1)   (N, 16, 8, 8)
        1 ReLU
        2 MaxPool2d(2)                  (N, 16, 4, 4)
        3 Conv2d(16, 32, 3, padding=1)  (N, 32, 4, 4)
        4 ReLU
        5 MaxPool2d(2)                  (N, 32, 2, 2)
        6 Flatten                       (N, 128)
        7 Linear(128, 64)
        8 ReLU
        9 Linear(64, 10)                (N, 10) class scores (logits)

    ``rng`` (a Generator or a seed) draws the initial weights, PyTorch's
    default uniform(±1/√fan_in) for every layer.
    """

    def __init__(self, in_channels=1, num_classes=10, channels=(16, 32), hidden=64,
                 image_size=8, rng=None, dtype=np.float64):
        if image_size % 4:
            raise ValueError(f"image_size must be divisible by 4 (two 2×2 poolings), got {image_size}")
        rng = np.random.default_rng(rng)
        c1, c2 = channels
        side = image_size // 4
        super().__init__(
            Conv2d(in_channels, c1, 3, padding=1, rng=rng, dtype=dtype),
            ReLU(),
            MaxPool2d(2),
            Conv2d(c1, c2, 3, padding=1, rng=rng, dtype=dtype),
            ReLU(),
            MaxPool2d(2),
            Flatten(),
            Linear(c2 * side * side, hidden, rng=rng, dtype=dtype),
            ReLU(),
            Linear(hidden, num_classes, rng=rng, dtype=dtype),
        )


class LeNet5(Sequential):
    """The notes' LeNet-5 for 1×28×28 MNIST digits (shapes for a batch of N)::

        0 Conv2d(1, 6, 5, padding=2)    (N, 6, 28, 28)    150 weights + 6 biases
        1 ReLU
        2 MaxPool2d(2)                  (N, 6, 14, 14)
        3 Conv2d(6, 16, 5)              (N, 16, 10, 10)   2400 weights + 16 biases
        4 ReLU
        5 MaxPool2d(2)                  (N, 16, 5, 5)
        6 Flatten                       (N, 400)
        7 Linear(400, 120), 8 ReLU, 9 Linear(120, 84), 10 ReLU,
        11 Linear(84, 10)               (N, 10) class scores

    (The original used tanh-like units and average pooling; ReLU and max
    pooling are today's choice.)
    """

    def __init__(self, in_channels=1, num_classes=10, rng=None, dtype=np.float64):
        rng = np.random.default_rng(rng)
        super().__init__(
            Conv2d(in_channels, 6, 5, padding=2, rng=rng, dtype=dtype),
            ReLU(),
            MaxPool2d(2),
            Conv2d(6, 16, 5, rng=rng, dtype=dtype),
            ReLU(),
            MaxPool2d(2),
            Flatten(),
            Linear(16 * 5 * 5, 120, rng=rng, dtype=dtype),
            ReLU(),
            Linear(120, 84, rng=rng, dtype=dtype),
            ReLU(),
            Linear(84, num_classes, rng=rng, dtype=dtype),
        )


class _CosineSteps:
    """An optimizer whose learning rate follows half a cosine, step by step:
    η_t = η_0 · ½ (1 + cos(π t / T)) after t of T steps (Loshchilov & Hutter)."""

    def __init__(self, optimizer, total_steps):
        self.optimizer = optimizer
        self.total_steps = total_steps
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.t = 0

    def zero_grad(self):
        self.optimizer.zero_grad()

    def step(self):
        self.optimizer.step()
        self.t = min(self.t + 1, self.total_steps)
        factor = 0.5 * (1.0 + np.cos(np.pi * self.t / self.total_steps))
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = base * factor


def accuracy(model, x, y):
    """Fraction of the images in ``x`` whose highest score is the label ``y``
    (evaluation mode, the model's mode is restored)."""
    return categorical_accuracy(np.asarray(y), predict(model, x, batch_size=512))


def train_digits_cnn(epochs=20, seed=0, progress=True, lr=3e-3, batch_size=32, data=None):
    """Train a :class:`LeNet` with Adam on the 8×8 digits (a stratified 75/25 split).

    Mini-batches of ``batch_size`` by :func:`dlcourse.train.fit`; the learning
    rate follows half a cosine from ``lr`` down to 0 over all the steps, which
    settles the last epochs (about 98% test accuracy with the defaults).
    ``seed`` fixes the split, the initial weights and the batch order;
    ``data`` = (x_train, x_test, y_train, y_test) overrides the split.

    Returns ``(model, history, test_accuracy)``: the trained model in
    evaluation mode, the :class:`dlcourse.train.History` (keys "loss", "acc"
    on the training batches, "val_loss", "val_acc" on the test set), and the
    final test accuracy. The test set is only watched, never used to choose
    anything (no early stopping).
    """
    x_train, x_test, y_train, y_test = load_digits_split(seed=seed) if data is None else data
    rng = np.random.default_rng(seed)
    model = LeNet(rng=rng, dtype=x_train.dtype)
    steps = epochs * -(-len(x_train) // batch_size)
    optimizer = _CosineSteps(Adam(model.parameters(), lr=lr), steps)
    history = fit(model, CrossEntropyLoss(), optimizer, x_train, y_train, epochs=epochs,
                  batch_size=batch_size, rng=rng, validation_data=(x_test, y_test),
                  metrics={"acc": categorical_accuracy}, progress=progress)
    model.eval()
    return model, history, accuracy(model, x_test, y_test)
