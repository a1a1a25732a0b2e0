"""Run an optimizer on a test function and record the path it takes.

Chapter: optimisation. The point ``θ`` is a single ``Parameter`` of shape
``(d,)``; at every step the runner writes the objective's gradient into
``θ.grad`` and calls the optimizer's ``step()``, exactly as a training loop
does with a network's parameters:

    θ.grad ← ∇f(θ);  optimizer.step()      (plain SGD: θ ← θ − lr·∇f(θ))

The optimizer is given as a *factory*, ``lambda params: SGD(params, lr=0.1)``,
so that every run starts from a fresh optimizer state.
"""

from dataclasses import dataclass, field

import numpy as np

from dlcourse.nn.parameter import Parameter
from dlcourse.descent.objectives import get_objective


@dataclass
class DescentPath:
    """The points visited and their losses.

    ``points`` has shape ``(n, d)`` and ``losses`` shape ``(n,)``, with
    ``n = steps + 1`` (the start included) unless the run diverged, in which
    case it stopped early: ``diverged`` is True and the last point kept is the
    last finite, not-huge one.
    """

    points: np.ndarray
    losses: np.ndarray
    diverged: bool = False
    label: str = ""
    lr: float = None
    info: dict = field(default_factory=dict)

    @property
    def steps(self):
        """The number of steps taken (``len(points) − 1``)."""
        return len(self.points) - 1

    @property
    def final_loss(self):
        return float(self.losses[-1])

    @property
    def final_point(self):
        return self.points[-1]

    def steps_to(self, tolerance):
        """The first step at which the loss is below ``tolerance``, or None."""
        below = np.flatnonzero(self.losses < tolerance)
        return int(below[0]) if below.size else None

    def __len__(self):
        return len(self.points)


#: The name the course uses for the result of ``run_descent``.
Path = DescentPath


def run_descent(objective, optimizer_factory, steps, start=None, *, label="",
                max_abs=1e6, max_loss=1e12, dtype=None):
    """Minimise ``objective`` for ``steps`` steps and record the path.

    Parameters
    ----------
    objective : Objective or str
        A test function from ``dlcourse.descent.objectives`` (or its name).
    optimizer_factory : callable
        ``factory([param]) -> optimizer`` with ``step()`` (and ``zero_grad()``).
    steps : int
        The number of optimizer steps (0 records just the start).
    start : array-like of shape (d,), optional
        The starting point; the objective's default start when omitted.
    max_abs, max_loss : float
        The run counts as diverged, and stops, when a coordinate leaves
        ``[−max_abs, max_abs]``, the loss exceeds ``max_loss`` in absolute
        value, or anything becomes NaN or infinite.
    dtype : NumPy dtype, optional
        The dtype of the point (default: the start's if floating, else float64).

    Returns
    -------
    DescentPath
        ``points`` of shape ``(steps + 1, d)`` and ``losses`` of shape ``(steps + 1,)``.
    """
    objective = get_objective(objective)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer; got {steps!r}")
    start = objective.start_point if start is None else np.asarray(start)
    if dtype is None:
        dtype = start.dtype if np.issubdtype(start.dtype, np.floating) else np.float64
    start = np.array(start, dtype=dtype).reshape(-1)
    if start.shape != (objective.dim,):
        raise ValueError(
            f"start must have {objective.dim} coordinate(s) for {objective.name}; got shape {np.shape(start)}"
        )
    if not np.all(np.isfinite(start)):
        raise ValueError(f"start must be finite; got {start}")

    theta = Parameter(start)
    optimizer = optimizer_factory([theta])
    points = [theta.data.copy()]
    losses = [objective.f(theta.data)]
    diverged = False
    for _ in range(steps):
        if hasattr(optimizer, "zero_grad"):
            optimizer.zero_grad()
        else:
            theta.zero_grad()
        theta.accumulate_grad(objective.grad(theta.data))
        optimizer.step()
        point = theta.data
        if not np.all(np.isfinite(point)) or np.max(np.abs(point)) > max_abs:
            diverged = True
            break
        loss = objective.f(point)
        if not np.isfinite(loss) or abs(loss) > max_loss:
            diverged = True
            break
        points.append(point.copy())
        losses.append(loss)
    return DescentPath(
        points=np.array(points, dtype=dtype),
        losses=np.array(losses, dtype=dtype),
        diverged=diverged,
        label=label,
        lr=_learning_rate(optimizer),
    )


def _learning_rate(optimizer):
    """The optimizer's learning rate (first parameter group), if it has one."""
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        return groups[0].get("lr")
    return getattr(optimizer, "lr", None)


class GradientDescent:
    """Plain gradient descent, ``θ ← θ − lr·∇f(θ)``: the smallest optimizer
    that fits the runner (``dlcourse.optim.SGD`` is the full one)."""

    def __init__(self, params, lr):
        self.params = list(params)
        self.lr = lr

    def zero_grad(self):
        for p in self.params:
            p.zero_grad()

    def step(self):
        for p in self.params:
            if p.grad is not None:
                p.data = p.data - self.lr * p.grad


def as_path_dict(paths):
    """``{label: DescentPath}`` from a dict, a single path or a list of paths."""
    if isinstance(paths, dict):
        return dict(paths)
    if hasattr(paths, "points"):
        paths = [paths]
    return {(p.label or f"path {i}"): p for i, p in enumerate(paths)}


def path_label(label, path):
    """The legend entry of a path: its label and its final loss."""
    text = f"{label}: final loss {path.final_loss:.3g}"
    return text + " (diverged)" if path.diverged else text
