"""The pictures (dlcourse.viz): checked for what they contain, not how they look."""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib import animation  # noqa: E402
from PIL import Image  # noqa: E402

from dlcourse.descent.paths import GradientDescent, run_descent  # noqa: E402
from dlcourse.descent.presets import compare_optimizers  # noqa: E402
from dlcourse.functional.activations import sigmoid, sigmoid_grad  # noqa: E402
from dlcourse.viz import (  # noqa: E402
    animate_descent,
    plot_activation,
    plot_decision_boundary,
    plot_descent_1d,
    plot_descent_2d,
    plot_learning_rate_panel,
    plot_loss_curves,
)
from dlcourse.descent.animation import descent_frames, frame_steps  # noqa: E402
from dlcourse.descent.figure import FONTSIZE, DescentFigure  # noqa: E402
from dlcourse.viz.boundaries import decision_regions  # noqa: E402


@pytest.fixture(autouse=True)
def no_pyplot_figures():
    """Every plot must leave pyplot's global list of figures alone."""
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before


def gd(lr):
    return lambda params: GradientDescent(params, lr=lr)


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def png_bytes(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=30)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def ravine_paths():
    return compare_optimizers("ravine", ["sgd", "momentum", "adam"], lr=0.05, steps=12)


def test_descent_1d_draws_the_curve_every_step_and_the_notes_values():
    path = run_descent("square", gd(0.8), 5, start=[-4.0], label="step 0.8")
    ax = plot_descent_1d("square", path)
    assert ax.get_title() == "x², lr = 0.8, 5 steps"
    curve, iterates, minimum = ax.get_lines()
    assert curve.get_label() == "f(x) = x²"
    np.testing.assert_allclose(curve.get_ydata(), curve.get_xdata() ** 2)
    np.testing.assert_allclose(iterates.get_xdata(), [-4, 2.4, -1.44, 0.864, -0.5184, 0.31104])
    np.testing.assert_allclose(iterates.get_ydata(), iterates.get_xdata() ** 2)
    assert minimum.get_label() == "_minimum"
    assert legend_texts(ax) == ["f(x) = x²", f"step 0.8: final loss {0.31104 ** 2:.3g}"]
    arrows = [a for a in ax.texts if a.arrow_patch is not None]
    assert len(arrows) == 5  # one arrow per step
    labels = [a.get_text() for a in ax.texts if a.get_text()]
    assert labels[:3] == ["x(0) = -4", "x(1) = 2.4", "x(2) = -1.44"] and labels[-1] == "x(5) = 0.311"
    assert png_bytes(ax.figure).startswith(b"\x89PNG")
    # a notebook cell ending in ``ax.figure`` shows the picture
    assert ax.figure._repr_png_().startswith(b"\x89PNG")


def test_descent_1d_draws_on_the_given_axes_and_several_runs():
    fig, ax = plt.subplots()
    try:
        paths = {f"lr {lr}": run_descent("double-well", gd(lr), 60) for lr in (0.05, 0.3)}
        assert plot_descent_1d("double-well", paths, ax=ax) is ax
        assert len(ax.get_lines()) == 1 + 2 + 1
        texts = legend_texts(ax)
        assert texts[1].startswith("lr 0.05: final loss") and texts[2].startswith("lr 0.3: final loss")
        # the small rate stays in the local minimum at x = -1, the large one jumps out
        assert paths["lr 0.05"].final_point[0] == pytest.approx(-1.0, abs=1e-3)
        assert paths["lr 0.3"].final_point[0] == pytest.approx(2.0, abs=1e-3)
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="needs a 1-D objective; ravine has dim 2"):
        plot_descent_1d("ravine", run_descent("ravine", gd(0.1), 2))


def test_descent_2d_one_labelled_path_per_optimizer(ravine_paths):
    ax = plot_descent_2d("ravine", ravine_paths)
    drawn = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert len(drawn) == 3
    assert len(ax.get_lines()) == 3 + 2  # and the minimum and the start
    for line, (label, path) in zip(drawn, ravine_paths.items()):
        np.testing.assert_array_equal(line.get_xydata(), path.points)
        assert line.get_label() == f"{label}: final loss {path.final_loss:.3g}"
    assert legend_texts(ax) == [line.get_label() for line in drawn]
    assert ax.collections  # the contour lines
    assert ax.get_xlim() == (-9.0, 3.0) and ax.get_xlabel() == "x"
    # the ravine's path starts outside the house map: its final loss would be a number off the picture
    assert legend_texts(plot_descent_2d("house", ravine_paths["sgd (lr 0.05)"])) == [
        "sgd (lr 0.05): left the frame at step 0"]


