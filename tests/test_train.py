import numpy as np
import pytest
import torch

from dlcourse import nn, optim
from dlcourse.datasets import make_moons, truth_table
from dlcourse.train import History, binary_accuracy, categorical_accuracy, evaluate, fit, predict


def _xor_net(seed=0):
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(2, 2, rng=rng), nn.Sigmoid(), nn.Linear(2, 1, rng=rng), nn.Sigmoid())


def _xor():
    X, y = truth_table("xor")
    return X, y[:, None].astype(np.float64)


class CountingSGD:
    """Plain gradient descent that counts its steps (any object with zero_grad/step will do)."""

    def __init__(self, params, lr):
        self.params, self.lr, self.steps = list(params), lr, 0

    def zero_grad(self):
        for p in self.params:
            p.zero_grad()

    def step(self):
        self.steps += 1
        for p in self.params:
            p.data = p.data - self.lr * p.grad


def test_two_two_one_sigmoid_network_learns_xor():
    X, y = _xor()
    model = _xor_net(0)
    history = fit(model, nn.BCELoss(), optim.SGD(model.parameters(), lr=2.0, momentum=0.9), X, y,
                  epochs=1000, metrics={"acc": binary_accuracy}, progress=False)
    np.testing.assert_array_equal((predict(model, X) >= 0.5).astype(int), y)
    assert history["acc"][-1] == 1.0
    assert history["loss"][-1] < 0.01 < history["loss"][0]


def test_xor_with_mse_and_plain_sgd():
    X, y = _xor()
    model = _xor_net(1)
    fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=5.0), X, y, epochs=3000, progress=False)
    np.testing.assert_array_equal((predict(model, X) >= 0.5).astype(int), y)


def _torch_copy(model):
    lin1, lin2 = model[0], model[2]
    f64 = torch.float64
    net = torch.nn.Sequential(torch.nn.Linear(2, 8, dtype=f64), torch.nn.Tanh(),
                              torch.nn.Linear(8, 1, dtype=f64), torch.nn.Sigmoid())
    with torch.no_grad():
        for ours, theirs in ((lin1, net[0]), (lin2, net[2])):
            theirs.weight.copy_(torch.from_numpy(ours.weight.data))
            theirs.bias.copy_(torch.from_numpy(ours.bias.data))
    return net


