"""Pictures of gradient descent: steps on a curve, paths on a contour map,
and the four-panel learning-rate figure (chapter: optimisation).

Every function takes the objective (a ``dlcourse.descent.objectives.Objective`` or its
name) and the path(s) recorded by ``dlcourse.descent.paths.run_descent``.
"""

import numpy as np

from dlcourse.descent.paths import GradientDescent, as_path_dict, path_label, run_descent
from dlcourse.descent.presets import check_lr
from dlcourse.descent.objectives import get_objective
from dlcourse.viz._figure import new_axes, new_figure

#: what the four panels of ``plot_learning_rate_panel`` show, in order
PANEL_TITLES = ("too small", "about right", "too large", "divergent")

#: (marker, line style) of the i-th path, cycling: paths that overlap stay apart
PATH_STYLES = (("o", "-"), ("s", "--"), ("^", "-."), ("D", ":"), ("v", "-"), ("P", "--"), ("X", "-."))


def path_style(i):
    """The marker and line style of the ``i``-th path."""
    return PATH_STYLES[i % len(PATH_STYLES)]


def _curve_range(objective, points, pad=0.05):
    low, high = objective.domain[0]
    if len(points):
        # follow the path out of the domain, but not to the ends of the earth
        width = high - low
        low = max(min(low, float(points.min())), low - 2 * width)
        high = min(max(high, float(points.max())), high + 2 * width)
    pad *= high - low
    return low - pad, high + pad


def plot_descent_1d(objective, path, ax=None, annotate=6, arrows=True, grid=400):
    """The curve ``f(x)`` with every step of ``path`` drawn on it.

    Each iterate ``x⁽ᵏ⁾`` is a dot at ``(x⁽ᵏ⁾, f(x⁽ᵏ⁾))``; an arrow joins each
    dot to the next, and the first ``annotate`` iterates (and the last) are
    labelled with their value, as in the notes' x² examples.

    ``path`` is one ``DescentPath`` or ``{label: DescentPath}`` (several runs on
    one curve, each in its own colour; values are labelled only for one run).
    The axes get one line for the curve (label ``f(x) = …``), one per run (its
    iterates, labelled with the final loss) and one for the known minima, if
    any (not in the legend). Returns ``ax``.
    """
    objective = get_objective(objective)
    if objective.dim != 1:
        raise ValueError(f"plot_descent_1d needs a 1-D objective; {objective.name} has dim {objective.dim}")
    single = hasattr(path, "points")
    paths = {(path.label or "gradient descent"): path} if single else as_path_dict(path)
    ax = new_axes() if ax is None else ax
    every_x = np.concatenate([np.asarray(p.points, dtype=np.float64)[:, 0] for p in paths.values()])
    low, high = _curve_range(objective, every_x)
    curve = np.linspace(low, high, grid)
    ax.plot(curve, objective.f(curve[:, None]), color="0.3", lw=1.5, label=f"f(x) = {objective.formula}")
    colours = ["tab:red", "tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:brown"]
    for i, (label, run) in enumerate(paths.items()):
        colour = colours[i % len(colours)]
        xs = np.asarray(run.points, dtype=np.float64)[:, 0]
        fs = np.asarray(run.losses, dtype=np.float64)
        ax.plot(xs, fs, "o", color=colour, ms=5, zorder=3, label=path_label(label, run))
        if arrows:
            for k in range(len(xs) - 1):
                ax.annotate("", xy=(xs[k + 1], fs[k + 1]), xytext=(xs[k], fs[k]),
                            arrowprops=dict(arrowstyle="->", color=colour, lw=1, shrinkA=3, shrinkB=3))
        if len(paths) == 1:
            for k in _labelled_steps(xs, fs, annotate):
                ax.annotate(f"x({k}) = {xs[k]:.4g}", (xs[k], fs[k]), textcoords="offset points",
                            xytext=(4, 6), fontsize=8)
    if len(objective.minima):
        m = objective.minimizers[:, 0]
        ax.plot(m, objective.f(m[:, None]), "*", color="k", ms=10, label="_minimum")
    ax.set_xlim(low, high)
    ax.set_xlabel(objective.axis_labels[0])
    ax.set_ylabel("f")
    if single:
        ax.set_title(_title(objective, path))
    else:
        ax.set_title(f"{objective.name}: {objective.formula}")
    ax.legend(loc="upper center", fontsize=8)
    return ax


def _labelled_steps(xs, fs, count, spacing=0.06):
    """The first ``count`` steps and the last, skipping any that would sit on
    top of a label already placed (closer than ``spacing`` of the plot's size)."""
    scale = np.array([np.ptp(xs) or 1.0, np.ptp(fs) or 1.0])
    candidates = list(range(min(count, len(xs)))) + [len(xs) - 1]
    placed = []
    for k in dict.fromkeys(candidates):
        here = np.array([xs[k], fs[k]]) / scale
        if all(np.max(np.abs(here - other)) >= spacing for other in placed):
            placed.append(here)
            yield k


