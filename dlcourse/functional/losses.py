"""Loss functions and their gradients with respect to the prediction (chapter on training).

Each loss ``L = loss(input, target, reduction=...)`` has a partner
``loss_backward(input, target, ..., grad_output=1.0)`` returning dL/d(input),
the first δ of backpropagation. As in ``torch.nn.functional``:

* ``reduction='mean'`` averages the per-element losses, ``'sum'`` adds them,
  ``'none'`` returns them unreduced (then ``grad_output`` has their shape);
* binary cross-entropy clamps each log at −100, so a prediction of exactly 0
  or 1 gives a large finite loss instead of ``inf``;
* cross-entropy takes raw scores (logits) and integer class labels and folds in
  the log-softmax, so that its gradient is the notes' ŷ − y (divided by N for the mean);
  the negative log-likelihood takes the log-probabilities themselves (cross-entropy is
  ``nll_loss(log_softmax(x), y)``);
* the L1 and Huber losses are the robust alternatives to the squared error: their
  gradient stays bounded (by 1 and by ``delta``) however large the error.
"""

import numpy as np

from dlcourse.functional.activations import _as_float, sigmoid
from dlcourse.functional.softmax import log_softmax

__all__ = [
    "mse_loss", "mse_loss_backward",
    "l1_loss", "l1_loss_backward",
    "huber_loss", "huber_loss_backward",
    "binary_cross_entropy", "binary_cross_entropy_backward",
    "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_backward",
    "cross_entropy", "cross_entropy_backward",
    "nll_loss", "nll_loss_backward",
]

REDUCTIONS = ("mean", "sum", "none")
# PyTorch's floor on p (1 − p) in the BCE gradient: 1e-12 stored as a float32
_BCE_EPSILON = float(np.float32(1e-12))


# -- shared checks and reductions --------------------------------------------
def check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _check_finite(array, what, loss):
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        where = tuple(int(i) for i in bad)
        raise ValueError(
            f"{loss} got non-finite values in {what} (first at index {where}: "
            f"{array[where] if where else array[()]}); check for overflow upstream"
        )


def _check_same_shape(input, target, loss):
    if input.shape != target.shape:
        raise ValueError(
            f"{loss} needs target and input of the same shape, got input {input.shape} "
            f"and target {target.shape}"
        )


def _prepare(input, target, loss):
    input = _as_float(input)
    target = np.asarray(target)
    _check_finite(input, "input", loss)
    _check_finite(target, "target", loss)
    _check_same_shape(input, target, loss)
    return input, target.astype(input.dtype, copy=False)


def _reduce(per_element, reduction, count=None):
    if reduction == "none":
        return per_element
    total = per_element.sum()
    if reduction == "sum":
        return total
    return total / (per_element.size if count is None else count)


def _reduction_scale(grad_output, reduction, count, dtype):
    """The factor dL/d(per-element loss): grad_output, divided by the count for a mean."""
    g = np.asarray(grad_output, dtype=dtype)
    if reduction == "mean":
        return g / count
    return g


# -- mean squared error --------------------------------------------------------
def mse_loss(input, target, reduction="mean"):
    """L = mean((ŷ − y)²) over every element (``'sum'``: the sum)."""
    check_reduction(reduction)
    input, target = _prepare(input, target, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction)


def mse_loss_backward(input, target, reduction="mean", grad_output=1.0):
    """dL/dŷ = 2 (ŷ − y) / n for the mean (n = number of elements)."""
    check_reduction(reduction)
    input, target = _prepare(input, target, "mse_loss")
    scale = _reduction_scale(grad_output, reduction, input.size, input.dtype)
    return 2 * (input - target) * scale


# -- mean absolute error -------------------------------------------------------
def l1_loss(input, target, reduction="mean"):
    """L = mean(|ŷ − y|) over every element (``'sum'``: the sum)."""
    check_reduction(reduction)
    input, target = _prepare(input, target, "l1_loss")
    return _reduce(np.abs(input - target), reduction)


