"""``dlcourse xor-demo``: train a 2-2-1 sigmoid network on XOR and show what it learned."""

import argparse
import pathlib

from dlcourse.commands._arguments import positive_float, positive_int

HELP = "train a 2-2-1 sigmoid network on XOR, print what it learned and save a picture"

DESCRIPTION = f"""{HELP}.

XOR is the function a single perceptron cannot compute; one hidden layer of
two sigmoid units is enough. The network Linear(2, 2) - Sigmoid - Linear(2, 1)
- Sigmoid is trained by full-batch gradient descent (SGD with momentum) on
the four rows of the truth table, with binary cross-entropy (or --loss mse).
The command prints the loss, the learned truth table with the hidden units'
outputs, and writes a PNG with the decision regions and the loss curve.

A 2-2-1 network can get stuck in a local minimum for some initial weights;
the command then says so and exits with status 1: try another --seed.

example:
  dlcourse xor-demo --out xor.png --epochs 2000 --seed 3
"""


def _png_path(text):
    path = pathlib.Path(text)
    if path.suffix.lower() != ".png":
        raise argparse.ArgumentTypeError(f"must be a .png file name; got {text!r}")
    return path


def add_arguments(parser):
    parser.add_argument("--out", type=_png_path, default=pathlib.Path("xor_demo.png"),
                        help="where to write the PNG (default: xor_demo.png in the current directory)")
    parser.add_argument("--epochs", type=positive_int, default=1000, help="training epochs (default 1000)")
    parser.add_argument("--lr", type=positive_float, default=2.0, help="learning rate (default 2.0)")
    parser.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (default 0.9)")
    parser.add_argument("--loss", choices=("bce", "mse"), default="bce",
                        help="binary cross-entropy (default) or mean squared error")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights (default 0)")
    parser.add_argument("--no-progress", action="store_true", help="do not show the progress bar")


def build_network(seed):
    """Linear(2, 2) - Sigmoid - Linear(2, 1) - Sigmoid with weights drawn from ``seed``."""
    import numpy as np

    from dlcourse import nn

    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(2, 2, rng=rng), nn.Sigmoid(), nn.Linear(2, 1, rng=rng), nn.Sigmoid())


def train_xor(epochs=1000, lr=2.0, momentum=0.9, loss="bce", seed=0, progress=False):
    """Train the XOR network; returns ``(model, history, X, y)`` with y of shape (4, 1)."""
    from dlcourse import nn, optim
    from dlcourse.datasets import truth_table
    from dlcourse.train import binary_accuracy, fit

    X, y = truth_table("xor")
    y = y[:, None].astype(X.dtype)
    model = build_network(seed)
    loss_fn = nn.BCELoss() if loss == "bce" else nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    history = fit(model, loss_fn, optimizer, X, y, epochs=epochs, metrics={"acc": binary_accuracy},
                  progress=progress)
    return model, history, X, y


def draw(model, history, X, y):
    """Decision regions beside the loss curve; returns the figure."""
    from dlcourse.train import predict
    from dlcourse.viz._figure import new_figure
    from dlcourse.viz.boundaries import plot_decision_boundary

    fig = new_figure(figsize=(10, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    plot_decision_boundary(lambda points: predict(model, points), X, y.ravel().astype(int), ax=left)
    left.set_title("XOR: decision regions of the 2-2-1 network")
    history.plot(keys=("loss",), ax=right)
    right.set_yscale("log")
    right.set_title("training loss")
    return fig


def run(args):
    import numpy as np

    from dlcourse.train import predict

    model, history, X, y = train_xor(args.epochs, args.lr, args.momentum, args.loss, args.seed,
                                     progress=not args.no_progress)
    losses = history["loss"]
    marks = sorted({0, *range(0, len(losses), max(1, len(losses) // 5)), len(losses) - 1})
    print(f"{args.loss} loss by epoch:")
    for epoch in marks:
        print(f"  epoch {epoch + 1:5d}  loss {losses[epoch]:.6f}")

    output = predict(model, X)[:, 0]
    hidden = model[1](model[0](X))  # the two hidden sigmoid units
    learned = (output >= 0.5).astype(int)
    print("\nlearned truth table:")
    print("  x1 x2 | h1    h2    | output | XOR  predicted")
    for (x1, x2), (h1, h2), out, target, guess in zip(X, hidden, output, y[:, 0], learned):
        print(f"  {x1:.0f}  {x2:.0f}  | {h1:.3f} {h2:.3f} | {out:.4f} | {target:.0f}    {guess}")

    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    draw(model, history, X, y).savefig(out, dpi=100)
    print(f"\nwrote {out}")

    if not np.array_equal(learned, y[:, 0].astype(int)):
        print(f"the network did not learn XOR with seed {args.seed} in {args.epochs} epochs: it is "
              "stuck in a local minimum or needs more training; try another --seed or more --epochs")
        return 1
    return 0
