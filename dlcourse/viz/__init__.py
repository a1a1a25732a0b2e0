"""The pictures a teacher shows: gradient descent on curves and contour maps,
optimizers side by side, animations, loss curves, activation functions and
decision boundaries, and the descent explorer a teacher moves in class
(``descent_explorer``).

Every plot takes ``ax=None`` (a new figure is made only when none is given)
and returns the axes (the figure, for multi-panel plots). No pyplot state is
used, so the plots work under any backend, including Agg. In a notebook, a
plot made without ``ax`` is shown by ending the cell with ``ax.figure``; or
pass the ``ax`` of a figure made with ``plt.subplots()``.
"""

from dlcourse.viz.curves import plot_loss_curves
from dlcourse.viz.activations import plot_activation
from dlcourse.viz.boundaries import plot_decision_boundary
from dlcourse.viz.cnn import plot_filters, plot_feature_maps, plot_heatmap, plot_images

_DESCENT_PICTURES = {"plot_descent_1d": "pictures", "plot_descent_2d": "pictures",
                     "plot_learning_rate_panel": "pictures", "animate_descent": "animation"}
# the interactive figure needs ipywidgets: imported on first use too
_INTERACTIVE = ("descent_explorer", "DescentExplorer")

__all__ = [*_DESCENT_PICTURES, *_INTERACTIVE, "plot_loss_curves", "plot_activation",
           "plot_decision_boundary", "plot_filters", "plot_feature_maps", "plot_heatmap",
           "plot_images"]


def __getattr__(name):
    # the descent pictures live with the rest of gradient descent (dlcourse.descent.pictures),
    # which itself draws with this package's figures: imported on first use, not circularly
    if name in _DESCENT_PICTURES:
        import importlib

        return getattr(importlib.import_module(f"dlcourse.descent.{_DESCENT_PICTURES[name]}"), name)
    if name in _INTERACTIVE:
        from dlcourse.viz import interactive  # noqa: PLC0415

        return getattr(interactive, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