@pytest.mark.parametrize("batch_size", [None, 1, 16])
def test_fit_follows_the_same_trajectory_as_a_torch_loop(batch_size):
    X, y = make_moons(n_samples=40, noise=0.2, rng=0)
    y = y[:, None].astype(np.float64)
    rng = np.random.default_rng(5)
    model = nn.Sequential(nn.Linear(2, 8, rng=rng), nn.Tanh(), nn.Linear(8, 1, rng=rng), nn.Sigmoid())
    net = _torch_copy(model)
    history = fit(model, nn.BCELoss(), optim.SGD(model.parameters(), lr=0.5, momentum=0.5), X, y,
                  epochs=5, batch_size=batch_size, shuffle=True, rng=11, progress=False)

    # the same loop in PyTorch, with the same shuffled orders
    order_rng = np.random.default_rng(11)
    opt = torch.optim.SGD(net.parameters(), lr=0.5, momentum=0.5)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    size = len(X) if batch_size is None else batch_size
    expected = []
    for _ in range(5):
        order = np.arange(len(X)) if batch_size is None else order_rng.permutation(len(X))
        total = 0.0
        for start in range(0, len(X), size):
            idx = torch.from_numpy(order[start:start + size])
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy(net(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        expected.append(total / len(X))
    np.testing.assert_allclose(history["loss"], expected, rtol=1e-10)
    np.testing.assert_allclose(model[0].weight.data, net[0].weight.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(predict(model, X), net(Xt).detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("batch_size, steps", [(None, 1), (1, 10), (3, 4), (10, 1), (50, 1)])
def test_batch_size_sets_updates_per_epoch(batch_size, steps):
    X = np.linspace(-1, 1, 10)[:, None]
    y = 3 * X
    model = nn.Linear(1, 1, rng=0)
    opt = CountingSGD(model.parameters(), lr=0.1)
    fit(model, nn.MSELoss(), opt, X, y, epochs=2, batch_size=batch_size, progress=False)
    assert opt.steps == 2 * steps


def test_full_batch_gd_is_the_notes_update_on_the_line_table():
    from dlcourse.datasets import line_points

    x, y = line_points()
    model = nn.Linear(1, 1, rng=0)
    model.weight.data[...] = 0.0
    model.bias.data[...] = 0.0
    fit(model, nn.MSELoss(), CountingSGD(model.parameters(), lr=0.02), x, y[:, None], epochs=3000,
        progress=False)
    assert model.weight.data[0, 0] == pytest.approx(0.5, abs=1e-6)
    assert model.bias.data[0] == pytest.approx(-1.5, abs=1e-5)


def test_shuffling_is_reproducible():
    X, y = make_moons(n_samples=30, noise=0.1, rng=1)
    y = y[:, None].astype(float)
    runs = []
    for seed in (3, 3, 4):
        model = _xor_net(2)
        runs.append(fit(model, nn.BCELoss(), optim.SGD(model.parameters(), lr=0.5), X, y, epochs=3,
                        batch_size=4, rng=seed, progress=False)["loss"])
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_validation_and_metrics_are_recorded():
    X, y = make_moons(n_samples=60, noise=0.1, rng=2)
    y = y[:, None].astype(float)
    model = _xor_net(3)
    history = fit(model, nn.BCELoss(), optim.SGD(model.parameters(), lr=1.0), X[:40], y[:40], epochs=4,
                  validation_data=(X[40:], y[40:]), metrics={"acc": binary_accuracy}, progress=False)
    assert set(history.history) == {"loss", "acc", "val_loss", "val_acc"}
    assert len(history) == 4 and all(len(v) == 4 for v in history.history.values())
    final = evaluate(model, nn.BCELoss(), X[40:], y[40:], metrics={"acc": binary_accuracy})
    assert final["loss"] == pytest.approx(history["val_loss"][-1])
    assert final["acc"] == history["val_acc"][-1]
    with pytest.raises(KeyError, match="recorded"):
        history["val_f1"]


def test_early_stopping_restores_the_best_weights():
    # validation targets disagree with the training targets, so the validation
    # loss gets worse with every epoch after the first: best epoch is 0
    X = np.linspace(-1, 1, 20)[:, None]
    y_train, y_val = 2 * X, -2 * X
    reference = nn.Linear(1, 1, rng=0)
    fit(reference, nn.MSELoss(), CountingSGD(reference.parameters(), 0.1), X, y_train, epochs=1, progress=False)

    model = nn.Linear(1, 1, rng=0)
    history = fit(model, nn.MSELoss(), CountingSGD(model.parameters(), 0.1), X, y_train, epochs=50,
                  validation_data=(X, y_val), patience=3, progress=False)
    assert history.best_epoch == 0 and history.stopped_epoch == 3 and len(history) == 4
    assert np.all(np.diff(history["val_loss"]) > 0)
    np.testing.assert_array_equal(model.weight.data, reference.weight.data)
    np.testing.assert_array_equal(model.bias.data, reference.bias.data)


def test_early_stopping_without_restore_keeps_the_last_weights():
    X = np.linspace(-1, 1, 20)[:, None]
    model = nn.Linear(1, 1, rng=0)
    fit(model, nn.MSELoss(), CountingSGD(model.parameters(), 0.1), X, 2 * X, epochs=50,
        validation_data=(X, -2 * X), patience=2, restore_best_weights=False, progress=False)
    reference = nn.Linear(1, 1, rng=0)
    fit(reference, nn.MSELoss(), CountingSGD(reference.parameters(), 0.1), X, 2 * X, epochs=3, progress=False)
    np.testing.assert_array_equal(model.weight.data, reference.weight.data)


def test_early_stopping_on_a_maximised_metric():
    X, y = _xor()
    model = _xor_net(0)
    history = fit(model, nn.BCELoss(), optim.SGD(model.parameters(), lr=2.0, momentum=0.9), X, y,
                  epochs=2000, metrics={"acc": binary_accuracy}, patience=100, monitor="acc", progress=False)
    assert history.best_value == 1.0 == history["acc"][history.best_epoch]
    assert max(history["acc"][: history.best_epoch]) < 1.0
    assert history.stopped_epoch == history.best_epoch + 100  # equal accuracy is no improvement


def test_progress_bar_can_be_shown(capsys):
    X, y = _xor()
    model = _xor_net(0)
    fit(model, nn.BCELoss(), optim.SGD(model.parameters(), lr=1.0), X, y, epochs=3, progress=True)
    assert "training" in capsys.readouterr().err
    fit(model, nn.BCELoss(), optim.SGD(model.parameters(), lr=1.0), X, y, epochs=3, progress=False)
    assert capsys.readouterr().err == ""


def test_predict_restores_mode_and_batches_agree():
    X, _ = make_moons(n_samples=25, rng=0)
    model = nn.Sequential(nn.Linear(2, 4, rng=0), nn.Dropout(0.5), nn.Linear(4, 3, rng=1))
    model.train()
    full = predict(model, X)
    np.testing.assert_allclose(predict(model, X, batch_size=7), full)
    assert model.training
    model.eval()
    predict(model, X)
    assert not model.training


def test_accuracy_functions():
    assert binary_accuracy(np.array([[1], [0], [1]]), np.array([[0.7], [0.2], [0.4]])) == pytest.approx(2 / 3)
    assert categorical_accuracy(np.array([2, 0]), np.array([[0, 1, 5.0], [3, 1, 0]])) == 1.0
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        categorical_accuracy(np.array([1]), np.array([0.3]))


def test_fit_input_errors():
    X, y = _xor()
    model = _xor_net(0)
    opt = optim.SGD(model.parameters(), lr=1.0)
    with pytest.raises(ValueError, match="X has 4 samples but y has 3"):
        fit(model, nn.BCELoss(), opt, X, y[:3], progress=False)
    with pytest.raises(ValueError, match="batch_size must be None .* got 0"):
        fit(model, nn.BCELoss(), opt, X, y, batch_size=0, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, nn.BCELoss(), opt, X, y, epochs=0, progress=False)
    with pytest.raises(KeyError, match="monitors 'val_acc'"):
        fit(model, nn.BCELoss(), opt, X, y, epochs=2, patience=1, monitor="val_acc", progress=False)


def test_history_plot_returns_axes():
    import matplotlib

    matplotlib.use("Agg")
    history = History()
    for epoch, (loss, val) in enumerate([(1.0, 1.1), (0.5, 0.7), (0.3, 0.6)]):
        history._record(epoch, {"loss": loss, "val_loss": val})
    history.best_epoch = 2
    ax = history.plot()
    assert len(ax.lines) == 3
    assert ax.get_xlabel() == "epoch"


# -- the ``dlcourse demo`` command ---------------------------------------------


def _run_demo(*argv):
    """Run the command module directly (the full CLI imports every command)."""
    import argparse

    from dlcourse.commands import xor_demo

    parser = argparse.ArgumentParser(prog="dlcourse xor-demo")
    xor_demo.add_arguments(parser)
    return xor_demo.run(parser.parse_args(list(argv)))


def _learned_rows(text):
    return [line.split() for line in text.splitlines() if line.startswith(("  0  ", "  1  "))]


def test_demo_command_learns_xor_and_writes_a_png(tmp_path, capsys):
    from PIL import Image

    from dlcourse.cli import main

    out = tmp_path / "pictures" / "xor.png"
    assert main(["xor-demo", "--out", str(out), "--no-progress"]) == 0
    with Image.open(out) as image:
        image.verify()
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size[0] > 500
    text = capsys.readouterr().out
    rows = _learned_rows(text)
    assert len(rows) == 4
    for row in rows:
        assert row[-1] == row[-2]  # predicted == XOR
    assert f"wrote {out}" in text


def test_demo_with_mse_in_the_current_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert _run_demo("--no-progress", "--loss", "mse") == 0
    assert (tmp_path / "xor_demo.png").stat().st_size > 0
    rows = _learned_rows(capsys.readouterr().out)
    assert [row[-1] for row in rows] == ["0", "1", "1", "0"]


def test_demo_rejects_a_non_png_output(capsys):
    with pytest.raises(SystemExit) as exit_info:
        _run_demo("--out", "picture.jpg")
    assert exit_info.value.code == 2
    assert "must be a .png file name" in capsys.readouterr().err


def test_demo_reports_a_network_that_did_not_learn(tmp_path, capsys):
    # two epochs are far too few: the network cannot have learned XOR yet
    assert _run_demo("--out", str(tmp_path / "x.png"), "--no-progress", "--epochs", "2") == 1
    assert "did not learn XOR" in capsys.readouterr().out
