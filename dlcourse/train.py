"""The training loop: epochs of mini-batch gradient descent with validation,
metrics, early stopping and a progress bar (chapters on gradient descent and
on improving a network's performance).

One update, for a batch B of examples::

    ŷ = model(X_B)                  forward pass
    L = loss_fn(ŷ, y_B)             e.g. mean squared error over the batch
    δ = loss_fn.backward()          dL/dŷ
    model.backward(δ)               backpropagation fills every p.grad
    optimizer.step()                θ <- θ − lr · ∇θ L   (or Adam, ...)

``batch_size`` chooses the flavour of gradient descent, as in the notes:

    batch_size=None   batch GD: one update per epoch, on the whole set
    batch_size=1      stochastic GD: one update per example, in shuffled order
    batch_size=k      mini-batch GD: one update per k examples (the usual choice)

Early stopping (notes: "patience parameter p"): after each epoch the
monitored value (validation loss by default) is compared with the best so
far; after ``patience`` epochs without improvement training stops, and the
weights of the best epoch are put back (``restore_best_weights``).
"""

import numpy as np

from dlcourse.nn.module import can_skip_input_grad

__all__ = ["History", "fit", "evaluate", "predict", "binary_accuracy", "categorical_accuracy"]


class History:
    """Per-epoch record of a training run, as Keras' ``History``.

    ``history`` maps "loss", "val_loss" and every metric name (and its
    "val_" twin) to a list with one value per epoch; ``history["loss"]`` is
    the mean training loss over the epoch's batches, as seen during the
    epoch. ``best_epoch`` (0-based) and ``stopped_epoch`` are set when early
    stopping monitors the run (``stopped_epoch`` stays None if it ran to the end).
    """

    def __init__(self):
        self.history = {}
        self.epochs = []
        self.monitor = None
        self.best_epoch = None
        self.best_value = None
        self.stopped_epoch = None

    def _record(self, epoch, logs):
        self.epochs.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def __getitem__(self, key):
        if key not in self.history:
            raise KeyError(f"no {key!r} in this history; recorded: {sorted(self.history)}")
        return self.history[key]

    def __contains__(self, key):
        return key in self.history

    def __len__(self):
        return len(self.epochs)

    def plot(self, keys=("loss", "val_loss"), ax=None):
        """Draw the recorded curves named in ``keys`` (those present) per epoch; returns ``ax``."""
        if ax is None:
            from dlcourse.viz._figure import new_axes

            ax = new_axes()
        for key in keys:
            if key in self.history:
                ax.plot(np.arange(1, len(self.history[key]) + 1), self.history[key], label=key)
        if self.best_epoch is not None:
            ax.axvline(self.best_epoch + 1, color="grey", ls=":", lw=1, label="best epoch")
        ax.set_xlabel("epoch")
        ax.set_ylabel(", ".join(k for k in keys if k in self.history))
        ax.legend()
        return ax

    def __repr__(self):
        last = {key: round(values[-1], 6) for key, values in self.history.items()}
        return f"History(epochs={len(self)}, last={last})"


# ---------------------------------------------------------------------------
# Metrics on raw network outputs
# ---------------------------------------------------------------------------


def binary_accuracy(y_true, output, threshold=0.5):
    """Accuracy of probabilities ``output`` thresholded at ``threshold`` against 0/1 targets.

    ``output`` and ``y_true`` may be (N,) or (N, 1).
    """
    output, y_true = np.asarray(output), np.asarray(y_true)
    if output.size != y_true.size:
        raise ValueError(f"binary_accuracy: output {output.shape} and targets {y_true.shape} differ in size")
    predicted = (output.reshape(-1) >= threshold).astype(np.int64)
    return float(np.mean(predicted == y_true.reshape(-1)))


def categorical_accuracy(y_true, output):
    """Accuracy of ``argmax`` over the class axis of scores ``output`` (N, C) against labels (N,)."""
    output, y_true = np.asarray(output), np.asarray(y_true)
    if output.ndim != 2 or y_true.shape != (output.shape[0],):
        raise ValueError(
            f"categorical_accuracy: expects scores (N, C) and labels (N,), got {output.shape} and {y_true.shape}"
        )
    return float(np.mean(np.argmax(output, axis=1) == y_true))


# ---------------------------------------------------------------------------
# Prediction and evaluation
# ---------------------------------------------------------------------------


def _check_data(X, y, who):
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"{who}: X has {len(X)} samples but y has {len(y)} (shapes {X.shape} and {y.shape})")
    if len(X) == 0:
        raise ValueError(f"{who}: got no samples")
    return X, y


