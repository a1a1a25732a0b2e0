"""The figure a teacher projects: the paths on the function beside the loss
against the step (chapter: optimisation). The animation (GIF/MP4) and the
interactive explorer both draw it; ``show_step(k)`` cuts every path at step
``k``, so an animation's frame is the same figure at an earlier step.

Readable from the back of a room: large fonts, a marker and a line style of
its own for each path (paths that overlap, as on Rosenbrock, stay apart), and
the legend on the loss panel, where it hides no path.
"""

import numpy as np

from dlcourse.descent.objectives import get_objective
from dlcourse.descent.paths import as_path_dict
from dlcourse.descent.pictures import draw_contours, path_style
from dlcourse.viz._figure import new_figure
from dlcourse.viz.curves import plot_loss_curves

#: the font size of the legend, the titles and the axis labels
FONTSIZE = 12


def loss_text(label, path, step):
    """The legend entry of ``path`` at ``step``: its loss there, and whether it
    diverged once the step is past its last point."""
    shown = min(step, len(path.losses) - 1)
    text = f"{label}: loss {float(path.losses[shown]):.3g}"
    return text + " (diverged)" if path.diverged and step >= len(path.losses) - 1 else text


class DescentFigure:
    """The paths on ``objective`` (contour map, or the curve of a 1-D
    function) on the left, the loss ``f(θ⁽ᵏ⁾)`` against the step ``k`` on the
    right (the gap to the minimum, log scale, when the minimum is known).

    Attributes: ``fig``, ``map_ax``, ``loss_ax``, ``path_lines`` and
    ``loss_lines`` (``{label: Line2D}``), ``title`` (the figure's title),
    ``length`` (the number of points of the longest path). The figure first
    shows every path whole; ``show_step(k)`` shows them up to step ``k``.
    """

    def __init__(self, objective, paths, figsize=(12, 5.2), fontsize=FONTSIZE):
        self.objective = get_objective(objective)
        paths = as_path_dict(paths)
        if not paths:
            raise ValueError("a descent figure needs at least one path")
        self.paths = {(path.label or key): path for key, path in paths.items()}
        self.length = max(len(p) for p in self.paths.values())
        self.fig = new_figure(figsize=figsize, layout="constrained")
        self.map_ax, self.loss_ax = self.fig.subplots(1, 2, width_ratios=(3, 2))
        self.path_lines = self._draw_map(fontsize)
        bounded = self.objective.min_value is not None
        plot_loss_curves(self.paths, ax=self.loss_ax, log=bounded,
                         minimum=self.objective.min_value if bounded else None)
        self.loss_ax.get_legend().remove()
        self.loss_lines = dict(zip(self.paths, self.loss_ax.get_lines()))
        self._losses = {label: np.asarray(line.get_ydata()).copy() for label, line in self.loss_lines.items()}
        for i, line in enumerate(self.loss_lines.values()):
            line.set_linestyle(path_style(i)[1])
        self.loss_ax.set_xlim(0, max(1, self.length - 1))
        self.loss_ax.set_title("loss against step", fontsize=fontsize)
        for ax in (self.map_ax, self.loss_ax):
            ax.xaxis.label.set_fontsize(fontsize)
            ax.yaxis.label.set_fontsize(fontsize)
            ax.tick_params(labelsize=fontsize - 2)
        self.legend = self.loss_ax.legend(
            list(self.path_lines.values()),
            [loss_text(label, path, self.length - 1) for label, path in self.paths.items()],
            fontsize=fontsize, loc="upper right", framealpha=0.8)
        self.title = self.fig.suptitle(self._title_text(self.length - 1), fontsize=fontsize + 2)

    def _draw_map(self, fontsize):
        objective, ax = self.objective, self.map_ax
        if objective.dim == 2:
            draw_contours(objective, ax)
            coords = {label: np.asarray(p.points, dtype=np.float64) for label, p in self.paths.items()}
        else:
            xs = np.concatenate([np.asarray(p.points, dtype=np.float64)[:, 0] for p in self.paths.values()])
            low, high = objective.domain[0]
            curve = np.linspace(min(low, xs.min()), max(high, xs.max()), 400)
            ax.plot(curve, objective.f(curve[:, None]), color="0.3", label="_curve")
            ax.set_xlabel(objective.axis_labels[0])
            ax.set_ylabel("f")
            coords = {label: np.column_stack([np.asarray(p.points, dtype=np.float64)[:, 0],
                                              np.asarray(p.losses, dtype=np.float64)])
                      for label, p in self.paths.items()}
        ax.set_title(f"{objective.name}: {objective.formula}", fontsize=fontsize)
        self._coords = coords
        lines = {}
        for i, (label, points) in enumerate(coords.items()):
            marker, style = path_style(i)
            # a marker at every step up to 40 steps, then at every k-th step
            lines[label] = ax.plot(points[:, 0], points[:, 1], marker=marker, linestyle=style, ms=5, lw=1.6,
                                   markevery=max(1, len(points) // 40), label=label)[0]
        if objective.dim == 2:
            start = next(iter(coords.values()))[0]
            ax.plot(start[0], start[1], "s", color="k", ms=7, label="_start")
        return lines

    def _title_text(self, step):
        return f"{self.objective.name}: step {step} of {self.length - 1}"

    def show_step(self, step):
        """Every path (and loss curve) up to ``step``; the legend gives each
        path's loss at that step and the title the step."""
        for label, path in self.paths.items():
            shown = slice(0, step + 1)
            points = self._coords[label][shown]
            self.path_lines[label].set_data(points[:, 0], points[:, 1])
            loss = self.loss_lines[label]
            loss.set_data(np.arange(len(path.losses))[shown], self._losses[label][shown])
        for text, (label, path) in zip(self.legend.get_texts(), self.paths.items()):
            text.set_text(loss_text(label, path, step))
        self.title.set_text(self._title_text(step))
        return self

    def freeze_layout(self):
        """Lay the figure out once, for the widest title and legend, and keep
        that layout: an animation's frames then only move the lines."""
        self.fig.canvas.draw()
        self.fig.set_layout_engine("none")
        return self
