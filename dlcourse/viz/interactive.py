"""The descent a teacher moves in class: pick the function, the optimizers,
the learning rate, the βs, the start and the number of steps, and the paths
and the loss panel are drawn again (chapter: optimisation).

Built from plain ipywidgets: the figure (a ``DescentFigure``) is drawn to a
PNG shown in an ``ipywidgets.Image``, so it works in JupyterLab and Notebook
without any extension (no ipympl); the start point is set with the x and y
sliders.
"""

import io
import math

import ipywidgets as widgets

from dlcourse.descent.figure import DescentFigure
from dlcourse.descent.objectives import OBJECTIVES, get_objective
from dlcourse.descent.presets import (
    BETAS,
    available_optimizers,
    check_betas,
    check_lr,
    check_optimizer_name,
    default_steps,
    descent_paths,
)

#: the functions the explorer draws: the 2-D ones, as contour maps
MAP_OBJECTIVES = tuple(name for name, objective in OBJECTIVES.items() if objective.dim == 2)

#: the range of the learning-rate slider (powers of ten) and of the steps slider
LR_EXPONENTS = (-4, 1)
MAX_STEPS = 1000


def _check_objective(name):
    if name not in MAP_OBJECTIVES:
        raise ValueError(f"unknown objective {name!r} for the explorer; choose from: {', '.join(MAP_OBJECTIVES)}")
    return get_objective(name)


def _check_steps(steps):
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number from 1 to {MAX_STEPS}; got {steps!r}")
    return steps


