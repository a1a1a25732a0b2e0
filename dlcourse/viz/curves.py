"""Loss against step for one or more optimizer runs (chapter: optimisation)."""

import numpy as np

from dlcourse.viz._figure import new_axes
from dlcourse.descent.paths import as_path_dict, path_label


def plot_loss_curves(paths, ax=None, log=False, minimum=None):
    """One line per path: the loss ``f(θ⁽ᵏ⁾)`` against the step ``k``.

    ``paths`` is ``{label: DescentPath}`` (or one path, or a list). With
    ``minimum`` given, the gap ``f(θ⁽ᵏ⁾) − minimum`` is drawn instead, which
    is what a log scale (``log=True``) needs to show linear convergence as a
    straight line; values that are not positive are left out on a log scale.
    Returns ``ax``.
    """
    paths = as_path_dict(paths)
    ax = new_axes() if ax is None else ax
    drawn = []
    for label, path in paths.items():
        losses = np.asarray(path.losses, dtype=np.float64)
        if minimum is not None:
            losses = losses - minimum
        if log:
            losses = np.where(losses > 0, losses, np.nan)
        ax.plot(np.arange(len(losses)), losses, lw=1.5, label=path_label(label, path))
        drawn.append(losses)
    if log and any(np.any(losses > 0) for losses in drawn):  # (all NaN cannot be log-scaled)
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss" if minimum is None else "loss − minimum")
    if paths:
        ax.legend(fontsize=8)
    return ax
