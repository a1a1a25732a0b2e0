"""Pictures of what a CNN computes (notes: "Ways to Visualize a CNN"): its
filters, its feature maps, a heat map (occlusion, saliency) over an image, and
a row of images (class visualisations, adversarial examples, dreams).

Arrays come channels first, as in :mod:`dlcourse.inspect`. Multi-panel plots
take ``fig=None`` and return the figure; ``plot_heatmap`` takes ``ax=None``
and returns the axes.
"""

import math

import numpy as np

from dlcourse.viz._figure import new_axes, new_figure

__all__ = ["plot_filters", "plot_feature_maps", "plot_heatmap", "plot_images"]


def _grid(fig, count, ncols, panel=1.1):
    """``count`` image axes laid out on ``fig`` (a new figure if None)."""
    ncols = min(count, ncols or math.ceil(math.sqrt(count)))
    nrows = math.ceil(count / ncols)
    if fig is None:
        fig = new_figure(figsize=(panel * ncols + 0.6, panel * nrows + 0.4), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[count:]:
        ax.set_visible(False)
    return fig, axes[:count]


def _as_displayable(image):
    """(H, W), (1, H, W) or (3, H, W) → what ``imshow`` takes: (H, W) or (H, W, 3)."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3 and image.shape[0] == 1:
        return image[0]
    if image.ndim == 3 and image.shape[0] == 3:
        low, high = image.min(), image.max()
        return np.moveaxis((image - low) / (high - low if high > low else 1.0), 0, -1)
    if image.ndim == 2:
        return image
    raise ValueError(f"an image must have shape (H, W), (1, H, W) or (3, H, W), got {image.shape}")


def plot_filters(weight, fig=None, channel=0, ncols=None, cmap="gray"):
    """One panel per filter of a convolutional layer.

    weight : (out, in, kh, kw), e.g. ``dlcourse.inspect.conv_filters(model)``.
    With 3 input channels each filter is drawn in colour; otherwise input
    channel ``channel`` is drawn, all filters on one symmetric grey scale
    (mid-grey = 0), so that their signs and sizes compare. Returns the figure.
    """
    weight = np.asarray(weight)
    if weight.ndim != 4:
        raise ValueError(f"weight must have shape (out, in, kh, kw), got {weight.shape}")
    colour = weight.shape[1] == 3
    if not colour and not 0 <= channel < weight.shape[1]:
        raise ValueError(f"channel must be in [0, {weight.shape[1]}), got {channel}")
    fig, axes = _grid(fig, weight.shape[0], ncols)
    limit = float(np.abs(weight).max()) or 1.0
    for index, (ax, w) in enumerate(zip(axes, weight)):
        if colour:
            ax.imshow(_as_displayable(w))
        else:
            ax.imshow(w[channel], cmap=cmap, vmin=-limit, vmax=limit)
        ax.set_title(str(index), fontsize=8)
    return fig


def plot_feature_maps(maps, fig=None, ncols=None, cmap="viridis"):
    """One panel per channel of a layer's activation.

    maps : (K, H, W), or (1, K, H, W) for a batch of one, e.g.
    ``dlcourse.inspect.feature_maps(model, image, layer)``. Returns the figure.
    """
    maps = np.asarray(maps)
    if maps.ndim == 4 and maps.shape[0] == 1:
        maps = maps[0]
    if maps.ndim != 3:
        raise ValueError(f"maps must have shape (K, H, W) or (1, K, H, W), got {maps.shape}")
    fig, axes = _grid(fig, maps.shape[0], ncols)
    for index, (ax, m) in enumerate(zip(axes, maps)):
        ax.imshow(m, cmap=cmap)
        ax.set_title(str(index), fontsize=8)
    return fig


def plot_heatmap(image, heat, ax=None, alpha=0.5, cmap="jet", image_cmap="gray", colorbar=True):
    """``heat`` (h, w) drawn semi-transparently over ``image`` (H, W), (1, H, W)
    or (3, H, W), stretched to cover it (an occlusion map has fewer cells than
    pixels). Returns ``ax``."""
    picture = _as_displayable(image)
    heat = np.asarray(heat, dtype=np.float64)
    if heat.ndim != 2:
        raise ValueError(f"heat must be a 2-D map (h, w), got shape {heat.shape}")
    ax = new_axes(figsize=(3.2, 3.0)) if ax is None else ax
    height, width = picture.shape[:2]
    extent = (-0.5, width - 0.5, height - 0.5, -0.5)
    ax.imshow(picture, cmap=image_cmap, extent=extent)
    overlay = ax.imshow(heat, cmap=cmap, alpha=alpha, extent=extent, interpolation="nearest")
    if colorbar:
        ax.figure.colorbar(overlay, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plot_images(images, fig=None, titles=None, ncols=None, cmap="gray"):
    """A row (or grid) of images (N, C, H, W) or (N, H, W): class visualisations,
    original and adversarial images, dreams. Returns the figure."""
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"images must have shape (N, C, H, W) or (N, H, W), got {images.shape}")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"{len(titles)} titles for {len(images)} images")
    fig, axes = _grid(fig, len(images), ncols or len(images), panel=1.4)
    for index, (ax, image) in enumerate(zip(axes, images)):
        ax.imshow(_as_displayable(image), cmap=cmap)
        if titles is not None:
            ax.set_title(str(titles[index]), fontsize=8)
    return fig
