"""The decision regions of a classifier on 2-D inputs (chapters on the
perceptron, logistic regression and multilayer networks)."""

import numpy as np

from dlcourse.viz._figure import new_axes


def _labels(output, threshold):
    """Class labels from a classifier's output on ``n`` points.

    ``(n, k)`` scores or probabilities → ``argmax``; ``(n,)`` whole numbers
    (labels, or ±1 from a perceptron) → as they are; other ``(n,)`` values
    (probabilities, scores) → ``output >= threshold``.
    """
    output = np.asarray(output)
    if output.ndim == 2 and output.shape[1] > 1:
        return np.argmax(output, axis=1)
    output = output.reshape(len(output), -1)[:, 0]
    if output.dtype == bool or np.issubdtype(output.dtype, np.integer):
        return output.astype(np.int64)
    if np.all(output == np.round(output)):
        return output.astype(np.int64)
    return (output >= threshold).astype(np.int64)


def plot_decision_boundary(predict_fn, X, y, ax=None, resolution=200, padding=0.5, threshold=0.5):
    """Shade the region each class gets and scatter the data on top.

    ``predict_fn`` maps points of shape ``(m, 2)`` to labels ``(m,)``,
    probabilities/scores ``(m,)`` (thresholded at ``threshold``) or class scores
    ``(m, k)`` (argmax). ``X`` has shape ``(n, 2)`` and ``y`` shape ``(n,)``.
    The classifier is evaluated once, on a ``resolution × resolution`` grid
    covering the data plus ``padding``. One scatter per class, labelled
    ``class c``. Returns ``ax``.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).ravel()
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2); got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"y must have one label per row of X: X has {len(X)} rows, y has {len(y)}")
    ax = new_axes() if ax is None else ax
    gx, gy, regions = decision_regions(predict_fn, X, resolution, padding, threshold)
    regions = regions.ravel()
    classes = np.unique(np.concatenate([np.unique(y), np.unique(regions)]))
    index = np.searchsorted(classes, regions).reshape(gx.shape)
    ax.contourf(gx, gy, index, levels=np.arange(len(classes) + 1) - 0.5, cmap="coolwarm", alpha=0.3)
    colours = _class_colours(len(classes))
    for c, colour in zip(classes, colours):
        mask = y == c
        if mask.any():
            ax.scatter(X[mask, 0], X[mask, 1], color=colour, edgecolor="k", s=30, label=f"class {c}")
    ax.set_xlim(gx[0, 0], gx[0, -1])
    ax.set_ylim(gy[0, 0], gy[-1, 0])
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.legend(fontsize=8)
    return ax


def decision_regions(predict_fn, X, resolution=200, padding=0.5, threshold=0.5):
    """The grid the boundary is drawn from: ``gx, gy`` (each ``(resolution,
    resolution)``, covering ``X`` plus ``padding``) and the predicted label at
    each grid point (same shape), from one call of ``predict_fn``."""
    X = np.asarray(X, dtype=np.float64)
    (x0, y0), (x1, y1) = X.min(axis=0) - padding, X.max(axis=0) + padding
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    labels = _labels(predict_fn(grid), threshold)
    if labels.shape != (len(grid),):
        raise ValueError(f"predict_fn returned {labels.shape[0]} labels for {len(grid)} points")
    return gx, gy, labels.reshape(gx.shape)


def _class_colours(count):
    from matplotlib import colormaps  # noqa: PLC0415

    cmap = colormaps["coolwarm"]
    return [cmap(v) for v in np.linspace(0.0, 1.0, max(count, 2))][:count] if count > 1 else [cmap(0.0)]
