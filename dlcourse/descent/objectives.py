"""Test functions for gradient descent, each with its analytic gradient.

Chapter: optimisation (the hiker on ``f(x) = x²``, the step size of 0.8 from
``x = −4``, the elliptical bowl ``x² + 4y²`` where plain gradient descent
zigzags, saddle points, local minima, and the house-price regression loss).

Every objective is an object with

- ``f(xy)``: the value; ``xy`` has shape ``(..., d)`` (``d = dim``, 1 or 2),
  the result has shape ``(...)``, so a whole grid of points is evaluated at once;
- ``grad(xy)``: the gradient, shape ``(..., d)``;
- ``name``, ``formula``, ``dim``, ``start`` (a sensible default starting point),
  ``domain`` (one ``(low, high)`` range per coordinate, for plots),
  ``minima`` (the known minimisers, shape ``(k, d)``) and ``min_value``
  (the global minimum value, ``None`` when the function is unbounded below).

Floating-point input keeps its dtype (float32 stays float32); other input is
computed in float64.

>>> float(SQUARE.f([3.0])), SQUARE.grad([3.0])
(9.0, array([6.]))
>>> OBJECTIVES["ravine"].f(np.zeros((4, 5, 2))).shape
(4, 5)
"""

import numpy as np

from dlcourse.datasets import house_prices


class Objective:
    """Base class: input checking and the common attributes.

    Subclasses implement ``_f(*coords)`` and ``_grad(*coords)`` on the
    coordinate arrays ``x`` (and ``y``), each of shape ``(...)``.
    """

    name = "objective"
    formula = ""
    dim = 2
    start = (0.0, 0.0)
    domain = ((-1.0, 1.0), (-1.0, 1.0))
    minima = ()
    min_value = 0.0
    saddles = ()
    axis_labels = ("x", "y")
    #: draw contour levels on a log scale (for functions with a huge range)
    log_levels = False
    #: learning rates that are too small, about right, too large and divergent
    #: (for plain gradient descent from ``start``), or None when not worked out
    panel_lrs = None

    def _coords(self, xy):
        xy = np.asarray(xy)
        if not np.issubdtype(xy.dtype, np.floating):
            xy = xy.astype(np.float64)
        if xy.ndim == 0 or xy.shape[-1] != self.dim:
            raise ValueError(
                f"{self.name} takes points of shape (..., {self.dim}); got an array of shape {xy.shape}"
            )
        return tuple(xy[..., i] for i in range(self.dim))

    def f(self, xy):
        """The function value at ``xy`` (shape ``(..., dim)``); returns shape ``(...)``."""
        return self._f(*self._coords(xy))

    def grad(self, xy):
        """The gradient at ``xy`` (shape ``(..., dim)``); returns the same shape."""
        return np.stack(self._grad(*self._coords(xy)), axis=-1)

    __call__ = f

    @property
    def start_point(self):
        """The default start as a float64 array of shape ``(dim,)``."""
        return np.asarray(self.start, dtype=np.float64)

    @property
    def minimizers(self):
        """The known minimisers as a float64 array of shape ``(k, dim)``."""
        return np.asarray(self.minima, dtype=np.float64).reshape(-1, self.dim)

    def __repr__(self):
        return f"<objective {self.name}: {self.formula}>"


# -- one-dimensional --------------------------------------------------------
class Square(Objective):
    """``f(x) = x²``, ``f'(x) = 2x``: the hiker's hill in the notes.

    From ``x = 3`` with learning rate 0.1: 3 → 2.4 → 1.92. From ``x = −4``
    with step size 0.8: −4 → 2.4 → −1.44 → 0.864 → …, ``x⁽³⁰⁾ ≈ −8.843e−07``.
    """

    name = "square"
    formula = "x²"
    dim = 1
    start = (3.0,)
    domain = ((-4.5, 4.5),)
    minima = ((0.0,),)
    axis_labels = ("x",)
    panel_lrs = (0.01, 0.1, 0.8, 1.05)

    def _f(self, x):
        return x * x

    def _grad(self, x):
        return (2 * x,)


class HalfSquare(Objective):
    """``f(x) = ½x²``, ``f'(x) = x``: the 1-D example the notes start from."""

    name = "half-square"
    formula = "½x²"
    dim = 1
    start = (3.0,)
    domain = ((-4.5, 4.5),)
    minima = ((0.0,),)
    axis_labels = ("x",)
    panel_lrs = (0.02, 0.2, 1.6, 2.1)

    def _f(self, x):
        return 0.5 * x * x

    def _grad(self, x):
        return (x,)