def test_descent_2d_names_the_step_a_path_leaves_the_frame():
    saddle = run_descent("saddle", gd(0.1), 40)           # y = 0.01 * 1.2^k passes 2.5 at step 31
    assert saddle.points[30, 1] < 2.5 < saddle.points[31, 1] and not saddle.diverged
    ax = plot_descent_2d("saddle", {"gd": saddle})
    assert ax.get_ylim() == (-2.5, 2.5)
    assert legend_texts(ax) == ["gd: left the frame at step 31"]
    inside = run_descent("saddle", gd(0.1), 28)
    assert legend_texts(plot_descent_2d("saddle", {"gd": inside})) == [f"gd: final loss {inside.final_loss:.3g}"]
    # a path that steps off the map and comes back ends on the picture: its final loss is shown
    back = compare_optimizers("ravine", ["rmsprop"])["rmsprop (lr 0.3)"]
    assert back.points[1, 1] < -1.5 and abs(back.points[-1, 1]) < 1.5     # below the map's y = -1.5 at step 1
    assert legend_texts(plot_descent_2d("ravine", {"r": back})) == [f"r: final loss {back.final_loss:.3g}"]


def _label_boxes(ax):
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    return {t.get_text(): t.get_window_extent(renderer) for t in ax.texts if t.get_text()}


@pytest.mark.parametrize("lr, start, steps", [(0.8, -4.0, 8), (0.4, -4.0, 10), (0.1, 3.0, 8), (0.02, -4.0, 10)])
def test_descent_1d_iterate_labels_never_overlap(lr, start, steps):
    fig, ax = plt.subplots(figsize=(5.5, 4))
    try:
        plot_descent_1d("square", run_descent("square", gd(lr), steps, start=[start]), ax=ax, annotate=6)
        boxes = _label_boxes(ax)
        assert f"x(0) = {start:g}" in boxes and len(boxes) >= 2    # the start and at least one more
        drawn = list(boxes.values())
        for i, a in enumerate(drawn):
            for b in drawn[i + 1:]:
                assert not a.overlaps(b), (lr, [t for t in boxes])
    finally:
        plt.close(fig)


def test_descent_2d_marks_divergence_and_rejects_1d():
    path = run_descent("bowl", gd(0.3), 200)
    assert path.diverged
    ax = plot_descent_2d("bowl", {"too fast": path})
    assert legend_texts(ax)[0].endswith("(diverged)")
    with pytest.raises(ValueError, match="needs a 2-D objective; square has dim 1"):
        plot_descent_2d("square", {})


def test_learning_rate_panel_shows_the_four_regimes():
    fig = plot_learning_rate_panel(steps=8)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == [
        "too small: lr = 0.01", "about right: lr = 0.1", "too large: lr = 0.8", "divergent: lr = 1.05"]
    finals = [ax.get_lines()[1].get_xdata() for ax in axes]
    assert all(x[0] == -4.0 for x in finals)
    assert abs(finals[0][-1]) > 3.0  # barely moved
    assert abs(finals[1][-1]) < 1.0 and np.all(finals[1] < 0)  # steadily down one side
    assert np.all(np.sign(finals[2][1:]) != np.sign(finals[2][:-1])) and abs(finals[2][-1]) < 0.1
    assert abs(finals[3][-1]) > 4.0  # moving away
    png_bytes(fig)
    fig2 = plot_learning_rate_panel("ravine", lrs=(0.01, 0.05), steps=5)
    assert sum(ax.get_visible() for ax in fig2.axes) == 2
    with pytest.raises(ValueError, match="no default learning rates for rosenbrock"):
        plot_learning_rate_panel("rosenbrock")
    with pytest.raises(ValueError, match="learning rate must be a finite number > 0; got -0.1"):
        plot_learning_rate_panel(lrs=(0.1, -0.1))


