"""Image augmentation for a batch of small grey images, shape (N, H, W) (chapter 9).

Every function returns a new array and leaves its input alone; the random ones draw from
the ``numpy.random.Generator`` they are given, one vector of offsets for the whole batch.

    shift(images, dy, dx)     out[n, i, j] = images[n, i − dy_n, j − dx_n], 0 outside
    flip_horizontal(images)   out[n, i, j] = images[n, i, W − 1 − j]
    flip_vertical(images)     out[n, i, j] = images[n, H − 1 − i, j]
    crop(images, top, left, size)   out[n] = images[n, top_n : top_n + h, left_n : left_n + w]
    random_crop(images, padding, rng)   zero-pad by ``padding``, crop back to (H, W) at
                                        offsets drawn in 0 … 2·padding (torchvision's RandomCrop)
"""

import numpy as np

__all__ = ["shift", "random_shift", "flip_horizontal", "flip_vertical", "crop", "random_crop"]


def _images(images, who):
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"{who}: images must be a batch of shape (N, H, W), got shape {images.shape}")
    return images


def _per_image(value, n, who, name):
    value = np.broadcast_to(np.asarray(value), (n,))
    if not np.issubdtype(value.dtype, np.integer):
        raise TypeError(f"{who}: {name} must be whole numbers of pixels, got dtype {value.dtype}")
    return value.astype(np.int64)


def shift(images, dy, dx):
    """Move each image ``dy`` pixels down and ``dx`` right (negative: up, left), filling with 0.
    ``dy``, ``dx``: ints or int arrays (N,)."""
    images = _images(images, "shift")
    n, h, w = images.shape
    dy, dx = _per_image(dy, n, "shift", "dy"), _per_image(dx, n, "shift", "dx")
    rows = np.arange(h)[None, :] - dy[:, None]            # source row of each output row
    cols = np.arange(w)[None, :] - dx[:, None]
    inside = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None, :]
    picked = images[np.arange(n)[:, None, None], np.clip(rows, 0, h - 1)[:, :, None],
                    np.clip(cols, 0, w - 1)[:, None, :]]
    return np.where(inside, picked, np.zeros((), dtype=images.dtype))


def random_shift(images, max_shift, rng):
    """Shift each image by its own (dy, dx), each drawn uniformly from −max_shift … max_shift:
    ``rng.integers(-max_shift, max_shift + 1, size=(N, 2))`` (column 0 dy, column 1 dx)."""
    images = _images(images, "random_shift")
    if max_shift < 0:
        raise ValueError(f"random_shift: max_shift must be >= 0, got {max_shift}")
    offsets = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))
    return shift(images, offsets[:, 0], offsets[:, 1])


def flip_horizontal(images):
    """Mirror each image left to right."""
    return _images(images, "flip_horizontal")[:, :, ::-1].copy()


def flip_vertical(images):
    """Mirror each image top to bottom."""
    return _images(images, "flip_vertical")[:, ::-1, :].copy()


def crop(images, top, left, size):
    """The (h, w) = ``size`` window of each image starting at row ``top[n]``, column ``left[n]``."""
    images = _images(images, "crop")
    n, h, w = images.shape
    ch, cw = size
    top, left = _per_image(top, n, "crop", "top"), _per_image(left, n, "crop", "left")
    if (top < 0).any() or (left < 0).any() or (top + ch > h).any() or (left + cw > w).any():
        raise ValueError(f"crop: a {ch}x{cw} window at the given offsets does not fit in {h}x{w} images")
    rows = top[:, None] + np.arange(ch)[None, :]
    cols = left[:, None] + np.arange(cw)[None, :]
    return images[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def random_crop(images, padding, rng):
    """Zero-pad by ``padding`` on every side, then crop each image back to (H, W) at offsets
    ``rng.integers(0, 2 * padding + 1, size=(N, 2))`` (column 0 top, column 1 left)."""
    images = _images(images, "random_crop")
    if padding < 0:
        raise ValueError(f"random_crop: padding must be >= 0, got {padding}")
    n, h, w = images.shape
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding)))
    offsets = rng.integers(0, 2 * padding + 1, size=(n, 2))
    return crop(padded, offsets[:, 0], offsets[:, 1], (h, w))
