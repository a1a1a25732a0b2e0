"""Figures made without pyplot, so that plotting never touches global state.

A figure built here has an Agg canvas of its own: it can be saved, read back
as pixels or animated in any environment (no display needed). It also knows
how to show itself in Jupyter (``_repr_png_``), so a notebook cell that ends
with ``ax.figure`` (or a returned figure) displays the picture, whatever
matplotlib backend the kernel uses.
"""

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


class CourseFigure(Figure):
    """A ``Figure`` that IPython displays as a PNG."""

    def _repr_png_(self):
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()


def new_figure(figsize=(6.4, 4.8), **kwargs):
    """A fresh figure with its own Agg canvas (not registered with pyplot)."""
    fig = CourseFigure(figsize=figsize, **kwargs)
    FigureCanvasAgg(fig)
    return fig


def new_axes(figsize=(6.4, 4.8)):
    """One ``Axes`` on a fresh figure: what every plot uses when no ``ax`` is given."""
    return new_figure(figsize=figsize, layout="constrained").add_subplot()