def _title(objective, path):
    lr = "" if path.lr is None else f", lr = {path.lr:g}"
    return f"{objective.formula}{lr}, {path.steps} steps"


def _contour_values(values, log):
    """What the contours are drawn of: the values, or for functions with a huge
    range ``log10(f − min f + 10⁻⁵·range)``, so that the rings are spread evenly."""
    if not log:
        return values
    low = float(np.min(values))
    span = float(np.max(values)) - low
    return np.log10(values - low + 1e-5 * span)


def plot_descent_2d(objective, paths, ax=None, levels=30, grid=200, minima=True):
    """A contour map of ``objective`` with each optimizer's path on it.

    ``paths`` is ``{label: DescentPath}`` (or one path). Each path is one line
    with markers, its legend entry is ``"label: final loss …"``; the known
    minima are black stars and the start a black square (neither in the
    legend). Objectives with a huge range (Rosenbrock, Beale, Himmelblau) get
    contours of ``log f``, so that the rings are evenly spread.
    Returns ``ax``.
    """
    objective = get_objective(objective)
    if objective.dim != 2:
        raise ValueError(f"plot_descent_2d needs a 2-D objective; {objective.name} has dim {objective.dim}")
    paths = as_path_dict(paths)
    ax = new_axes() if ax is None else ax
    draw_contours(objective, ax, levels=levels, grid=grid, minima=minima)
    for i, (label, path) in enumerate(paths.items()):
        points = np.asarray(path.points, dtype=np.float64)
        marker, style = path_style(i)
        # a marker at every step up to 50 steps, then at every k-th step
        ax.plot(points[:, 0], points[:, 1], marker=marker, linestyle=style, ms=3, lw=1.2,
                markevery=max(1, len(points) // 50),
                label=path_label(label, path))
    if paths:
        start = np.asarray(next(iter(paths.values())).points[0], dtype=np.float64)
        ax.plot(start[0], start[1], "s", color="k", ms=6, label="_start")
    if paths:
        ax.legend(fontsize=8, loc="best")
    return ax


def draw_contours(objective, ax, levels=30, grid=200, minima=True):
    """The contour lines of a 2-D objective over its domain, axes labelled."""
    (x0, x1), (y0, y1) = objective.domain
    X, Y = np.meshgrid(np.linspace(x0, x1, grid), np.linspace(y0, y1, grid))
    Z = objective.f(np.stack([X, Y], axis=-1))
    ax.contour(X, Y, _contour_values(Z, objective.log_levels), levels=levels,
               cmap="viridis", linewidths=0.7)
    if minima and len(objective.minima):
        m = objective.minimizers
        ax.plot(m[:, 0], m[:, 1], "*", color="k", ms=12, label="_minimum")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(objective.axis_labels[0])
    ax.set_ylabel(objective.axis_labels[1])
    ax.set_title(f"{objective.name}: {objective.formula}")
    return ax


def plot_learning_rate_panel(objective="square", lrs=None, steps=10, start=None,
                             optimizer_factory=None, titles=PANEL_TITLES, figsize=(10, 7.5)):
    """Four runs of gradient descent side by side, one per learning rate.

    By default the rates are the objective's ``panel_lrs``: too small (barely
    moves), about right, too large (overshoots and oscillates, as the notes'
    step size 0.8 on x² from −4) and divergent. ``optimizer_factory(params,
    lr)`` replaces plain gradient descent. ``start`` defaults to −4 on x²
    (the notes' example) and to the objective's own start otherwise.
    Returns the figure (a 2 × 2 grid of axes, one panel per rate).
    """
    objective = get_objective(objective)
    if lrs is None:
        if objective.panel_lrs is None:
            raise ValueError(f"no default learning rates for {objective.name}; pass lrs=(...)")
        lrs = objective.panel_lrs
    for lr in lrs:
        check_lr(lr)
    if start is None and objective.name == "square":
        start = (-4.0,)
    factory = optimizer_factory or GradientDescent
    fig = new_figure(figsize=figsize, layout="constrained")
    rows = int(np.ceil(len(lrs) / 2))
    axes = fig.subplots(rows, 2, squeeze=False).ravel()
    for i, (ax, lr) in enumerate(zip(axes, lrs)):
        path = run_descent(objective, lambda params, lr=lr: factory(params, lr=lr), steps, start=start,
                           label=f"lr = {lr:g}")
        if objective.dim == 1:
            plot_descent_1d(objective, path, ax=ax)
        else:
            plot_descent_2d(objective, {path.label: path}, ax=ax)
        kind = titles[i] if len(lrs) == len(titles) else ""
        ax.set_title(f"{kind}: lr = {lr:g}" if kind else f"lr = {lr:g}")
    for ax in axes[len(lrs):]:
        ax.set_visible(False)
    return fig