class DoubleWell(Objective):
    """A non-convex curve with a local and a global minimum.

    ``f(x) = x⁴/4 − x³/3 − x²``, ``f'(x) = x³ − x² − 2x = x(x − 2)(x + 1)``:
    a local minimum at ``x = −1`` (``f = −5/12``), a local maximum at 0 and the
    global minimum at ``x = 2`` (``f = −8/3``). Gradient descent started at
    ``x = −2`` stops in the local minimum.
    """

    name = "double-well"
    formula = "x⁴/4 − x³/3 − x²"
    dim = 1
    start = (-2.0,)
    domain = ((-2.3, 3.0),)
    minima = ((2.0,), (-1.0,))
    min_value = -8.0 / 3.0
    local_minima = ((-1.0,),)
    axis_labels = ("x",)

    def _f(self, x):
        return x**4 / 4 - x**3 / 3 - x * x

    def _grad(self, x):
        return (x**3 - x * x - 2 * x,)


# -- two-dimensional --------------------------------------------------------
class EllipticalBowl(Objective):
    """``L(x, y) = x² + 4y²``: the notes' elliptical bowl, where plain
    gradient descent zigzags; ``∇L = (2x, 8y)``."""

    name = "bowl"
    formula = "x² + 4y²"
    start = (-4.0, 2.0)
    domain = ((-5.0, 5.0), (-3.0, 3.0))
    minima = ((0.0, 0.0),)
    panel_lrs = (0.01, 0.1, 0.22, 0.26)

    def _f(self, x, y):
        return x * x + 4 * y * y

    def _grad(self, x, y):
        return 2 * x, 8 * y


class Ravine(Objective):
    """``L(x, y) = 0.1x² + 12y²``: a long narrow valley (curvatures 0.2 and 24,
    condition number 120); ``∇L = (0.2x, 24y)``.

    At learning rate 0.05 plain gradient descent zigzags across the valley
    (the y-coordinate is multiplied by 1 − 0.05·24 = −0.2 at each step) and
    creeps along it (x is multiplied by 0.99); momentum builds up speed along it.
    """

    name = "ravine"
    formula = "0.1x² + 12y²"
    start = (-8.0, 1.0)
    domain = ((-9.0, 3.0), (-1.5, 1.5))
    minima = ((0.0, 0.0),)
    panel_lrs = (0.005, 0.05, 0.08, 0.085)

    def _f(self, x, y):
        return 0.1 * x * x + 12 * y * y

    def _grad(self, x, y):
        return 0.2 * x, 24 * y


class Saddle(Objective):
    """``f(x, y) = x² − y²``: a saddle point at the origin, where the gradient
    ``(2x, −2y)`` vanishes although it is no minimum; unbounded below."""

    name = "saddle"
    formula = "x² − y²"
    start = (-2.0, 0.01)
    domain = ((-2.5, 2.5), (-2.5, 2.5))
    minima = ()
    min_value = None
    saddles = ((0.0, 0.0),)

    def _f(self, x, y):
        return x * x - y * y

    def _grad(self, x, y):
        return 2 * x, -2 * y


class Rosenbrock(Objective):
    """``f(x, y) = (a − x)² + b(y − x²)²`` with ``a = 1, b = 100``: a curved
    banana-shaped valley, minimum 0 at ``(1, 1)``.

    ``∂f/∂x = −2(a − x) − 4bx(y − x²)``, ``∂f/∂y = 2b(y − x²)``.
    """

    name = "rosenbrock"
    formula = "(1 − x)² + 100(y − x²)²"
    start = (-1.5, 2.0)
    domain = ((-2.0, 2.0), (-1.0, 3.0))
    minima = ((1.0, 1.0),)
    log_levels = True
    a, b = 1.0, 100.0

    def _f(self, x, y):
        return (self.a - x) ** 2 + self.b * (y - x * x) ** 2

    def _grad(self, x, y):
        inner = y - x * x
        return -2 * (self.a - x) - 4 * self.b * x * inner, 2 * self.b * inner


class Beale(Objective):
    """``f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²``:
    minimum 0 at ``(3, 0.5)``, flat plateaus and steep walls.

    With ``rᵢ = cᵢ − x + xyⁱ`` (``c = 1.5, 2.25, 2.625``):
    ``∂f/∂x = Σ 2rᵢ(yⁱ − 1)``, ``∂f/∂y = Σ 2rᵢ·i·x·yⁱ⁻¹``.
    """

    name = "beale"
    formula = "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²"
    start = (-1.0, 1.5)
    domain = ((-4.5, 4.5), (-4.5, 4.5))
    minima = ((3.0, 0.5),)
    log_levels = True
    constants = (1.5, 2.25, 2.625)

    def _residuals(self, x, y):
        return [(c - x + x * y**i, i) for i, c in enumerate(self.constants, start=1)]

    def _f(self, x, y):
        return sum(r * r for r, _ in self._residuals(x, y))

    def _grad(self, x, y):
        terms = self._residuals(x, y)
        dx = sum(2 * r * (y**i - 1) for r, i in terms)
        dy = sum(2 * r * i * x * y ** (i - 1) for r, i in terms)
        return dx, dy


