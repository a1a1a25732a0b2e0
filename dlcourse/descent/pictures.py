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
    dot to the next, and the first iterate, the last and then iterates 1, 2, …
    up to ``annotate`` are labelled with their value, as in the notes' x²
    examples; a label that would overlap one already placed is left out.

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
    if len(objective.minima):
        m = objective.minimizers[:, 0]
        ax.plot(m, objective.f(m[:, None]), "*", color="k", ms=10, label="_minimum")
    ax.set_xlim(low, high)
    if len(paths) == 1:
        run = next(iter(paths.values()))
        xs, fs = np.asarray(run.points, dtype=np.float64)[:, 0], np.asarray(run.losses, dtype=np.float64)
        texts = {k: f"x({k}) = {xs[k]:.4g}" for k in range(len(xs))}
        for k in _labelled_steps(ax, xs, fs, texts, annotate):
            ax.annotate(texts[k], (xs[k], fs[k]), textcoords="offset points", xytext=LABEL_OFFSET,
                        fontsize=LABEL_FONTSIZE)
    ax.set_xlabel(objective.axis_labels[0])
    ax.set_ylabel("f")
    if single:
        ax.set_title(_title(objective, path))
    else:
        ax.set_title(f"{objective.name}: {objective.formula}")
    ax.legend(loc="upper center", fontsize=8)
    return ax


#: where an iterate's label sits (points right of and above its dot) and its font size
LABEL_OFFSET = (4, 6)
LABEL_FONTSIZE = 8


def _label_box(ax, x, y, text):
    """The box, in display pixels ``(x0, y0, x1, y1)``, that ``text`` takes when annotated at data
    point ``(x, y)`` with ``LABEL_OFFSET``: about 0.6 em per character and 1.2 em of height."""
    to_pixels = ax.figure.dpi / 72
    px, py = ax.transData.transform((x, y))
    x0, y0 = px + LABEL_OFFSET[0] * to_pixels, py + LABEL_OFFSET[1] * to_pixels
    return (x0, y0, x0 + 0.6 * LABEL_FONTSIZE * len(text) * to_pixels, y0 + 1.2 * LABEL_FONTSIZE * to_pixels)


def _overlap(a, b, margin=1.0):
    return a[0] < b[2] + margin and b[0] < a[2] + margin and a[1] < b[3] + margin and b[1] < a[3] + margin


def _labelled_steps(ax, xs, fs, texts, count):
    """The steps whose labels are drawn: the first, the last, then steps 1, 2, ... up to ``count``,
    each skipped when its label's box would overlap one already placed or leave the axes.

    The boxes are measured on the axes as they stand (limits set), so the rule holds whatever the
    curve, the steps and the figure's size."""
    ax.autoscale_view()
    inside = ax.bbox.extents
    wanted = [0, len(xs) - 1] + list(range(1, min(count, len(xs))))
    placed = {}
    for k in dict.fromkeys(wanted):
        box = _label_box(ax, xs[k], fs[k], texts[k])
        fits = box[0] >= inside[0] and box[2] <= inside[2] + 0.5 * (box[2] - box[0]) and box[3] <= inside[3]
        if fits and not any(_overlap(box, other) for other in placed.values()):
            placed[k] = box
    return sorted(placed)


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
    with markers, its legend entry is ``"label: final loss …"``, or
    ``"label: left the frame at step k"`` for a path that ends off the map (its
    final loss is not on the picture); the known
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
                label=framed_label(label, path, objective.domain))
    if paths:
        start = np.asarray(next(iter(paths.values())).points[0], dtype=np.float64)
        ax.plot(start[0], start[1], "s", color="k", ms=6, label="_start")
    if paths:
        ax.legend(fontsize=8, loc="best")
    return ax


def framed_label(label, path, domain):
    """The legend entry of a path on the map ``domain`` ``((x0, x1), (y0, y1))``: its final loss
    (``path_label``) when it ends on the map; else the step from which it stays off the map (and
    whether it diverged), since a final loss off the picture would describe nothing drawn."""
    points = np.asarray(path.points, dtype=np.float64)
    (x0, x1), (y0, y1) = domain
    with np.errstate(invalid="ignore"):
        inside = (points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)
    if inside[-1]:
        return path_label(label, path)
    last_inside = np.flatnonzero(inside)
    text = f"{label}: left the frame at step {int(last_inside[-1]) + 1 if last_inside.size else 0}"
    return text + " (diverged)" if path.diverged else text


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
