"""Chapter 11's hidden cases: the instructor's side only (the release never contains them).

Each function is named after its check in :mod:`dlcourse.checks.ch11`, takes the grading
Generator ``rng`` (seeded per student, see :func:`dlcourse.checks.core.hidden`) and returns
what the check adds to its visible cases.
"""

import numpy as np

from dlcourse.checks.ch11 import random_conv_case, random_pool_case, random_residual_case
from dlcourse.checks.core import Case, random_cases


def conv_output_size(rng):
    width = int(rng.integers(9, 64))
    return {
        "valid": [Case((width, 1), label="hidden 1x1 filter keeps any width"),
                  Case((width, 3, 1), label="hidden 3x3 same padding"),
                  Case((2 * width + 1, 3, 0, 2), label="hidden stride 2 over an odd width"),
                  Case((225, 7, 3, 2), label="hidden 7x7, stride 2, padding 3 on an odd width"),
                  Case((np.int64(width), np.int64(5), np.int64(2)), label="hidden NumPy integers")],
        "invalid": [Case((2 * width, 3, 0, 2), label="hidden even width, stride 2, no padding"),
                    Case((width, width + 3), label="hidden filter wider than the input"),
                    Case((True, 1), label="hidden a bool width"),
                    Case((224, 7, 3, 2), label="hidden ResNet stem on 224 pixels does not tile"),
                    Case((width, 3, 0.5), label="hidden a fractional padding"),
                    Case((width, 3, 1, -2), label="hidden a negative stride")],
    }


def conv_forward(rng):
    return random_cases(rng, 4, random_conv_case, label="hidden random convolution") + [
        random_conv_case(rng, n=3, c=4, k=5, side=(9, 9), kernel=(5, 5), stride=1, padding=2,
                         label="hidden 5x5 filters, padding 2"),
        random_conv_case(rng, n=1, c=2, k=2, side=(3, 8), kernel=(3, 3), stride=2, padding=0,
                         label="hidden a wide flat image"),
    ]


def conv_backward(rng):
    return random_cases(rng, 4, lambda r: random_conv_case(r, dout=True), label="hidden random gradient") + [
        random_conv_case(rng, n=3, c=4, k=5, side=(9, 9), kernel=(5, 5), stride=1, padding=2, dout=True,
                         label="hidden gradient of 5x5 filters, padding 2"),
        random_conv_case(rng, n=2, c=3, k=2, side=(8, 5), kernel=(2, 3), stride=3, padding=2, dout=True,
                         label="hidden stride 3 and padding 2"),
    ]


def max_pool(rng):
    return random_cases(rng, 4, random_pool_case, label="hidden random pooling") + [
        random_pool_case(rng, size=2, stride=2, label="hidden 2x2 windows"),
        random_pool_case(rng, size=3, stride=1, label="hidden 3x3 windows sliding by 1"),
    ]


def residual_block_backward(rng):
    return random_cases(rng, 3, random_residual_case, label="hidden random residual block") + [
        random_residual_case(rng, n=3, c=4, side=6, label="hidden four channels"),
    ]


def train_lenet(rng):
    from sklearn.datasets import load_digits

    from dlcourse.resampling import train_test_split

    digits = load_digits()
    X = (digits.data / 16.0).reshape(-1, 1, 8, 8)
    y = digits.target.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, rng=rng, stratify=y)
    return {"X_train": X_train, "y_train": y_train, "X_test": X_test, "y_test": y_test,
            "seed": int(rng.integers(0, 10_000))}