def l1_loss_backward(input, target, reduction="mean", grad_output=1.0):
    """dL/dŷ = sign(ŷ − y) / n for the mean; 0 where ŷ = y, as in PyTorch."""
    check_reduction(reduction)
    input, target = _prepare(input, target, "l1_loss")
    scale = _reduction_scale(grad_output, reduction, input.size, input.dtype)
    return np.sign(input - target) * scale


# -- Huber loss ------------------------------------------------------------------
def _check_delta(delta):
    if not np.isfinite(delta) or delta <= 0:
        raise ValueError(f"huber_loss needs a positive, finite delta, got {delta}")


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Quadratic near zero, linear beyond ``delta`` (d = ŷ − y):

        L = ½ d²                 if |d| < delta
            delta (|d| − ½ delta)  otherwise
    """
    check_reduction(reduction)
    _check_delta(delta)
    input, target = _prepare(input, target, "huber_loss")
    diff = input - target
    size = np.abs(diff)
    per_element = np.where(size < delta, 0.5 * diff * diff, delta * (size - 0.5 * delta))
    return _reduce(per_element.astype(input.dtype, copy=False), reduction)


def huber_loss_backward(input, target, reduction="mean", delta=1.0, grad_output=1.0):
    """dL/dŷ = clip(ŷ − y, −delta, delta), / n for the mean."""
    check_reduction(reduction)
    _check_delta(delta)
    input, target = _prepare(input, target, "huber_loss")
    grad = np.clip(input - target, -delta, delta).astype(input.dtype, copy=False)
    return grad * _reduction_scale(grad_output, reduction, input.size, input.dtype)


# -- binary cross-entropy on probabilities -------------------------------------
def _prepare_bce(input, target, weight, loss):
    input, target = _prepare(input, target, loss)
    if np.any((input < 0) | (input > 1)):
        bad = input[(input < 0) | (input > 1)][0]
        raise ValueError(
            f"{loss} needs predictions in [0, 1] (probabilities, e.g. after a sigmoid), "
            f"got {bad}; for raw scores use the with-logits version"
        )
    if np.any((target < 0) | (target > 1)):
        bad = target[(target < 0) | (target > 1)][0]
        raise ValueError(f"{loss} needs targets in [0, 1], got {bad}")
    if weight is not None:
        weight = np.broadcast_to(np.asarray(weight, dtype=input.dtype), input.shape)
    return input, target, weight


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """L = −[y log ŷ + (1 − y) log(1 − ŷ)], each log clamped at −100, times ``weight``.

    ``input`` ŷ holds probabilities in [0, 1]; ``target`` y in [0, 1], same shape.
    """
    check_reduction(reduction)
    input, target, weight = _prepare_bce(input, target, weight, "binary_cross_entropy")
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(input), -100)
        log_q = np.maximum(np.log1p(-input), -100)
    per_element = -(target * log_p + (1 - target) * log_q)
    if weight is not None:
        per_element = per_element * weight
    return _reduce(per_element, reduction)


def binary_cross_entropy_backward(input, target, weight=None, reduction="mean", grad_output=1.0):
    """dL/dŷ = (ŷ − y) / max(ŷ (1 − ŷ), 1e-12), times ``weight``, / n for the mean."""
    check_reduction(reduction)
    input, target, weight = _prepare_bce(input, target, weight, "binary_cross_entropy")
    grad = (input - target) / np.maximum(input * (1 - input), _BCE_EPSILON)
    if weight is not None:
        grad = grad * weight
    return grad * _reduction_scale(grad_output, reduction, input.size, input.dtype)


# -- binary cross-entropy on logits ---------------------------------------------
def _log_sigmoid(x):
    """log σ(x) = −softplus(−x) = min(x, 0) − log(1 + e^{−|x|}), never overflowing."""
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def _prepare_logits(input, target, weight, pos_weight, loss):
    input, target = _prepare(input, target, loss)
    if weight is not None:
        weight = np.broadcast_to(np.asarray(weight, dtype=input.dtype), input.shape)
    if pos_weight is not None:
        pos_weight = np.asarray(pos_weight, dtype=input.dtype)
        try:
            np.broadcast_shapes(pos_weight.shape, input.shape)
        except ValueError:
            raise ValueError(
                f"{loss}: pos_weight of shape {pos_weight.shape} does not broadcast with "
                f"input of shape {input.shape} (give one weight per class, along the last axis)"
            ) from None
    return input, target, weight, pos_weight


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """Binary cross-entropy of σ(x), computed from the logits x without forming σ(x):

        L = (1 − y) x − (1 + (p − 1) y) log σ(x),    log σ(x) = min(x, 0) − log(1 + e^{−|x|})

    where p = ``pos_weight`` (1 if None) multiplies the loss of the positive
    examples (broadcast along the last axis, one per class), as in PyTorch.
    """
    check_reduction(reduction)
    input, target, weight, pos_weight = _prepare_logits(
        input, target, weight, pos_weight, "binary_cross_entropy_with_logits"
    )
    log_sig = _log_sigmoid(input)
    if pos_weight is None:
        per_element = (1 - target) * input - log_sig
    else:
        per_element = (1 - target) * input - (1 + (pos_weight - 1) * target) * log_sig
    if weight is not None:
        per_element = per_element * weight
    return _reduce(per_element, reduction)


def binary_cross_entropy_with_logits_backward(
    input, target, weight=None, reduction="mean", pos_weight=None, grad_output=1.0
):
    """dL/dx = σ(x) − y, or (1 + (p − 1) y) σ(x) − p y with a ``pos_weight`` p."""
    check_reduction(reduction)
    input, target, weight, pos_weight = _prepare_logits(
        input, target, weight, pos_weight, "binary_cross_entropy_with_logits"
    )
    s = sigmoid(input)
    if pos_weight is None:
        grad = s - target
    else:
        grad = (1 + (pos_weight - 1) * target) * s - pos_weight * target
    if weight is not None:
        grad = grad * weight
    return grad * _reduction_scale(grad_output, reduction, input.size, input.dtype)


# -- cross-entropy with softmax --------------------------------------------------
def _flatten_classes(input, weight, loss, scores):
    """Scores (M, C) with the classes last, the class weights checked, and the shape of
    one label per sample: the layouts of ``torch.nn.CrossEntropyLoss`` and ``NLLLoss``,
    (C,), (N, C) or (N, C, d1, ...)."""
    if input.ndim == 0:
        raise ValueError(f"{loss} needs {scores} of shape (N, C) or (C,), got a scalar")
    class_axis = 1 if input.ndim >= 2 else 0
    n_classes = input.shape[class_axis]
    flat = np.moveaxis(input, class_axis, -1).reshape(-1, n_classes)
    if weight is not None:
        weight = np.asarray(weight, dtype=input.dtype)
        if weight.shape != (n_classes,):
            raise ValueError(
                f"{loss} weight must have one entry per class, shape ({n_classes},), "
                f"got {weight.shape}"
            )
    expected = input.shape[:class_axis] + input.shape[class_axis + 1:]
    return flat, weight, expected


def _check_labels(target, input, expected, ignore_index, loss, scores, also=""):
    """The integer labels (M,), every one in [0, C) unless it is ``ignore_index``."""
    if not np.issubdtype(target.dtype, np.integer):
        raise TypeError(
            f"{loss} needs integer class labels of shape {expected}{also}, "
            f"got dtype {target.dtype} and shape {target.shape}"
        )
    if target.shape != expected:
        raise ValueError(
            f"{loss}: {scores} of shape {input.shape} need labels of shape {expected}, "
            f"got {target.shape}"
        )
    n_classes = input.shape[1 if input.ndim >= 2 else 0]
    labels = target.reshape(-1)
    valid = labels != ignore_index
    bad = valid & ((labels < 0) | (labels >= n_classes))
    if np.any(bad):
        raise ValueError(f"label {labels[bad][0]} out of range for {n_classes} classes")
    return labels


def _prepare_cross_entropy(input, target, weight, ignore_index, label_smoothing):
    """Flatten to logits (M, C) and targets: labels (M,) or probabilities (M, C).

    Accepts the layouts of ``torch.nn.CrossEntropyLoss``: (C,) with a scalar
    label, (N, C) with labels (N,), (N, C, d1, ...) with labels (N, d1, ...),
    or class probabilities of the same shape as ``input``.
    """
    loss = "cross_entropy"
    input = _as_float(input)
    target = np.asarray(target)
    _check_finite(input, "input", loss)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    logits, weight, expected = _flatten_classes(input, weight, loss, "logits")
    if np.issubdtype(target.dtype, np.floating) and target.shape == input.shape:
        _check_finite(target, "target", loss)
        class_axis = 1 if input.ndim >= 2 else 0
        flat_target = np.moveaxis(target, class_axis, -1).reshape(-1, logits.shape[1]).astype(input.dtype)
        return logits, flat_target, weight, expected, True
    labels = _check_labels(target, input, expected, ignore_index, loss, "logits",
                           also=f" (or float class probabilities of shape {input.shape})")
    return logits, labels, weight, expected, False


def _cross_entropy_parts(input, target, weight, ignore_index, label_smoothing):
    """Per-sample loss, its gradient w.r.t. the flat logits (M, C), and the mean's divisor."""
    logits, target, weight, out_shape, probabilities = _prepare_cross_entropy(
        input, target, weight, ignore_index, label_smoothing
    )
    m, n_classes = logits.shape
    log_p = log_softmax(logits, dim=-1)
    p = np.exp(log_p)
    w = np.ones(n_classes, dtype=logits.dtype) if weight is None else weight
    if probabilities:
        # soft targets q (smoothed): L_i = −Σ_c w_c q_ic log p_ic
        q = target * (1 - label_smoothing) + label_smoothing / n_classes
        wq = w * q
        per_sample = -(wq * log_p).sum(axis=1)
        grad = p * wq.sum(axis=1, keepdims=True) - wq
        return per_sample, grad, m, out_shape
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    rows = np.arange(m)
    w_label = np.where(valid, w[safe], 0).astype(logits.dtype)
    # L_i = (1 − ε) w_{y_i} (−log p_{i,y_i}) + (ε / C) Σ_c w_c (−log p_ic)
    nll = -w_label * log_p[rows, safe]
    onehot = np.zeros_like(logits)
    onehot[rows, safe] = 1
    grad = (1 - label_smoothing) * w_label[:, None] * (p - onehot)
    per_sample = (1 - label_smoothing) * nll
    if label_smoothing > 0:
        smooth = -(w * log_p).sum(axis=1)
        per_sample = per_sample + np.where(valid, smooth, 0) * (label_smoothing / n_classes)
        smooth_grad = p * w.sum() - w
        grad = grad + valid[:, None] * smooth_grad * (label_smoothing / n_classes)
    divisor = w_label.sum()
    return per_sample, grad, divisor, out_shape


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Softmax cross-entropy from logits, as ``torch.nn.functional.cross_entropy``.

    For logits x (N, C) and labels y (N,): L_i = −w_{y_i} log softmax(x_i)_{y_i}.
    ``weight`` (C,) weighs each class; labels equal to ``ignore_index`` count
    for nothing; ``'mean'`` divides by Σ_i w_{y_i} over the labels kept (N when
    unweighted). ``label_smoothing`` ε mixes the one-hot target with the
    uniform distribution: target (1 − ε) e_y + ε / C.
    """
    check_reduction(reduction)
    per_sample, _, divisor, out_shape = _cross_entropy_parts(
        input, target, weight, ignore_index, label_smoothing
    )
    if reduction == "none":
        return per_sample.reshape(out_shape)
    if reduction == "sum":
        return per_sample.sum()
    if divisor == 0:  # every label ignored: 0/0, NaN as in PyTorch
        return per_sample.dtype.type(np.nan)
    return per_sample.sum() / divisor


def cross_entropy_backward(input, target, weight=None, ignore_index=-100, reduction="mean",
                           label_smoothing=0.0, grad_output=1.0):
    """dL/dx = w_{y_i} (softmax(x_i) − e_{y_i}), divided by the mean's divisor:
    the notes' ŷ − y per sample, (ŷ − y) / N for an unweighted mean. Shape of ``input``."""
    check_reduction(reduction)
    input = _as_float(input)
    _, grad, divisor, out_shape = _cross_entropy_parts(
        input, target, weight, ignore_index, label_smoothing
    )
    g = np.asarray(grad_output, dtype=input.dtype)
    if reduction == "none":
        grad = grad * g.reshape(-1, 1)
    elif reduction == "mean":
        grad = grad * (g / divisor) if divisor != 0 else np.zeros_like(grad)
    else:
        grad = grad * g
    class_axis = 1 if input.ndim >= 2 else 0
    moved = np.moveaxis(input, class_axis, -1).shape
    return np.moveaxis(grad.reshape(moved), -1, class_axis)


