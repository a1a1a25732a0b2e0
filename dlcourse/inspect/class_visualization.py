"""Class model visualisation: the image the network finds most typical of a class.

Notes, "Ways to Visualize a CNN" (optimising over images; Simonyan et al. 2014).
With the network's weights fixed, gradient *ascent* on the pixels of I for

    J(I) = S_c(I) − λ ‖I‖²

where S_c is the score of class c before the softmax (maximising the softmax
probability instead could be done by lowering the other classes' scores) and
the L2 term keeps the image from growing without bound. One step is

    I ← I + η (∂S_c/∂I − 2λ I)

optionally followed by a Gaussian blur every few steps and with random jitter
(shift before the step, shift back after), two priors that make the picture
smoother and more natural. Pixels can be clipped to the valid range.

As the notes add, the same ascent works for any neuron: with ``layer`` set,
S is the total activation of channel ``target`` of that layer, and the image
shows what makes that unit fire.
"""

import numpy as np

from dlcourse.inspect._image import as_generator, clip_to, gaussian_blur, random_shift, roll
from dlcourse.inspect._model import (
    forward_to, inspecting, layer_index, layers_of, model_dtype, unit_gradient,
)

__all__ = ["class_visualization"]


def class_visualization(model, target, shape, steps=100, lr=0.1, l2_reg=1e-3, blur_every=0,
                        blur_sigma=0.5, max_jitter=0, clip=(0.0, 1.0), init=None, rng=None,
                        layer=-1):
    """Gradient ascent on S_target(I) − l2_reg·‖I‖², starting from ``init``.

    shape : (C, H, W) of the image; init : (C, H, W) start, by default small
    noise N(0, 0.01²) drawn from ``rng`` (a Generator or a seed); layer :
    whose unit ``target`` to maximise (default the output: class scores).
    Returns ``(image, scores)``: the image (C, H, W) and S_target at every
    iterate (``steps + 1`` values, the first for ``init``).
    """
    layers = layers_of(model)
    stop = layer_index(layers, layer)

    def score(activation):
        return activation[0, target].sum()

    rng = as_generator(rng)
    dtype = model_dtype(model)
    if init is None:
        x = 0.01 * rng.standard_normal((1, *shape)).astype(dtype)
    else:
        init = np.asarray(init)
        if init.shape != tuple(shape):
            raise ValueError(f"init has shape {init.shape}, expected the image shape {tuple(shape)}")
        x = init[None].astype(dtype, copy=True)
    scores = []
    with inspecting(model):
        for _ in range(steps):
            shift = random_shift(rng, max_jitter) if max_jitter else (0, 0)
            shifted = roll(x, shift)
            out, grad = unit_gradient(model, shifted, target, stop)
            if shift != (0, 0):     # record the score of the unshifted image
                out = forward_to(layers, x, stop)
            scores.append(score(out))
            shifted = shifted + lr * (grad - 2.0 * l2_reg * shifted)
            x = clip_to(roll(shifted, (-shift[0], -shift[1])), clip)
            if blur_every and len(scores) % blur_every == 0:
                x = gaussian_blur(x, blur_sigma)
        scores.append(score(forward_to(layers, x, stop)))
    return x[0], np.array(scores)