def _batches(n, batch_size):
    if batch_size is None or batch_size >= n:
        return [slice(0, n)]
    return [slice(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]


def _check_batch_size(batch_size):
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
        raise ValueError(f"batch_size must be None (full batch) or a positive integer, got {batch_size!r}")


def predict(model, X, batch_size=None):
    """The model's outputs on ``X`` in evaluation mode (dropout off, running
    batch-norm statistics), in batches of ``batch_size`` rows (all at once by
    default). The model's previous mode is restored afterwards."""
    _check_batch_size(batch_size)
    X = np.asarray(X)
    was_training = model.training
    model.eval()
    try:
        outputs = [model(X[rows]) for rows in _batches(len(X), batch_size)]
    finally:
        model.train(was_training)
    return outputs[0] if len(outputs) == 1 else np.concatenate(outputs)


def _scores(loss_fn, metrics, output, y, prefix=""):
    logs = {prefix + "loss": float(loss_fn(output, y))}
    for name, metric in (metrics or {}).items():
        logs[prefix + name] = float(metric(y, output))
    return logs


def evaluate(model, loss_fn, X, y, metrics=None, batch_size=None):
    """Loss and ``metrics`` of the model on (X, y) in evaluation mode.

    ``metrics``: dict name -> ``f(y_true, output) -> float``. Returns a dict
    {"loss": ..., name: ...}. The loss is computed on all outputs at once.
    """
    X, y = _check_data(X, y, "evaluate")
    return _scores(loss_fn, metrics, predict(model, X, batch_size), y)


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def _generator(rng):
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        raise ValueError("pass rng= a numpy.random.Generator or an integer seed to shuffle the data")
    return np.random.default_rng(rng)


def _improved(value, best, mode, min_delta):
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


def fit(model, loss_fn, optimizer, X, y, epochs=10, batch_size=None, shuffle=True, rng=0,
        validation_data=None, metrics=None, patience=None, monitor=None, mode="auto",
        min_delta=0.0, restore_best_weights=True, progress=True):
    """Train ``model`` on (X, y) and return a ``History``.

    Parameters
    ----------
    model : Module with ``forward``/``backward`` (e.g. a ``Sequential``).
    loss_fn : a loss module: ``loss_fn(output, target)`` then ``loss_fn.backward()``.
    optimizer : has ``zero_grad()`` and ``step()`` over the model's parameters.
    X, y : arrays with the samples along axis 0; ``y`` must have the shape
        the loss expects for a batch (e.g. (N, 1) for ``MSELoss`` on (N, 1) outputs).
    epochs : number of passes over the training set.
    batch_size : None (batch GD), 1 (stochastic GD) or k (mini-batch GD).
    shuffle : draw a new order of the examples each epoch, from ``rng``
        (a Generator or a seed). Irrelevant for full-batch training.
    validation_data : (X_val, y_val), evaluated in eval mode after each epoch.
    metrics : dict name -> ``f(y_true, output) -> float``, e.g.
        ``{"acc": binary_accuracy}``; computed on the training outputs of
        the epoch and on the validation set ("val_" + name).
    patience : stop after this many epochs without improvement of
        ``monitor`` (None: no early stopping).
    monitor : what early stopping watches: "val_loss" when there is
        validation data, else "loss" (default), or any recorded key.
    mode : "min", "max" or "auto" ("min" for keys ending in "loss").
    min_delta : smallest change that counts as an improvement.
    restore_best_weights : with ``patience``, load the weights of the best
        epoch at the end (``model.load_state_dict``).
    progress : show a tqdm progress bar over the epochs (notebook-aware).
    """
    X, y = _check_data(X, y, "fit")
    _check_batch_size(batch_size)
    if not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if validation_data is not None:
        if len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (X_val, y_val)")
        X_val, y_val = _check_data(*validation_data, "fit (validation_data)")
    if monitor is None:
        monitor = "val_loss" if validation_data is not None else "loss"
    if mode == "auto":
        mode = "min" if monitor.endswith("loss") else "max"
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min', 'max' or 'auto', got {mode!r}")
    if patience is not None and (not isinstance(patience, (int, np.integer)) or patience < 1):
        raise ValueError(f"patience must be None or a positive integer, got {patience!r}")

    n = len(X)
    full_batch = batch_size is None or batch_size >= n
    rng = _generator(rng) if shuffle and not full_batch else None
    history = History()
    history.monitor = monitor if patience is not None else None
    best_state, wait = None, 0

    from tqdm.auto import tqdm

    # the data needs no gradient: skip it where the model can (as torch does for inputs)
    backward_options = {"needs_input_grad": False} if can_skip_input_grad(model) else {}
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress, leave=True)
    try:
        for epoch in bar:
            model.train()
            order = rng.permutation(n) if rng is not None else None
            total, outputs = 0.0, []
            for rows in _batches(n, batch_size):
                idx = rows if order is None else order[rows]
                xb, yb = X[idx], y[idx]
                optimizer.zero_grad()
                output = model(xb)
                loss = loss_fn(output, yb)
                model.backward(loss_fn.backward(), **backward_options)
                optimizer.step()
                total += float(loss) * len(xb)
                if metrics:
                    outputs.append(output)
            logs = {"loss": total / n}
            if metrics:
                seen = y if order is None else y[order]
                epoch_output = outputs[0] if len(outputs) == 1 else np.concatenate(outputs)
                for name, metric in metrics.items():
                    logs[name] = float(metric(seen, epoch_output))
            if validation_data is not None:
                logs.update(_scores(loss_fn, metrics, predict(model, X_val), y_val, prefix="val_"))
            history._record(epoch, logs)
            bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()}, refresh=False)

            if patience is None:
                continue
            if monitor not in logs:
                raise KeyError(f"early stopping monitors {monitor!r}, but the recorded keys are {sorted(logs)}")
            if _improved(logs[monitor], history.best_value, mode, min_delta):
                history.best_value, history.best_epoch, wait = logs[monitor], epoch, 0
                if restore_best_weights:
                    best_state = model.state_dict()
            else:
                wait += 1
                if wait >= patience:
                    history.stopped_epoch = epoch
                    break
    finally:
        bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    return history
