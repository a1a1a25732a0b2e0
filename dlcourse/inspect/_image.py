"""Small image operations shared by the techniques that optimise an input image:
a Gaussian blur (a smoothness prior) and random jitter (small shifts that keep
the optimisation from exploiting single-pixel patterns)."""

import math

import numpy as np


def as_generator(rng):
    """A ``numpy.random.Generator`` from a seed, a Generator or None (seed 0)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(0 if rng is None else rng)


def gaussian_blur(x, sigma):
    """Blur the last two axes of ``x`` with a Gaussian of standard deviation ``sigma`` pixels.

    Separable: the 1-D kernel k[t] ∝ exp(−t²/(2σ²)), |t| <= ceil(3σ), is applied
    along rows then columns, with the border reflected. Same shape and dtype as ``x``.
    """
    x = np.asarray(x)
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    if sigma == 0:
        return x.copy()
    radius = int(math.ceil(3 * sigma))
    taps = np.arange(-radius, radius + 1)
    kernel = np.exp(-(taps**2) / (2.0 * sigma**2))
    kernel = (kernel / kernel.sum()).astype(x.dtype)
    for axis in (-2, -1):
        size = x.shape[axis]
        pad = [(0, 0)] * x.ndim
        pad[axis] = (radius, radius)
        padded = np.pad(x, pad, mode="reflect" if size > 1 else "edge")
        x = sum(w * np.take(padded, np.arange(t, t + size), axis=axis) for t, w in enumerate(kernel))
    return x


def random_shift(rng, max_shift):
    """Two random integer offsets in [−max_shift, max_shift] (rows, columns)."""
    return tuple(int(v) for v in rng.integers(-max_shift, max_shift + 1, size=2))


def roll(x, shift):
    """Shift the last two axes of ``x`` cyclically by ``shift`` = (rows, columns)."""
    return np.roll(x, shift, axis=(-2, -1))


def clip_to(x, clip):
    """``x`` limited to the pixel range ``clip`` = (low, high); unchanged if None."""
    return x if clip is None else np.clip(x, clip[0], clip[1])