def test_loss_curves(ravine_paths):
    ax = plot_loss_curves(ravine_paths, log=True)
    assert ax.get_yscale() == "log"
    lines = ax.get_lines()
    assert len(lines) == 3
    for line, path in zip(lines, ravine_paths.values()):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(13))
        np.testing.assert_allclose(line.get_ydata(), path.losses)
    assert legend_texts(ax) == [f"{k}: final loss {p.final_loss:.3g}" for k, p in ravine_paths.items()]
    well = run_descent("double-well", gd(0.1), 5)
    gap = plot_loss_curves([well], minimum=-8 / 3)
    np.testing.assert_allclose(gap.get_lines()[0].get_ydata(), well.losses + 8 / 3)
    assert gap.get_ylabel() == "loss − minimum" and gap.get_yscale() == "linear"


def test_animation_gif_has_one_frame_per_step(tmp_path, ravine_paths):
    out = animate_descent("ravine", ravine_paths, tmp_path / "ravine.gif", fps=5, dpi=30)
    assert out == tmp_path / "ravine.gif"
    with Image.open(out) as gif:
        assert gif.format == "GIF" and gif.n_frames == 13  # steps + 1
    strided = animate_descent("square", {"gd": run_descent("square", gd(0.1), 10)},
                              tmp_path / "square.gif", stride=4, dpi=30)
    with Image.open(strided) as gif:
        assert gif.n_frames == len(frame_steps(11, 4)) == 4  # steps 0, 4, 8 and the last, 10
    assert frame_steps(11, 4) == [0, 4, 8, 10] and frame_steps(3) == [0, 1, 2]


def test_animation_formats(tmp_path, ravine_paths):
    with pytest.raises(ValueError, match=r"'ravine.avi'.*\.gif, \.mp4"):
        animate_descent("ravine", ravine_paths, tmp_path / "ravine.avi")
    with pytest.raises(ValueError, match="stride must be at least 1"):
        frame_steps(5, 0)
    mp4 = tmp_path / "ravine.mp4"
    if animation.writers.is_available("ffmpeg"):
        assert animate_descent("ravine", ravine_paths, mp4, dpi=30).stat().st_size > 0
    else:
        with pytest.raises(RuntimeError, match="needs ffmpeg"):
            animate_descent("ravine", ravine_paths, mp4, dpi=30)
        assert not mp4.exists()


def frames_of(objective, paths, **kwargs):
    """(step, title, legend texts, axes count, texts' extents, figure's box) of every frame."""
    rows = []
    for figure, step in descent_frames(objective, paths, **kwargs):
        figure.fig.canvas.draw()
        renderer = figure.fig.canvas.get_renderer()
        titles = [figure.title, figure.map_ax.title, figure.loss_ax.title]
        rows.append(dict(step=step, title=figure.title.get_text(), legend=[t.get_text() for t in figure.legend.get_texts()],
                         axes=len(figure.fig.axes), extents=[t.get_window_extent(renderer) for t in titles],
                         box=figure.fig.bbox, figure=figure))
    return rows


def test_animation_titles_stay_inside_every_frame(ravine_paths):
    for frame in frames_of("ravine", ravine_paths, stride=6):
        for extent in frame["extents"]:
            assert extent.width > 0
            assert frame["box"].x0 <= extent.x0 and extent.x1 <= frame["box"].x1
            assert frame["box"].y0 <= extent.y0 and extent.y1 <= frame["box"].y1
        assert frame["title"] == f"ravine: step {frame['step']} of 12"


def test_animation_legend_gives_the_loss_at_each_frame(ravine_paths):
    frames = frames_of("ravine", ravine_paths, stride=6)
    assert [f["step"] for f in frames] == [0, 6, 12]
    for frame in frames:
        assert frame["legend"] == [f"{label}: loss {path.losses[frame['step']]:.3g}"
                                   for label, path in ravine_paths.items()]
    assert frames[0]["legend"] != frames[-1]["legend"]


def test_animation_frames_have_the_loss_panel(ravine_paths, tmp_path):
    frames = descent_frames("ravine", ravine_paths, stride=4)
    for figure, step in frames:
        assert len(figure.fig.axes) == 2
        for label, path in ravine_paths.items():
            np.testing.assert_array_equal(figure.loss_lines[label].get_ydata(), path.losses[: step + 1])
            np.testing.assert_array_equal(np.column_stack(figure.path_lines[label].get_data()),
                                          path.points[: step + 1])
    assert figure.loss_ax.get_xlabel() == "step" and figure.map_ax.get_xlabel()
    out = animate_descent("ravine", ravine_paths, tmp_path / "ravine.gif", dpi=20)
    with Image.open(out) as gif:  # the map and the loss panel side by side: wider than tall
        assert gif.size == (240, 104)


