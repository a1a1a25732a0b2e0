"""Gradient descent for class: the test functions, the runner that records a path,
the optimizers and learning rates that suit each function, and the pictures.

=====================  ==============================================================
module                 what it holds
=====================  ==============================================================
``objectives``         test functions f(θ) with their gradients (x², the ravine,
                       Rosenbrock, Beale, Himmelblau, the notes' house-price MSE ...)
``paths``              ``run_descent``: θ.grad ← ∇f(θ); optimizer.step(), recorded
                       as a ``DescentPath``; ``GradientDescent``, the plain rule
``presets``            optimizers by short name and the learning rates that suit
                       each test function (what ``dlcourse plot`` uses);
                       ``descent_paths`` runs several from one start
``pictures``           paths on curves and contour maps, optimizers side by side
``figure``             the paths beside the loss against the step, as projected
``animation``          the paths growing one step per frame (GIF, MP4); these two
                       are also importable from :mod:`dlcourse.viz`
=====================  ==============================================================

The pictures need matplotlib and are not imported here; import them from
:mod:`dlcourse.viz` (or :mod:`dlcourse.descent.pictures` and ``.animation``).
"""

from dlcourse.descent.objectives import (
    OBJECTIVES,
    SQUARE,
    Beale,
    DoubleWell,
    EllipticalBowl,
    HalfSquare,
    Himmelblau,
    HousePriceMSE,
    Objective,
    Ravine,
    Rosenbrock,
    Saddle,
    SingleWeightSquaredError,
    Square,
    get_objective,
)
from dlcourse.descent.paths import DescentPath, GradientDescent, run_descent
from dlcourse.descent.presets import (
    DEFAULT_OPTIMIZERS,
    OPTIMIZERS,
    available_optimizers,
    compare_optimizers,
    default_lr,
    default_steps,
    descent_paths,
    make_optimizer,
)

__all__ = [
    "OBJECTIVES", "SQUARE", "Beale", "DoubleWell", "EllipticalBowl", "HalfSquare", "Himmelblau",
    "HousePriceMSE", "Objective", "Ravine", "Rosenbrock", "Saddle", "SingleWeightSquaredError",
    "Square", "get_objective", "DescentPath", "GradientDescent", "run_descent",
    "DEFAULT_OPTIMIZERS", "OPTIMIZERS", "available_optimizers", "compare_optimizers",
    "default_lr", "default_steps", "descent_paths", "make_optimizer",
]