class DescentExplorer(widgets.VBox):
    """The controls above the figure. Controls (attributes): ``objective``
    (dropdown), ``optimizers`` (multiple selection), ``preset_lr`` (each
    optimizer's own rate from ``dlcourse.descent.presets``) and ``lr`` (a log
    slider, one rate for all when ``preset_lr`` is off), ``momentum``,
    ``beta1``, ``beta2``, ``x`` and ``y`` (the start), ``steps``.
    After every change: ``paths`` holds ``descent_paths(...)`` for the
    controls' values, ``figure`` the ``DescentFigure`` drawn and ``image``
    its PNG.
    """

    def __init__(self, objective="ravine", optimizers=("sgd", "momentum", "adam"), lr=None,
                 steps=None, start=None):
        function = _check_objective(objective)
        optimizers = tuple(optimizers)
        if not optimizers:
            raise ValueError(f"pick at least one optimizer; choose from: {', '.join(available_optimizers())}")
        for name in optimizers:
            check_optimizer_name(name)
        if lr is not None:
            check_lr(lr)
        steps = default_steps(function) if steps is None else _check_steps(steps)
        start = self._check_start(function, start)
        style = {"description_width": "initial"}
        wide = widgets.Layout(width="320px")
        self.objective = widgets.Dropdown(options=MAP_OBJECTIVES, value=function.name, description="function")
        self.optimizers = widgets.SelectMultiple(options=available_optimizers(), value=optimizers,
                                                 description="optimizers", rows=6)
        self.preset_lr = widgets.Checkbox(value=lr is None, description="each optimizer's preset rate")
        self.lr = widgets.FloatLogSlider(value=0.01 if lr is None else lr, base=10, min=LR_EXPONENTS[0],
                                         max=LR_EXPONENTS[1], step=0.05, description="lr", readout_format=".3g",
                                         disabled=lr is None, continuous_update=False, layout=wide)
        beta = dict(min=0.0, max=0.999, step=0.001, readout_format=".3f", continuous_update=False,
                    style=style, layout=wide)
        self.momentum = widgets.FloatSlider(value=BETAS["momentum"], description="momentum β", **beta)
        self.beta1 = widgets.FloatSlider(value=BETAS["beta1"], description="β₁ (Adam)", **beta)
        self.beta2 = widgets.FloatSlider(value=BETAS["beta2"], description="β₂ (Adam, RMSprop)", **beta)
        self.x = widgets.FloatSlider(description="start x", continuous_update=False, layout=wide)
        self.y = widgets.FloatSlider(description="start y", continuous_update=False, layout=wide)
        self._set_start_range(function, start)
        self.steps = widgets.IntSlider(value=steps, min=1, max=MAX_STEPS, description="steps",
                                       continuous_update=False, layout=wide)
        self.image = widgets.Image(format="png")
        self.message = widgets.HTML()
        self.paths, self.figure, self._paused = {}, None, False
        controls = widgets.HBox([
            widgets.VBox([self.objective, self.optimizers]),
            widgets.VBox([self.preset_lr, self.lr, self.steps, self.x, self.y]),
            widgets.VBox([self.momentum, self.beta1, self.beta2]),
        ])
        super().__init__([controls, self.message, self.image])
        self.objective.observe(self._objective_changed, names="value")
        self.preset_lr.observe(self._preset_changed, names="value")
        for control in (self.optimizers, self.lr, self.momentum, self.beta1, self.beta2,
                        self.x, self.y, self.steps):
            control.observe(self._redraw, names="value")
        self._redraw()

    @staticmethod
    def _check_start(function, start):
        if start is None:
            return tuple(float(v) for v in function.start_point)
        start = tuple(start)
        if len(start) != 2 or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in start):
            raise ValueError(f"start must be two finite numbers (x, y); got {start!r}")
        (x0, x1), (y0, y1) = function.domain
        if not (x0 <= start[0] <= x1 and y0 <= start[1] <= y1):
            raise ValueError(f"start {start} is outside the map of {function.name}: x in [{x0}, {x1}], y in [{y0}, {y1}]")
        return tuple(float(v) for v in start)

    def _set_start_range(self, function, start):
        for slider, (low, high), value in zip((self.x, self.y), function.domain, start):
            # widen before narrowing, so that min never passes max on the way
            slider.min, slider.max = min(low, slider.min), max(high, slider.max)
            slider.value = value
            slider.min, slider.max = low, high
            slider.step = (high - low) / 200

    def _objective_changed(self, change):
        function = get_objective(change["new"])
        # one redraw for the new function, not one per control moved to its preset
        self._paused = True
        try:
            self._set_start_range(function, function.start_point)
            self.steps.value = default_steps(function)
        finally:
            self._paused = False
        self._redraw()

    def _preset_changed(self, change):
        self.lr.disabled = change["new"]
        self._redraw()

    def settings(self):
        """The arguments of ``descent_paths`` the controls give."""
        return dict(objective=self.objective.value, optimizers=tuple(self.optimizers.value),
                    lr=None if self.preset_lr.value else self.lr.value,
                    betas=dict(momentum=self.momentum.value, beta1=self.beta1.value, beta2=self.beta2.value),
                    start=(self.x.value, self.y.value), steps=self.steps.value)

    def _redraw(self, change=None):
        if self._paused:
            return
        settings = self.settings()
        if not settings["optimizers"]:
            self.message.value = "<b>Pick at least one optimizer.</b>"
            return
        check_betas(settings["betas"])
        self.paths = descent_paths(**settings)
        self.figure = DescentFigure(settings["objective"], self.paths, figsize=(11, 4.6))
        buffer = io.BytesIO()
        self.figure.fig.savefig(buffer, format="png", dpi=80)
        self.image.value = buffer.getvalue()
        diverged = [name for name, path in self.paths.items() if path.diverged]
        self.message.value = (f"diverged (stopped early): {', '.join(diverged)}" if diverged else "")


def descent_explorer(objective="ravine", optimizers=("sgd", "momentum", "adam"), lr=None, steps=None,
                     start=None):
    """The interactive descent figure: a ``DescentExplorer`` widget.

    ``objective`` is one of ``MAP_OBJECTIVES``; ``optimizers`` short names of
    ``dlcourse.descent.presets.available_optimizers()``; ``lr`` one rate for
    all (None: each optimizer's preset rate for the function); ``steps`` from
    1 to ``MAX_STEPS`` (None: the function's preset); ``start`` ``(x, y)``
    inside the map (None: the function's start). Bad arguments raise
    ValueError naming the problem and the valid choices.
    """
    return DescentExplorer(objective, optimizers, lr=lr, steps=steps, start=start)
