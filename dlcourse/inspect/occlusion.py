"""Occlusion sensitivity: gray out a patch, see how much the class probability drops.

Notes, "Ways to Visualize a CNN" (second approach; Zeiler & Fergus 2014). For
an image x (C, H, W), a square patch of side p slid with stride s, and the
softmax probability P_c of class c,

    D[u, v] = P_c(x) − P_c(x with the patch at (u·s, v·s) set to ``fill``)

The map has shape ((H − p)//s + 1, (W − p)//s + 1). A large drop marks pixels
the network relies on. All occluded copies are built at once with a boolean
mask and classified as batches (no loop over positions).
"""

import numpy as np

from dlcourse.functional.softmax import softmax
from dlcourse.inspect._model import as_image, inspecting, result_dtype

__all__ = ["occlusion_map", "occlusion_heatmap"]


def _positions(size, patch, stride):
    if not isinstance(patch, (int, np.integer)) or not 1 <= patch <= size:
        raise ValueError(
            f"patch_size must be an int in [1, {size}] for an image side of {size}, got {patch!r}"
        )
    if not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"stride must be a positive int, got {stride!r}")
    return np.arange(0, size - patch + 1, stride)


def occlusion_map(model, image, target, patch_size=2, stride=1, fill=0.0, batch_size=256):
    """The drop D[u, v] of P_target when the patch at (u·stride, v·stride) is occluded.

    image : (C, H, W); target : class index; fill : the occluding value
    (0 = background for the digits; the dataset mean is another choice).
    Returns (rows, cols) = ((H − p)//s + 1, (W − p)//s + 1), dtype of ``image``.
    """
    x = as_image(image, model)
    height, width = x.shape[2:]
    rows = _positions(height, patch_size, stride)
    cols = _positions(width, patch_size, stride)
    # one patch per (top, left) corner; mask[k, i, j] says whether patch k covers pixel (i, j)
    top, left = (grid.ravel() for grid in np.meshgrid(rows, cols, indexing="ij"))
    pixel_rows, pixel_cols = np.arange(height), np.arange(width)
    in_rows = (pixel_rows >= top[:, None]) & (pixel_rows < top[:, None] + patch_size)
    in_cols = (pixel_cols >= left[:, None]) & (pixel_cols < left[:, None] + patch_size)
    mask = in_rows[:, :, None] & in_cols[:, None, :]                     # (K, H, W)

    with inspecting(model):
        base = softmax(model.forward(x), dim=1)[0]
        if not 0 <= target < base.shape[0]:
            raise ValueError(f"target must be a class in [0, {base.shape[0]}), got {target!r}")
        probs = []
        for start in range(0, len(mask), batch_size):
            block = mask[start:start + batch_size, None]                 # (B, 1, H, W)
            occluded = np.where(block, np.asarray(fill, dtype=x.dtype), x)  # (B, C, H, W)
            probs.append(softmax(model.forward(occluded), dim=1)[:, target])
    drop = base[target] - np.concatenate(probs)
    return drop.reshape(len(rows), len(cols)).astype(result_dtype(image))


def occlusion_heatmap(drop_map, image_shape, patch_size=2, stride=1):
    """Spread an occlusion map back onto the pixels: each pixel gets the mean
    drop of all patches that covered it (0 where no patch did).

    drop_map : (rows, cols) from :func:`occlusion_map`; image_shape : (H, W)
    or (C, H, W). Returns (H, W), ready to overlay on the image.
    """
    drop_map = np.asarray(drop_map)
    height, width = image_shape[-2:]
    rows = _positions(height, patch_size, stride)
    cols = _positions(width, patch_size, stride)
    if drop_map.shape != (len(rows), len(cols)):
        raise ValueError(
            f"drop_map has shape {drop_map.shape}, expected {(len(rows), len(cols))} for an "
            f"image of {height}x{width}, patch_size={patch_size}, stride={stride}"
        )
    total = np.zeros((height, width), dtype=np.result_type(drop_map.dtype, np.float64))
    count = np.zeros((height, width))
    for a in range(patch_size):          # one vectorised addition per offset inside the patch
        for b in range(patch_size):
            covered = (slice(a, rows[-1] + a + 1, stride), slice(b, cols[-1] + b + 1, stride))
            total[covered] += drop_map
            count[covered] += 1
    heat = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return heat.astype(drop_map.dtype if np.issubdtype(drop_map.dtype, np.floating) else np.float64)