# -- negative log-likelihood ---------------------------------------------------------
def _nll_parts(input, target, weight, ignore_index):
    """Flat log-probabilities (M, C), labels (M,), the weight w_{y_i} of each sample
    (0 where ignored), and the output shape of ``'none'``."""
    loss = "nll_loss"
    input = _as_float(input)
    if np.any(np.isnan(input) | (input == np.inf)):
        _check_finite(input, "input", loss)  # log-probabilities are <= 0; −inf is log 0
    log_p, weight, expected = _flatten_classes(input, weight, loss, "log-probabilities")
    labels = _check_labels(np.asarray(target), input, expected, ignore_index, loss, "log-probabilities")
    valid = labels != ignore_index
    safe = np.where(valid, labels, 0)
    w = np.ones(log_p.shape[1], dtype=log_p.dtype) if weight is None else weight
    w_label = np.where(valid, w[safe], 0).astype(log_p.dtype)
    return input, log_p, safe, w_label, expected


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of the labels, as ``torch.nn.functional.nll_loss``.

    ``input`` holds log-probabilities (e.g. ``log_softmax(x)``): L_i = −w_{y_i} input[i, y_i].
    Layouts, ``weight``, ``ignore_index`` and the mean's divisor Σ_i w_{y_i} are those of
    :func:`cross_entropy`, which equals ``nll_loss(log_softmax(x, dim=1), y)``.
    """
    check_reduction(reduction)
    _, log_p, labels, w_label, out_shape = _nll_parts(input, target, weight, ignore_index)
    picked = log_p[np.arange(len(labels)), labels]
    # an ignored (or zero-weight) sample counts 0, even where its log-probability is −inf
    per_sample = -w_label * np.where(w_label != 0, picked, 0)
    if reduction == "none":
        return per_sample.reshape(out_shape)
    if reduction == "sum":
        return per_sample.sum()
    divisor = w_label.sum()
    if divisor == 0:  # every label ignored: 0/0, NaN as in PyTorch
        return per_sample.dtype.type(np.nan)
    return per_sample.sum() / divisor


def nll_loss_backward(input, target, weight=None, ignore_index=-100, reduction="mean",
                      grad_output=1.0):
    """dL/d(input) = −w_{y_i} at [i, y_i] and 0 elsewhere, divided by Σ_i w_{y_i} for the
    mean. Shape of ``input``."""
    check_reduction(reduction)
    input, log_p, labels, w_label, _ = _nll_parts(input, target, weight, ignore_index)
    g = np.asarray(grad_output, dtype=input.dtype)
    if reduction == "none":
        scale = w_label * g.reshape(-1)
    elif reduction == "mean":
        divisor = w_label.sum()
        scale = w_label * (g / divisor) if divisor != 0 else np.zeros_like(w_label)
    else:
        scale = w_label * g
    grad = np.zeros_like(log_p)
    grad[np.arange(len(labels)), labels] = -scale
    class_axis = 1 if input.ndim >= 2 else 0
    moved = np.moveaxis(input, class_axis, -1).shape
    return np.moveaxis(grad.reshape(moved), -1, class_axis)
