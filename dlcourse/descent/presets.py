"""Optimizers by short name, and learning rates that suit each test function
(chapter: optimisation; used by ``dlcourse plot`` and the notebooks).

One learning rate rarely suits every optimizer: plain SGD takes steps of
``lr·|∇f|`` while Adam and its relatives take steps of about ``lr`` whatever
the gradient's size, and momentum 0.9 lengthens SGD's steps up to tenfold.
So each function has a learning rate per *family* of optimizers:

- ``sgd``: plain gradient descent, delta-bar-delta (whose rates start at
  ``lr``) and momentum as an exponential moving average (``momentum-ema``,
  whose steps have the size of plain SGD's);
- ``momentum``: ``momentum`` and ``nesterov`` (SGD with momentum 0.9);
- ``adaptive``: Adagrad, RMSprop, Adam, AdamW, Adamax, NAdam, MaxProp;
- ``adadelta``: Adadelta, whose step is ``lr`` times a ratio of running RMS
  values that starts near ``sqrt(eps)``, so it needs a far larger ``lr``
  (and is still slow on these small problems: the notes' point about it);

and an individual optimizer's name may override its family's rate.
The rates were chosen by running every optimizer over a grid of rates and
keeping one that converges visibly within the default number of steps.
"""

import math

import numpy as np

from dlcourse.descent.paths import run_descent
from dlcourse.descent.objectives import get_objective

#: short name -> (class name in ``dlcourse.optim``, keyword arguments, family)
OPTIMIZERS = {
    "sgd": ("SGD", {}, "sgd"),
    "momentum": ("SGD", {"momentum": 0.9}, "momentum"),
    "nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}, "momentum"),
    "adagrad": ("Adagrad", {}, "adaptive"),
    "rmsprop": ("RMSprop", {}, "adaptive"),
    "adadelta": ("Adadelta", {}, "adadelta"),
    "adam": ("Adam", {}, "adaptive"),
    "adamw": ("AdamW", {}, "adaptive"),
    "adamax": ("Adamax", {}, "adaptive"),
    "nadam": ("NAdam", {}, "adaptive"),
    "maxprop": ("MaxProp", {}, "adaptive"),
    "momentum-ema": ("MomentumEMA", {"momentum": 0.9}, "sgd"),
    "delta-bar-delta": ("DeltaBarDelta", {}, "sgd"),
}

#: per function: the default number of steps and the learning rate per family
#: (or per optimizer, which wins over its family)
SETTINGS = {
    "square": dict(steps=20, lr=dict(sgd=0.1, momentum=0.03, adaptive=0.3, adadelta=10.0)),
    "half-square": dict(steps=20, lr=dict(sgd=0.2, momentum=0.05, adaptive=0.3, adadelta=10.0)),
    "double-well": dict(steps=30, lr=dict(sgd=0.1, momentum=0.03, adaptive=0.1, adadelta=10.0)),
    "single-weight": dict(steps=20, lr=dict(sgd=0.03, momentum=0.01, adaptive=0.3, adadelta=10.0)),
    "bowl": dict(steps=60, lr=dict(sgd=0.1, momentum=0.03, adaptive=0.3, adadelta=10.0)),
    "ravine": dict(steps=100, lr=dict(sgd=0.05, momentum=0.05, adaptive=0.3, adadelta=10.0)),
    "saddle": dict(steps=40, lr=dict(sgd=0.05, momentum=0.01, adaptive=0.05, adadelta=3.0)),
    "rosenbrock": dict(steps=500, lr=dict(sgd=1e-3, momentum=1e-3, adaptive=0.1, adagrad=1.0,
                                          rmsprop=0.01, adadelta=10.0)),
    "beale": dict(steps=200, lr=dict(sgd=0.03, momentum=0.01, adaptive=0.1, adam=1.0,
                                     rmsprop=0.03, adadelta=10.0)),
    "himmelblau": dict(steps=100, lr=dict(sgd=0.01, momentum=0.003, adaptive=0.1, adadelta=10.0)),
    "house": dict(steps=60, lr=dict(sgd=0.3, momentum=0.1, adaptive=10.0, rmsprop=3.0, adadelta=10.0)),
}

#: the optimizers drawn when none are named
DEFAULT_OPTIMIZERS = {1: ("sgd",), 2: ("sgd", "momentum", "nesterov", "rmsprop", "adam")}


def available_optimizers():
    """The short names whose class exists in ``dlcourse.optim``, in table order."""
    import dlcourse.optim as optim  # noqa: PLC0415

    return [name for name, (cls, _, _) in OPTIMIZERS.items() if hasattr(optim, cls)]


#: the β a slider can set: momentum β (SGD with momentum, Nesterov, momentum
#: as an EMA), β₁ (Adam's first moment) and β₂ (Adam's second moment, and the
#: decay of RMSprop's and MaxProp's running averages of the gradient's size)
BETAS = {"momentum": 0.9, "beta1": 0.9, "beta2": 0.999}


