"""Per-layer gradient norms: the diagnostic for vanishing and exploding gradients (chapter 8).

After a backward pass, ‖∂L/∂W_l‖ for each layer l shows at a glance whether the
gradient shrinks (vanishing) or grows (exploding) on its way down to the input.
"""

import numpy as np


def grad_norms(module, norm_type=2.0, weights_only=True):
    r"""The ``norm_type``-norm of every parameter's gradient, in the order of
    ``module.named_parameters()``, as a dict ``{name: float}``.

    ``weights_only=True`` keeps only the parameters whose name ends in ``weight``
    (one entry per ``Linear`` or ``Conv2d`` layer, the input side first); a
    parameter whose ``grad`` is ``None`` gets 0.0. The norm is that of the
    flattened gradient, ‖g‖_p = (Σ |g_i|^p)^{1/p} (the Frobenius norm for p = 2),
    the same per-parameter norm ``clip_grad_norm_`` sums.
    """
    norms = {}
    for name, param in module.named_parameters():
        if weights_only and not name.split(".")[-1] == "weight":
            continue
        grad = param.grad
        norms[name] = 0.0 if grad is None else float(np.linalg.norm(np.ravel(grad), ord=float(norm_type)))
    return norms
