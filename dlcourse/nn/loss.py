"""Loss layers, as ``torch.nn``'s: ``loss = criterion(pred, target)``, then ``criterion.backward()``.

``backward()`` takes no argument and returns dL/d(pred), the δ that starts
backpropagation through the network (``model.backward(criterion.backward())``).
With ``reduction='none'`` the loss is an array and ``backward`` treats it as
if it were summed (pass ``grad_output`` to weigh its entries otherwise).
The formulas live in ``dlcourse.functional.losses``.
"""

import numpy as np

from dlcourse.functional import losses as L
from dlcourse.nn.module import Module


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        L.check_reduction(reduction)
        self.reduction = reduction

    def forward(self, pred, target):
        pred, target = np.asarray(pred), np.asarray(target)
        loss = self._loss(pred, target)
        self._save_for_backward(pred, target)
        return loss

    def backward(self, grad_output=None):
        """dL/d(pred); ``grad_output`` is dJ/dL for an outer objective J (1 by default)."""
        pred, target = self._saved()
        if grad_output is None:
            grad_output = 1.0
            if self.reduction == "none":
                grad_output = np.ones(self._loss_shape(pred, target), dtype=pred.dtype)
        return self._grad(pred, target, grad_output)

    def _loss_shape(self, pred, target):
        return pred.shape

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error L = mean((ŷ − y)²)."""

    def _loss(self, pred, target):
        return L.mse_loss(pred, target, self.reduction)

    def _grad(self, pred, target, grad_output):
        return L.mse_loss_backward(pred, target, self.reduction, grad_output)


class L1Loss(_Loss):
    """Mean absolute error L = mean(|ŷ − y|); its gradient is sign(ŷ − y) / n."""

    def _loss(self, pred, target):
        return L.l1_loss(pred, target, self.reduction)

    def _grad(self, pred, target, grad_output):
        return L.l1_loss_backward(pred, target, self.reduction, grad_output)


class HuberLoss(_Loss):
    """½ d² for |d| < ``delta``, delta (|d| − ½ delta) beyond (d = ŷ − y): the squared
    error near the target, the absolute error (times delta) far from it."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        L._check_delta(delta)
        self.delta = float(delta)

    def _loss(self, pred, target):
        return L.huber_loss(pred, target, self.reduction, self.delta)

    def _grad(self, pred, target, grad_output):
        return L.huber_loss_backward(pred, target, self.reduction, self.delta, grad_output)

    def extra_repr(self):
        parts = [super().extra_repr(), "" if self.delta == 1.0 else f"delta={self.delta}"]
        return ", ".join(part for part in parts if part)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities ŷ in [0, 1] (logs clamped at −100)."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = None if weight is None else np.asarray(weight)

    def _loss(self, pred, target):
        return L.binary_cross_entropy(pred, target, self.weight, self.reduction)

    def _grad(self, pred, target, grad_output):
        return L.binary_cross_entropy_backward(pred, target, self.weight, self.reduction, grad_output)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of σ(x) from logits x, stable for any x; optional ``pos_weight``."""

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.weight = None if weight is None else np.asarray(weight)
        self.pos_weight = None if pos_weight is None else np.asarray(pos_weight)

    def _loss(self, pred, target):
        return L.binary_cross_entropy_with_logits(
            pred, target, self.weight, self.reduction, self.pos_weight
        )

    def _grad(self, pred, target, grad_output):
        return L.binary_cross_entropy_with_logits_backward(
            pred, target, self.weight, self.reduction, self.pos_weight, grad_output
        )


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy from logits (N, C) and integer labels (N,).

    Its gradient is (softmax(x) − onehot(y)) / N for the mean: the notes' ŷ − y.
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
        self.weight = None if weight is None else np.asarray(weight)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def _loss(self, pred, target):
        return L.cross_entropy(
            pred, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing
        )

    def _grad(self, pred, target, grad_output):
        return L.cross_entropy_backward(
            pred, target, self.weight, self.ignore_index, self.reduction,
            self.label_smoothing, grad_output,
        )

    def _loss_shape(self, pred, target):
        class_axis = 1 if pred.ndim >= 2 else 0
        return pred.shape[:class_axis] + pred.shape[class_axis + 1:]


class NLLLoss(_Loss):
    """Negative log-likelihood of integer labels (N,) under log-probabilities (N, C):
    L_i = −w_{y_i} input[i, y_i]. After a ``LogSoftmax`` it is the cross-entropy."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.weight = None if weight is None else np.asarray(weight)
        self.ignore_index = ignore_index

    def _loss(self, pred, target):
        return L.nll_loss(pred, target, self.weight, self.ignore_index, self.reduction)

    def _grad(self, pred, target, grad_output):
        return L.nll_loss_backward(pred, target, self.weight, self.ignore_index, self.reduction,
                                   grad_output)

    def _loss_shape(self, pred, target):
        class_axis = 1 if pred.ndim >= 2 else 0
        return pred.shape[:class_axis] + pred.shape[class_axis + 1:]
