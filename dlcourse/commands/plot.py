"""``dlcourse plot``: draw or animate optimizers descending a test function."""

import argparse
import math
import os
import pathlib
import sys

from dlcourse.commands._arguments import positive_float, positive_int
from dlcourse.descent.presets import (
    DEFAULT_OPTIMIZERS,
    SETTINGS,
    available_optimizers,
    compare_optimizers,
)
from dlcourse.descent.objectives import OBJECTIVES

HELP = "draw or animate gradient-descent paths of optimizers on a test function"

#: what ``--out`` may end in: a static picture or an animation
OUTPUT_SUFFIXES = (".png", ".gif", ".mp4")


def _description():
    functions = "\n".join(
        f"  {name:14s} {obj.formula}  (default {SETTINGS.get(name, {}).get('steps', 100)} steps)"
        for name, obj in OBJECTIVES.items()
    )
    return f"""{HELP}.

A .png shows the paths on the function (contour map, or the curve for a 1-D
function) beside the loss curves; a .gif (or .mp4, with ffmpeg) animates them.

functions:
{functions}

optimizers: {", ".join(available_optimizers())}
  momentum and nesterov are SGD with momentum 0.9.
  Default optimizers: {", ".join(DEFAULT_OPTIMIZERS[2])} (2-D), {", ".join(DEFAULT_OPTIMIZERS[1])} (1-D).

learning rates: without --lr each optimizer gets a rate that suits the
function (one for plain SGD, one for SGD with momentum, one for the adaptive
methods, whose steps do not scale with the gradient, and a large one for
Adadelta); the legend shows the rate used. --lr 0.05 sets one rate for all,
--lr sgd=0.01,adam=0.1 sets some and keeps the defaults for the others.

example:
  dlcourse plot ravine --optimizers sgd,momentum,nesterov,rmsprop,adam --lr 0.05 --steps 60 --out ravine.gif
"""


DESCRIPTION = _description()


def _optimizer_list(text):
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    valid = available_optimizers()
    unknown = [name for name in names if name not in valid]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown optimizer {', '.join(map(repr, unknown)) or repr(text)}; "
            f"choose from: {', '.join(valid)}"
        )
    return names


def _learning_rates(text):
    """``0.05`` (one rate for all) or ``sgd=0.01,adam=0.1`` (per optimizer)."""
    if "=" not in text:
        try:
            return positive_float(text)
        except argparse.ArgumentTypeError as error:
            raise argparse.ArgumentTypeError(f"learning rate {error}") from None
    rates = {}
    valid = available_optimizers()
    for item in text.split(","):
        name, _, value = item.partition("=")
        name = name.strip().lower()
        if name not in valid:
            raise argparse.ArgumentTypeError(f"unknown optimizer {name!r}; choose from: {', '.join(valid)}")
        try:
            rates[name] = positive_float(value.strip())
        except argparse.ArgumentTypeError as error:
            raise argparse.ArgumentTypeError(f"learning rate of {name} {error}") from None
    return rates


def _start(text):
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be numbers separated by commas, e.g. -1.5,2; got {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"must be finite numbers; got {text!r}")
    return values


def _output(text):
    path = pathlib.Path(text)
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"unknown file type {path.suffix or '(none)'!r} for {text!r}; "
            f"use one of {', '.join(OUTPUT_SUFFIXES)}"
        )
    return path


def add_arguments(parser):
    parser.add_argument("function", choices=list(OBJECTIVES), metavar="FUNCTION",
                        help="the test function (listed below)")
    parser.add_argument("--optimizers", type=_optimizer_list, default=None, metavar="LIST",
                        help="comma-separated optimizer names (listed below)")
    parser.add_argument("--lr", type=_learning_rates, default=None, metavar="RATE",
                        help="one learning rate for all, or name=rate,... "
                             "(default: per function and optimizer)")
    parser.add_argument("--steps", type=positive_int, default=None, metavar="N",
                        help="number of optimizer steps (default: per function)")
    parser.add_argument("--start", type=_start, default=None, metavar="X[,Y]",
                        help="starting point (default: per function)")
    parser.add_argument("--out", type=_output, default=None, metavar="FILE",
                        help="output file: .png (picture), .gif or .mp4 (animation); default FUNCTION.png")
    parser.add_argument("--fps", type=positive_int, default=10,
                        help="animation frames per second (default 10)")
    parser.add_argument("--stride", type=positive_int, default=None, metavar="K",
                        help="animate every K-th step (default: about 100 frames at most)")
    parser.add_argument("--dpi", type=positive_int, default=100, help="resolution (default 100)")


def _fail(message):
    print(f"dlcourse plot: error: {message}", file=sys.stderr)
    return 2


def _check_writable(out):
    folder = out.parent if str(out.parent) else pathlib.Path(".")
    if not folder.is_dir():
        return f"cannot write {out}: folder {folder} does not exist"
    if out.is_dir():
        return f"cannot write {out}: it is a folder"
    if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        return f"cannot write {out}: permission denied"
    return None


def run(args):
    from dlcourse.descent.objectives import get_objective  # noqa: PLC0415

    objective = get_objective(args.function)
    out = args.out or pathlib.Path(f"{objective.name}.png")
    problem = _check_writable(out)
    if problem:
        return _fail(problem)
    if args.start is not None and len(args.start) != objective.dim:
        return _fail(f"--start needs {objective.dim} number(s) for {objective.name}; got {len(args.start)}")
    try:
        paths = compare_optimizers(objective, args.optimizers, lr=args.lr, steps=args.steps, start=args.start)
        if out.suffix.lower() == ".png":
            _save_picture(objective, paths, out, args.dpi)
        else:
            from dlcourse.descent.animation import animate_descent  # noqa: PLC0415

            longest = max(len(p) for p in paths.values())
            stride = args.stride or max(1, math.ceil(longest / 100))
            animate_descent(objective, paths, out, fps=args.fps, stride=stride, dpi=args.dpi)
    except (OSError, RuntimeError, ValueError) as error:
        return _fail(str(error))
    for label, path in paths.items():
        status = "diverged" if path.diverged else "final loss"
        print(f"{label:24s} {path.steps:5d} steps  {status} {path.final_loss:.6g}")
    print(f"wrote {out}")
    return 0


def _save_picture(objective, paths, out, dpi):
    from dlcourse.viz._figure import new_figure  # noqa: PLC0415
    from dlcourse.viz.curves import plot_loss_curves  # noqa: PLC0415
    from dlcourse.descent.pictures import plot_descent_1d, plot_descent_2d  # noqa: PLC0415

    fig = new_figure(figsize=(12, 5), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(3, 2))
    if objective.dim == 2:
        plot_descent_2d(objective, paths, ax=left)
    else:
        plot_descent_1d(objective, paths, ax=left)
    bounded = objective.min_value is not None
    plot_loss_curves(paths, ax=right, log=bounded, minimum=objective.min_value if bounded else None)
    fig.savefig(out, dpi=dpi)
