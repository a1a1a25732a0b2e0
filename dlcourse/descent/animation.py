"""Animated gradient descent: the paths grow one step per frame (chapter:
optimisation). GIF through Pillow; MP4 through ffmpeg where it is installed.

Each frame is a ``DescentFigure`` (the paths beside the loss panel, as in the
PNG of ``dlcourse plot``) cut at that frame's step: the legend gives each
path's loss at that step, the title the step.
"""

import pathlib

from matplotlib import animation

from dlcourse.descent.figure import DescentFigure
from dlcourse.descent.objectives import get_objective
from dlcourse.descent.paths import as_path_dict

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


def descent_frames(objective, paths, stride=1, figsize=(12, 5.2)):
    """The frames of the animation: yields ``(figure, step)`` for each step of
    ``frame_steps(n, stride)``, the same ``DescentFigure`` each time, cut at
    that step (``n``: the length of the longest path)."""
    objective = get_objective(objective)
    paths = as_path_dict(paths)
    if not paths:
        raise ValueError("animate_descent needs at least one path")
    figure = DescentFigure(objective, paths, figsize=figsize).freeze_layout()
    for step in frame_steps(figure.length, stride):
        yield figure.show_step(step), step


def animate_descent(objective, paths, out, fps=10, stride=1, dpi=80, figsize=(12, 5.2)):
    """Write an animation of the ``paths`` on ``objective`` to ``out``.

    2-D objectives are drawn as a contour map, 1-D ones as the curve, beside
    the loss against the step; frame ``i`` shows every path up to step
    ``frame_steps(n, stride)[i]``, where ``n`` is the length of the longest
    path, so there are ``steps + 1`` frames with the default ``stride = 1``.
    The suffix of ``out`` picks the format: ``.gif``
    (``matplotlib.animation.PillowWriter``) or ``.mp4`` (``FFMpegWriter``).
    Returns the ``pathlib.Path`` written.
    """
    out = pathlib.Path(out)
    writer = _writer(out, fps)
    frames = descent_frames(objective, paths, stride=stride, figsize=figsize)
    figure, _ = next(frames)
    with writer.saving(figure.fig, out, dpi):
        writer.grab_frame()
        for _ in frames:
            writer.grab_frame()
    return out
