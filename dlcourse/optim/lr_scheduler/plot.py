"""The learning rate against the step, as numbers and as a plot."""

import copy

import numpy as np

from dlcourse.nn.parameter import Parameter
from dlcourse.optim.lr_scheduler.plateau import ReduceLROnPlateau
from dlcourse.optim.sgd import SGD


def lr_schedule(scheduler_or_factory, steps, *, lr=0.1, group=0):
    """The rates of ``steps`` consecutive optimizer steps, shape ``(steps,)``.

    ``scheduler_or_factory`` is a scheduler (a copy of it is stepped, the
    original and its optimizer are left alone) or a function
    ``optimizer -> scheduler``, called with a fresh ``SGD`` over one dummy
    parameter with rate ``lr`` and momentum 0.9 (so momentum-cycling
    schedulers work). Entry t is the rate in force after t scheduler steps.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    if callable(scheduler_or_factory) and not hasattr(scheduler_or_factory, "step"):
        optimizer = SGD([Parameter(np.zeros(1))], lr=lr, momentum=0.9)
        scheduler = scheduler_or_factory(optimizer)
    else:
        scheduler = copy.deepcopy(scheduler_or_factory)
    if isinstance(scheduler, ReduceLROnPlateau) or not hasattr(scheduler, "get_last_lr"):
        raise TypeError(
            f"cannot trace {type(scheduler).__name__}: expected a learning-rate scheduler whose "
            "step() takes no arguments (ReduceLROnPlateau needs a metric)"
        )
    rates = np.empty(steps)
    for t in range(steps):
        rates[t] = scheduler.get_last_lr()[group]
        if t < steps - 1:
            scheduler.step()
    return rates


def plot_lr_schedule(scheduler_or_factory, steps, ax=None, *, lr=0.1, group=0, label=None,
                     **plot_kwargs):
    """Plot the learning rate of each of ``steps`` steps on ``ax``; return ``ax``.

    Takes the same arguments as :func:`lr_schedule`. A new figure is made
    (without pyplot) only when no ``ax`` is given.
    """
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(6, 3.5)).add_subplot()
    rates = lr_schedule(scheduler_or_factory, steps, lr=lr, group=group)
    if label is None:
        source = scheduler_or_factory
        label = type(source).__name__ if hasattr(source, "step") else None
    ax.plot(np.arange(steps), rates, label=label, **plot_kwargs)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    if label is not None:
        ax.legend()
    return ax
