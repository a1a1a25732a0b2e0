"""The pictures a teacher shows: gradient descent on curves and contour maps,
optimizers side by side, animations, loss curves, activation functions and
decision boundaries.

Every plot takes ``ax=None`` (a new figure is made only when none is given)
and returns the axes (the figure, for multi-panel plots). No pyplot state is
used, so the plots work under any backend, including Agg. In a notebook, a
plot made without ``ax`` is shown by ending the cell with ``ax.figure``; or
pass the ``ax`` of a figure made with ``plt.subplots()``.
"""

from dlcourse.viz.descent import plot_descent_1d, plot_descent_2d, plot_learning_rate_panel
from dlcourse.viz.animate import animate_descent
from dlcourse.viz.curves import plot_loss_curves
from dlcourse.viz.activations import plot_activation
from dlcourse.viz.boundaries import plot_decision_boundary
from dlcourse.viz.cnn import plot_filters, plot_feature_maps, plot_heatmap, plot_images
