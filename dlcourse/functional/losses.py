"""Loss functions and their gradients with respect to the prediction (chapter on training).

Each loss ``L = loss(input, target, reduction=...)`` has a partner
``loss_backward(input, target, ..., grad_output=1.0)`` returning dL/d(input),
the first δ of backpropagation. As in ``torch.nn.functional``:

* ``reduction='mean'`` averages the per-element losses, ``'sum'`` adds them,
  ``'none'`` returns them unreduced (then ``grad_output`` has their shape);
* binary cross-entropy clamps each log at −100, so a prediction of exactly 0
  or 1 gives a large finite loss instead of ``inf``;
* cross-entropy takes raw scores (logits) and integer class labels and folds in
  the log-softmax, so that its gradient is the notes' ŷ − y (divided by N for the mean).
"""

import numpy as np

from dlcourse.functional.activations import _as_float, sigmoid
from dlcourse.functional.softmax import log_softmax

__all__ = [
    "mse_loss", "mse_loss_backward",
    "binary_cross_entropy", "binary_cross_entropy_backward",
    "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_backward",
    "cross_entropy", "cross_entropy_backward",
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
    if input.ndim == 0:
        raise ValueError("cross_entropy needs logits of shape (N, C) or (C,), got a scalar")
    class_axis = 1 if input.ndim >= 2 else 0
    n_classes = input.shape[class_axis]
    logits = np.moveaxis(input, class_axis, -1).reshape(-1, n_classes)
    if weight is not None:
        weight = np.asarray(weight, dtype=input.dtype)
        if weight.shape != (n_classes,):
            raise ValueError(
                f"cross_entropy weight must have one entry per class, shape ({n_classes},), "
                f"got {weight.shape}"
            )
    expected = input.shape[:class_axis] + input.shape[class_axis + 1:]
    if np.issubdtype(target.dtype, np.floating) and target.shape == input.shape:
        _check_finite(target, "target", loss)
        flat_target = np.moveaxis(target, class_axis, -1).reshape(-1, n_classes).astype(input.dtype)
        return logits, flat_target, weight, expected, True
    if not np.issubdtype(target.dtype, np.integer):
        raise TypeError(
            f"cross_entropy needs integer class labels of shape {expected} (or float class "
            f"probabilities of shape {input.shape}), got dtype {target.dtype} and shape {target.shape}"
        )
    if target.shape != expected:
        raise ValueError(
            f"cross_entropy: logits of shape {input.shape} need labels of shape {expected}, "
            f"got {target.shape}"
        )
    labels = target.reshape(-1)
    valid = labels != ignore_index
    bad = valid & ((labels < 0) | (labels >= n_classes))
    if np.any(bad):
        raise ValueError(f"label {labels[bad][0]} out of range for {n_classes} classes")
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
