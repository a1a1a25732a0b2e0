"""Animated gradient descent: the paths grow one step per frame (chapter:
optimisation). GIF through Pillow; MP4 through ffmpeg where it is installed."""

import pathlib

import numpy as np
from matplotlib import animation

from dlcourse.descent.objectives import get_objective
from dlcourse.viz._figure import new_figure
from dlcourse.descent.paths import as_path_dict, path_label
from dlcourse.descent.pictures import draw_contours

#: file suffixes ``animate_descent`` can write
FORMATS = (".gif", ".mp4")


def frame_steps(length, stride=1):
    """The step shown in each frame: ``0, stride, 2·stride, …`` and always the last.

    With ``stride = 1`` there are ``length`` frames (``steps + 1``: the start
    and one per step).
    """
    if stride < 1:
        raise ValueError(f"stride must be at least 1; got {stride}")
    steps = list(range(0, length, stride))
    if steps[-1] != length - 1:
        steps.append(length - 1)
    return steps


def _writer(out, fps):
    suffix = out.suffix.lower()
    if suffix == ".gif":
        return animation.PillowWriter(fps=fps)
    if suffix == ".mp4":
        if not animation.writers.is_available("ffmpeg"):
            raise RuntimeError("writing .mp4 needs ffmpeg on the PATH; install it or write a .gif")
        return animation.FFMpegWriter(fps=fps)
    raise ValueError(f"cannot animate to {out.name!r}: the file must end in one of {', '.join(FORMATS)}")


def animate_descent(objective, paths, out, fps=10, stride=1, dpi=80, figsize=(6.4, 4.8)):
    """Write an animation of the ``paths`` on ``objective`` to ``out``.

    2-D objectives are drawn as a contour map, 1-D ones as the curve; frame
    ``i`` shows every path up to step ``frame_steps(n, stride)[i]``, where
    ``n`` is the length of the longest path, so there are ``steps + 1`` frames
    with the default ``stride = 1``. The suffix of ``out`` picks the format:
    ``.gif`` (``matplotlib.animation.PillowWriter``) or ``.mp4``
    (``FFMpegWriter``). Returns the ``pathlib.Path`` written.
    """
    objective = get_objective(objective)
    paths = as_path_dict(paths)
    if not paths:
        raise ValueError("animate_descent needs at least one path")
    out = pathlib.Path(out)
    writer = _writer(out, fps)
    fig = new_figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    if objective.dim == 2:
        draw_contours(objective, ax)
        coords = {label: np.asarray(p.points, dtype=np.float64) for label, p in paths.items()}
        style = "o-"
    else:
        xs = np.concatenate([np.asarray(p.points, dtype=np.float64)[:, 0] for p in paths.values()])
        low, high = objective.domain[0]
        low, high = min(low, xs.min()), max(high, xs.max())
        curve = np.linspace(low, high, 400)
        ax.plot(curve, objective.f(curve[:, None]), color="0.3", label=f"f(x) = {objective.formula}")
        ax.set_xlabel(objective.axis_labels[0])
        coords = {label: np.column_stack([np.asarray(p.points, dtype=np.float64)[:, 0],
                                          np.asarray(p.losses, dtype=np.float64)])
                  for label, p in paths.items()}
        style = "o--"
    lines = {label: ax.plot([], [], style, ms=4, lw=1.2, label=path_label(label, paths[label]))[0]
             for label in paths}
    # a fixed legend place: "best" would search the paths again at every frame
    ax.legend(fontsize=8, loc="upper right")
    title = ax.set_title("")
    longest = max(len(c) for c in coords.values())
    fig.canvas.draw()
    fig.set_layout_engine("none")  # lay out once; the frames only move lines

    with writer.saving(fig, out, dpi):
        for step in frame_steps(longest, stride):
            for label, line in lines.items():
                shown = coords[label][: step + 1]
                line.set_data(shown[:, 0], shown[:, 1])
            title.set_text(f"{objective.name}: step {step}")
            writer.grab_frame()
    return out