def test_rosenbrock_paths_are_told_apart_and_the_legend_is_readable():
    paths = compare_optimizers("rosenbrock", steps=60)
    figure = DescentFigure("rosenbrock", paths)
    styles = [(line.get_marker(), line.get_linestyle()) for line in figure.path_lines.values()]
    assert len(set(styles)) == len(paths) == 5
    assert figure.map_ax.get_legend() is None  # the legend hides no path
    assert figure.legend.axes is figure.loss_ax and figure.legend.get_frame().get_alpha() < 1
    assert all(text.get_fontsize() >= FONTSIZE >= 12 for text in figure.legend.get_texts())
    assert figure.title.get_fontsize() > FONTSIZE
    ax = plot_descent_2d("rosenbrock", paths)
    assert len({(line.get_marker(), line.get_linestyle()) for line in ax.get_lines()[1:6]}) == 5


def test_one_dimensional_animation_draws_the_curve_and_the_losses(tmp_path):
    path = run_descent("square", gd(0.8), 5, start=[-4.0], label="step 0.8")
    figure, step = next(descent_frames("square", {"step 0.8": path}))
    assert step == 0 and len(figure.fig.axes) == 2
    np.testing.assert_array_equal(figure.path_lines["step 0.8"].get_xydata(), [[-4.0, 16.0]])


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "gelu"])
def test_activation_and_its_derivative(name):
    ax = plot_activation(name)
    f, df = ax.get_lines()[:2]
    assert (f.get_label(), df.get_label()) == (f"{name}(x)", f"{name}'(x)")
    x = torch.tensor(f.get_xdata(), requires_grad=True)
    y = getattr(torch.nn.functional, name)(x)
    y.sum().backward()
    np.testing.assert_allclose(f.get_ydata(), y.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(df.get_ydata(), x.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_activation_options():
    ax = plot_activation("sigmoid", x=[-1.0, 0.0, 1.0], derivative=False)
    lines = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert len(lines) == 1
    np.testing.assert_allclose(lines[0].get_ydata(), sigmoid(np.array([-1.0, 0.0, 1.0])))
    assert sigmoid_grad(0.0) == 0.25
    with pytest.raises(ValueError, match="unknown activation 'sigmod'"):
        plot_activation("sigmod")


def two_blobs():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-2, 0.5, size=(20, 2)), rng.normal(2, 0.5, size=(20, 2))])
    return X, np.repeat([0, 1], 20)


@pytest.mark.parametrize("kind", ["labels", "probabilities", "scores", "sign"])
def test_decision_boundary(kind):
    X, y = two_blobs()
    low = -1 if kind == "sign" else 0  # a perceptron answers -1 / +1
    y = np.where(y == 1, 1, low)
    calls = []

    def predict(points):
        calls.append(points.shape)
        s = points.sum(axis=1)
        return {"labels": (s > 0).astype(int), "probabilities": 1 / (1 + np.exp(-s)),
                "scores": np.column_stack([-s, s]), "sign": np.where(s > 0, 1.0, -1.0)}[kind]

    ax = plot_decision_boundary(predict, X, y, resolution=50)
    assert calls == [(2500, 2)]  # one vectorised call on the whole grid
    calls.clear()
    assert len(ax.collections) >= 3  # the filled regions and one scatter per class
    assert legend_texts(ax) == [f"class {low}", "class 1"]
    gx, gy, regions = decision_regions(predict, X, resolution=50)
    np.testing.assert_array_equal(regions, np.where(gx + gy > 0, 1, low))
    assert gx.min() == X[:, 0].min() - 0.5 and gy.max() == X[:, 1].max() + 0.5


def test_decision_boundary_bad_input():
    X, y = two_blobs()
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\); got \(40, 3\)"):
        plot_decision_boundary(lambda p: p[:, 0] > 0, np.zeros((40, 3)), y)
    with pytest.raises(ValueError, match="X has 40 rows, y has 39"):
        plot_decision_boundary(lambda p: p[:, 0] > 0, X, y[:-1])
