"""Gradient clipping by the total norm, as ``torch.nn.utils.clip_grad_norm_``."""

import math

import numpy as np

from dlcourse.nn.parameter import Parameter


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    r"""Scale the gradients of ``parameters`` in place so that their total norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradients taken together,
    ‖g‖_p = (Σ_i ‖g_i‖_p^p)^{1/p} (for p = inf, max_i max |g_i|). Every
    gradient is multiplied by min(1, max_norm / (‖g‖_p + 1e-6)), so the
    direction of the whole step is kept and only its length is capped.

    Parameters
    ----------
    parameters : Parameter or iterable of Parameter
        Parameters whose ``grad`` is ``None`` are skipped.
    max_norm : float
        The largest total norm allowed.
    norm_type : float
        p of the p-norm; ``float("inf")`` (or ``"inf"``) for the largest absolute value.
    error_if_nonfinite : bool
        Raise ``RuntimeError`` when the total norm is nan or inf (otherwise
        the gradients are scaled by it anyway, as PyTorch does).

    Returns
    -------
    numpy.float64
        The total norm of the gradients before clipping (0.0 when no parameter has one).
    """
    if isinstance(parameters, Parameter):
        parameters = [parameters]
    with_grad = [p for p in parameters if p.grad is not None]
    norm_type = float(norm_type)
    max_norm = float(max_norm)
    if not with_grad:
        return np.float64(0.0)
    arrays = [np.asarray(p.grad) for p in with_grad]
    if math.isinf(norm_type):
        total = max(np.max(np.abs(a)) if a.size else 0.0 for a in arrays)
    else:
        norms = np.array([np.linalg.norm(a.ravel(), ord=norm_type) for a in arrays])
        total = np.linalg.norm(norms, ord=norm_type)
    total = np.float64(total)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    coef = min(max_norm / (total + 1e-6), 1.0)  # nan stays nan, as in PyTorch
    with np.errstate(invalid="ignore"):  # inf * 0 gives nan silently, as in PyTorch
        for p in with_grad:
            if isinstance(p.grad, np.ndarray) and p.grad.flags.writeable:
                p.grad *= coef
            else:
                p.grad = np.asarray(p.grad) * coef
    return total