def check_betas(betas):
    """``{"momentum": β, "beta1": β₁, "beta2": β₂}`` (any subset) with each β in [0, 1)."""
    betas = dict(betas or {})
    unknown = sorted(set(betas) - set(BETAS))
    if unknown:
        raise ValueError(f"unknown β {', '.join(map(repr, unknown))}; choose from: {', '.join(BETAS)}")
    for key, value in betas.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
                or not 0 <= value < 1:
            raise ValueError(f"{key} must be a number in [0, 1); got {value!r}")
    return {key: float(value) for key, value in betas.items()}


def optimizer_kwargs(name, betas=None):
    """The keyword arguments of optimizer ``name``, with the given ``betas`` applied."""
    cls_name, kwargs, _ = OPTIMIZERS[name]
    kwargs = dict(kwargs)
    betas = check_betas(betas)
    if "momentum" in kwargs and "momentum" in betas:
        kwargs["momentum"] = betas["momentum"]
    if cls_name in ("Adam", "AdamW", "Adamax", "NAdam") and ({"beta1", "beta2"} & set(betas)):
        kwargs["betas"] = (betas.get("beta1", BETAS["beta1"]), betas.get("beta2", BETAS["beta2"]))
    if cls_name == "RMSprop" and "beta2" in betas:
        kwargs["alpha"] = betas["beta2"]
    if cls_name == "MaxProp" and "beta2" in betas:
        kwargs["beta"] = betas["beta2"]
    return kwargs


def check_optimizer_name(name):
    """Raise a clear error unless ``name`` is an optimizer of ``available_optimizers()``."""
    import dlcourse.optim as optim  # noqa: PLC0415

    if name not in OPTIMIZERS or not hasattr(optim, OPTIMIZERS[name][0]):
        raise ValueError(f"unknown optimizer {name!r}; choose from: {', '.join(available_optimizers())}")
    return name


def make_optimizer(name, lr, betas=None):
    """A factory ``params -> optimizer`` for the short ``name`` at rate ``lr``
    (and the momentum β / β₁ / β₂ of ``betas``, see ``optimizer_kwargs``)."""
    import dlcourse.optim as optim  # noqa: PLC0415

    check_optimizer_name(name)
    check_lr(lr)
    cls = getattr(optim, OPTIMIZERS[name][0])
    kwargs = optimizer_kwargs(name, betas)
    return lambda params: cls(params, lr=lr, **kwargs)


def check_lr(lr):
    """Raise a clear error unless ``lr`` is a finite number > 0."""
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating, np.integer)):
        raise ValueError(f"learning rate must be a number; got {lr!r}")
    if not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"learning rate must be a finite number > 0; got {lr}")
    return float(lr)


def default_lr(objective, name):
    """The learning rate ``SETTINGS`` gives optimizer ``name`` on ``objective``."""
    objective = get_objective(objective)
    rates = SETTINGS.get(objective.name, {}).get("lr", {})
    family = OPTIMIZERS[name][2] if name in OPTIMIZERS else "sgd"
    fallback = {"sgd": 0.01, "momentum": 0.003, "adaptive": 0.1, "adadelta": 10.0}
    return rates.get(name, rates.get(family, fallback[family]))


def default_steps(objective):
    return SETTINGS.get(get_objective(objective).name, {}).get("steps", 100)


def descent_paths(objective, optimizers=None, lr=None, betas=None, start=None, steps=None):
    """Run several optimizers on ``objective`` from the same start.

    ``optimizers`` is a list of short names (default: ``DEFAULT_OPTIMIZERS``);
    ``lr`` is one rate for all, a dict ``{name: rate}`` or None for the
    defaults of ``SETTINGS``; ``betas`` sets momentum β / β₁ / β₂
    (``optimizer_kwargs``); ``steps`` defaults to the objective's own.
    Returns ``{name: DescentPath}``, each path labelled ``"name (lr …)"``,
    with ``points`` of shape ``(steps + 1, d)`` unless it diverged.
    """
    objective = get_objective(objective)
    names = list(optimizers or DEFAULT_OPTIMIZERS[objective.dim])
    for name in names:
        check_optimizer_name(name)
    steps = default_steps(objective) if steps is None else steps
    paths = {}
    for name in names:
        if isinstance(lr, dict):
            rate = lr.get(name, default_lr(objective, name))
        else:
            rate = default_lr(objective, name) if lr is None else lr
        label = f"{name} (lr {rate:g})"
        paths[name] = run_descent(objective, make_optimizer(name, rate, betas), steps, start=start, label=label)
    return paths


def compare_optimizers(objective, optimizers=None, lr=None, steps=None, start=None):
    """``descent_paths`` keyed by each path's label: ``{"name (lr …)": DescentPath}``."""
    paths = descent_paths(objective, optimizers, lr=lr, start=start, steps=steps)
    return {path.label: path for path in paths.values()}
