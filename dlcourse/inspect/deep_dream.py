"""Deep dream: make the image more of whatever a layer already sees in it.

Notes, "Ways to Visualize a CNN" (Mordvintsev et al. 2015). Start from a real
image I and pick a layer (optionally one unit, i.e. one channel, of it) with
activation h(I). Gradient *ascent* on

    L(I) = ½ ‖h(I)‖²        (the notes write h²; the ½ only rescales the step)

whose gradient with respect to h is h itself, so one backward pass of h
gives ∂L/∂I. As in the original, each step is normalised by the mean
absolute gradient, I ← I + η g / mean|g|, which makes η a step size in
pixel units; random jitter is optional.
"""

import numpy as np

from dlcourse.inspect._image import as_generator, clip_to, random_shift, roll
from dlcourse.inspect._model import (
    as_image, backward_from, forward_to, inspecting, layer_index, layers_of, result_dtype,
)

__all__ = ["deep_dream"]


def _objective_grad(activation, unit):
    """½‖h‖² restricted to ``unit`` (a channel) or over all units, and its gradient."""
    grad = activation.copy()
    if unit is not None:
        if not 0 <= unit < activation.shape[1]:
            raise ValueError(
                f"unit must be a channel in [0, {activation.shape[1]}) of the layer output "
                f"{activation.shape}, got {unit!r}"
            )
        keep = np.zeros(activation.shape[1], dtype=bool)
        keep[unit] = True
        grad[:, ~keep] = 0.0
    return 0.5 * np.sum(grad**2), grad


def deep_dream(model, image, layer, unit=None, steps=20, lr=0.01, max_jitter=0,
               clip=(0.0, 1.0), rng=None):
    """Amplify the activation of ``layer`` (or of channel ``unit`` of it) in ``image``.

    image : (C, H, W). Returns ``(dreamed, objectives)``: the image (C, H, W)
    and ½‖h‖² at every iterate (``steps + 1`` values).
    """
    rng = as_generator(rng)
    x = as_image(image, model)
    layers = layers_of(model)
    stop = layer_index(layers, layer)
    objectives = []
    with inspecting(model):
        for _ in range(steps):
            shift = random_shift(rng, max_jitter) if max_jitter else (0, 0)
            shifted = roll(x, shift)
            value, grad_h = _objective_grad(forward_to(layers, shifted, stop), unit)
            grad = backward_from(layers, grad_h, stop)
            if shift != (0, 0):     # record the objective of the unshifted image
                value = _objective_grad(forward_to(layers, x, stop), unit)[0]
            objectives.append(value)
            step = lr * grad / (np.mean(np.abs(grad)) + 1e-12)
            x = clip_to(roll(shifted + step, (-shift[0], -shift[1])), clip)
        objectives.append(_objective_grad(forward_to(layers, x, stop), unit)[0])
    return x[0].astype(result_dtype(image)), np.array(objectives)
