"""Feature inversion: which images does a layer consider the same as this one?

Notes, "Ways to Visualize a CNN" (reconstructing an image from its embedding;
Mahendran & Vedaldi 2015). Given the embedding φ0 = φ(I0) of an image at some
layer, start from noise and run gradient descent on the pixels of I for

    L(I) = ‖φ(I) − φ0‖² + λ TV(I)

(the notes' regulariser is garbled; we use the total variation of the paper)

    TV(I) = Σ (I[i+1, j] − I[i, j])² + Σ (I[i, j+1] − I[i, j])²

summed over channels too, which favours piecewise-smooth images. The deeper
the layer, the more abstract (the less pixel-exact) the reconstruction.

The pixels are updated with Adam (:func:`dlcourse.optim.functional.adam_step`),
whose per-pixel step size copes with gradients of very different scales at
different layers; plain gradient descent needs its rate tuned for each layer.
"""

import numpy as np

from dlcourse.inspect._image import as_generator, clip_to
from dlcourse.optim.functional import adam_step
from dlcourse.inspect._model import (
    as_image, backward_from, forward_to, inspecting, layer_index, layers_of, result_dtype,
)

__all__ = ["total_variation", "invert_features"]


def total_variation(x):
    """TV(x) = Σ (x[..., i+1, j] − x[..., i, j])² + Σ (x[..., i, j+1] − x[..., i, j])².

    x : (..., H, W). Returns ``(tv, grad)`` with grad = dTV/dx of the shape of x.
    """
    x = np.asarray(x)
    down = np.diff(x, axis=-2)          # (..., H-1, W)
    right = np.diff(x, axis=-1)         # (..., H, W-1)
    tv = np.sum(down**2) + np.sum(right**2)
    grad = np.zeros_like(x)
    grad[..., 1:, :] += 2 * down        # each difference pushes its two pixels apart
    grad[..., :-1, :] -= 2 * down
    grad[..., :, 1:] += 2 * right
    grad[..., :, :-1] -= 2 * right
    return tv, grad


def invert_features(model, image, layer, steps=200, lr=0.05, tv_weight=1e-3,
                    clip=(0.0, 1.0), init=None, rng=None):
    """Reconstruct an image from its embedding at ``layer`` by gradient descent.

    image : (C, H, W), the original I0; layer : index of the embedding layer.
    Each step is an Adam step of rate ``lr`` on I, then I is clipped to ``clip``.
    Returns ``(reconstruction, losses)``: (C, H, W) and L at every iterate
    (``steps + 1`` values).
    """
    rng = as_generator(rng)
    original = as_image(image, model)
    layers = layers_of(model)
    stop = layer_index(layers, layer)
    if init is None:
        x = clip_to(0.5 + 0.1 * rng.standard_normal(original.shape), clip).astype(original.dtype)
    else:
        x = as_image(init, model, "init")
        if x.shape != original.shape:
            raise ValueError(f"init has shape {x.shape[1:]}, expected the image shape {original.shape[1:]}")
    losses, state = [], {}
    with inspecting(model):
        target = forward_to(layers, original, stop)
        for _ in range(steps + 1):
            diff = forward_to(layers, x, stop) - target
            tv, tv_grad = total_variation(x)
            losses.append(np.sum(diff**2) + tv_weight * tv)
            if len(losses) > steps:
                break
            grad = backward_from(layers, 2.0 * diff, stop) + tv_weight * tv_grad
            x, state = adam_step(x, grad, state, lr=lr)
            x = clip_to(x, clip)
    return x[0].astype(result_dtype(image)), np.array(losses)
