"""Chapter 12's hidden cases: the instructor's side only (the release never contains them).

Each function is named after its check in :mod:`dlcourse.checks.ch12`, takes the grading
Generator ``rng`` (seeded per student, see :func:`dlcourse.checks.core.hidden`) and returns
what the check adds to its visible cases.
"""

import numpy as np

from dlcourse.checks.ch12 import digits_images, random_layers
from dlcourse.checks.core import Case
from dlcourse.pretrained import (
    digits_cnn_input_gradient, digits_cnn_layers, digits_cnn_loss_gradient, digits_cnn_probabilities,
)


def occlusion_map(rng):
    x, y = digits_images(rng, 3, split="all")
    p = digits_cnn_probabilities
    return [Case((p, x[0], int(y[0]), int(rng.integers(1, 4)), 1, 0.0), label="hidden digit, stride 1"),
            Case((p, x[1], int(rng.integers(0, 10)), 3, 3, float(rng.uniform())), label="hidden stride 3, gray fill"),
            Case((p, x[2], int(y[2]), 8, 1, 0.0), label="hidden one patch covering the whole digit"),
            Case((p, x[2], int(y[2]), 1, 2, 0.0), label="hidden single pixels, every other one")]


def saliency_map(rng):
    x, y = digits_images(rng, 5, split="all")
    g = digits_cnn_input_gradient
    return [Case((g, x, y), label="hidden five digits, their labels"),
            Case((g, x[:2], rng.integers(0, 10, size=2)), label="hidden two digits, random classes"),
            Case((g, x[2:3], int(rng.integers(0, 10))), label="hidden one digit, one class")]


def guided_backprop(rng):
    x, y = digits_images(rng, 3, split="all")
    cases = [Case((digits_cnn_layers(), x, y), label="hidden three digits through the digits CNN")]
    for index in range(2):
        layers, (c, side) = random_layers(rng)
        cases.append(Case((layers, rng.uniform(size=(2, c, side, side)), int(rng.integers(0, 3))),
                          label=f"hidden random CNN {index + 1}"))
    layers, _ = random_layers(rng, channels=3, side=4)
    cases.append(Case((layers, rng.normal(size=(1, 3, 4, 4)), 1), label="hidden three channels, signed pixels"))
    return cases


def gram_and_style_loss(rng):
    c, h, w = (int(v) for v in rng.integers(1, 6, size=3))
    features = rng.normal(size=(2, c, h, w))
    other = rng.uniform(size=(1, c, h + 1, w))
    flat = other.reshape(c, -1)
    return [Case((features, flat @ flat.T / other.size), label="hidden random maps, another image's Gram"),
            Case((np.maximum(rng.normal(size=(1, 4, 3, 3)), 0), np.zeros((4, 4))), label="hidden ReLU maps, zero Gram"),
            Case((rng.normal(size=(1, 1, 1, 5)), rng.uniform(size=(1, 1))), label="hidden one channel")]


def fgsm(rng):
    x, y = digits_images(rng, 6, split="all")
    lg = digits_cnn_loss_gradient
    return [Case((lg, x, y, float(rng.uniform(0.02, 0.3))), label="hidden six digits"),
            Case((lg, x[:2], (y[:2] + 1) % 10, 0.1), label="hidden the loss of wrong labels"),
            Case((lg, x[2:3], y[2:3], 1.0), label="hidden epsilon 1: every pixel to 0 or 1")]


def fooling_rate(rng):
    x, y = digits_images(rng, 80, split="all")
    epsilons = np.sort(rng.uniform(0.0, 0.3, size=3)).tolist()
    return {"x": x, "y": y, "epsilons": [0.0] + epsilons}
