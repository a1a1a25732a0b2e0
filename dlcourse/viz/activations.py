"""An activation function and its derivative on one plot (chapters on neurons
and deep networks), from ``dlcourse.functional``."""

import numpy as np

from dlcourse.viz._figure import new_axes


def plot_activation(name, ax=None, x=None, derivative=True):
    """Draw ``f(x)`` and (if ``derivative``) ``f'(x)`` for the activation ``name``.

    ``name`` is any name ``dlcourse.functional.activations.get_activation``
    knows (``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"leaky_relu"``, ``"gelu"``, …);
    ``x`` is the grid (default 401 points on [−5, 5]). The axes get one line per
    curve, labelled ``name(x)`` and ``name'(x)``. Returns ``ax``.
    """
    from dlcourse.functional.activations import get_activation  # noqa: PLC0415

    f = get_activation(name)
    df = get_activation(name, derivative=True)
    x = np.linspace(-5.0, 5.0, 401) if x is None else np.asarray(x, dtype=np.float64)
    ax = new_axes() if ax is None else ax
    ax.plot(x, f(x), lw=2, label=f"{name}(x)")
    if derivative:
        ax.plot(x, df(x), lw=1.5, ls="--", label=f"{name}'(x)")
    ax.axhline(0.0, color="0.7", lw=0.8, zorder=0)
    ax.axvline(0.0, color="0.7", lw=0.8, zorder=0)
    ax.set_xlabel("x")
    ax.set_title(name)
    ax.legend()
    return ax