class Himmelblau(Objective):
    """``f(x, y) = (x² + y − 11)² + (x + y² − 7)²``: four minima, all with value 0.

    ``∂f/∂x = 4x(x² + y − 11) + 2(x + y² − 7)``,
    ``∂f/∂y = 2(x² + y − 11) + 4y(x + y² − 7)``.
    """

    name = "himmelblau"
    formula = "(x² + y − 11)² + (x + y² − 7)²"
    start = (0.0, -0.5)
    domain = ((-5.0, 5.0), (-5.0, 5.0))
    minima = (
        (3.0, 2.0),
        (-2.805118086952745, 3.131312518250573),
        (-3.779310253377747, -3.283185991286170),
        (3.584428340330492, -1.848126526964404),
    )
    log_levels = True

    def _f(self, x, y):
        return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2

    def _grad(self, x, y):
        u = x * x + y - 11
        v = x + y * y - 7
        return 4 * x * u + 2 * v, 2 * u + 4 * y * v


# -- the notes' house-price table -------------------------------------------
class HousePriceMSE(Objective):
    """Mean squared error of ``price ≈ w·z + b`` on the notes' house table,
    as a surface over the two parameters ``(w, b)``.

    ``z = (area − mean) / std`` is the standardised area (scaled feature), so
    ``L(w, b) = (1/M) Σ (w zᵢ + b − yᵢ)²``,
    ``∂L/∂w = (2/M) Σ (w zᵢ + b − yᵢ) zᵢ``, ``∂L/∂b = (2/M) Σ (w zᵢ + b − yᵢ)``.
    The minimiser is the least-squares fit; the minimum is the residual MSE.
    The table is ``dlcourse.datasets.house_prices()`` unless ``area`` and
    ``price`` are given.
    """

    name = "house"
    formula = "mean((w·z + b − price)²), z = standardised area"
    start = (-50.0, 0.0)
    axis_labels = ("w", "b")
    panel_lrs = (0.02, 0.3, 0.9, 1.05)

    def __init__(self, area=None, price=None):
        if area is None or price is None:
            features, price = house_prices()
            area = features[:, 0]
        self.area = np.asarray(area, dtype=np.float64)
        self.price = np.asarray(price, dtype=np.float64)
        if self.area.shape != self.price.shape or self.area.ndim != 1:
            raise ValueError(
                f"area and price must be 1-D of equal length; got {self.area.shape} and {self.price.shape}"
            )
        self.z = (self.area - self.area.mean()) / self.area.std()
        design = np.stack([self.z, np.ones_like(self.z)], axis=1)
        best, *_ = np.linalg.lstsq(design, self.price, rcond=None)
        self.minima = (tuple(float(v) for v in best),)
        self.min_value = float(self._f(best[0], best[1]))
        w, b = best
        self.domain = ((w - 100.0, w + 100.0), (b - 100.0, b + 100.0))

    def _residual(self, w, b):
        # parameters (...) against the M samples -> residuals (..., M), in the caller's dtype
        w, b = np.asarray(w), np.asarray(b)
        z, price = self.z.astype(w.dtype), self.price.astype(w.dtype)
        return w[..., None] * z + b[..., None] - price, z

    def _f(self, w, b):
        r, _ = self._residual(w, b)
        return np.mean(r * r, axis=-1)

    def _grad(self, w, b):
        r, z = self._residual(w, b)
        return 2 * np.mean(r * z, axis=-1), 2 * np.mean(r, axis=-1)


class SingleWeightSquaredError(Objective):
    """``L(w) = (y − wx)²`` for one example, ``dL/dw = −2x(y − wx)``.

    The notes' worked example: ``x = 3, y = 10, w = 2`` gives ``dL/dw = −24``
    and, with learning rate 0.1, the new weight ``w = 2 + 2.4 = 4.4``.
    """

    name = "single-weight"
    formula = "(y − wx)², x = 3, y = 10"
    dim = 1
    start = (2.0,)
    axis_labels = ("w",)
    panel_lrs = (0.005, 0.03, 0.1, 0.12)

    def __init__(self, x=3.0, y=10.0):
        self.x, self.y = float(x), float(y)
        best = self.y / self.x
        self.minima = ((best,),)
        self.formula = f"(y − wx)², x = {self.x:g}, y = {self.y:g}"
        self.domain = ((best - 4.0, best + 4.0),)

    def _f(self, w):
        r = self.y - w * self.x
        return r * r

    def _grad(self, w):
        return (-2 * self.x * (self.y - w * self.x),)


SQUARE = Square()

#: Every objective by name, in the order the ``dlcourse plot`` command lists them.
OBJECTIVES = {
    obj.name: obj
    for obj in (
        SQUARE,
        HalfSquare(),
        DoubleWell(),
        SingleWeightSquaredError(),
        EllipticalBowl(),
        Ravine(),
        Saddle(),
        Rosenbrock(),
        Beale(),
        Himmelblau(),
        HousePriceMSE(),
    )
}


def get_objective(name):
    """The objective called ``name`` (see ``OBJECTIVES``), or an error listing the names."""
    if isinstance(name, Objective):
        return name
    try:
        return OBJECTIVES[name]
    except KeyError:
        raise ValueError(
            f"unknown objective {name!r}; choose one of: {', '.join(OBJECTIVES)}"
        ) from None
