"""Gradient checking: compare a backward pass with centred finite differences (chapter on backprop).

    ∂f/∂x_i ≈ (f(x + h e_i) − f(x − h e_i)) / (2h)

has an error of order h², so with h = 1e-6 in float64 an analytic gradient
that is right agrees to about 1e-8 in relative terms, and one that is wrong
disagrees in the first digits. The comparison uses one relative error over
whole arrays (CS231n's is taken entry by entry instead; see chapter 5)

    rel(a, b) = max |a − b| / max(max(|a| + |b|), tiny)

This is a checking tool: it calls the function twice per element, so use it on
small inputs, in float64.
"""

import numpy as np

__all__ = ["numerical_gradient", "relative_error", "check_module", "check_loss", "GradcheckError"]

_TINY = 1e-12


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with the numerical one."""


def numerical_gradient(f, x, eps=1e-6):
    """d f / d x by centred differences, one element at a time.

    ``f`` maps the array ``x`` (changed in place and restored) to a scalar;
    returns an array of the shape of ``x``.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"numerical_gradient needs a floating NumPy array x, got {type(x).__name__}")
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        f_plus = float(f(x))
        x[index] = original - eps
        f_minus = float(f(x))
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a, b):
    """max |a − b| / max(max(|a| + |b|), 1e-12): 1e-6 or less (``check_module``'s tol) means they agree."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error needs arrays of the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a) + np.abs(b))), _TINY))


def _generators(module):
    """Every ``numpy.random.Generator`` held by the module tree (e.g. Dropout's)."""
    return [value for sub in module.modules() for value in vars(sub).values()
            if isinstance(value, np.random.Generator)]


def _report(errors, abs_errors, tol, atol, what):
    failed = {name: err for name, err in errors.items() if err > tol and abs_errors[name] > atol}
    if failed:
        worst = max(failed, key=failed.get)
        listing = ", ".join(f"{name}: {err:.2e}" for name, err in errors.items())
        raise GradcheckError(
            f"{what}: the analytic gradient of {worst!r} is wrong, relative error "
            f"{errors[worst]:.2e} > {tol:.0e} and absolute error {abs_errors[worst]:.2e} > "
            f"{atol:.0e} (all relative errors: {listing})"
        )
    return errors


def check_module(module, x, eps=1e-6, tol=1e-6, atol=1e-8, seed=0):
    """Check ``module.backward`` against numerical gradients; return {name: relative error}.

    The scalar checked is L = Σ r ⊙ module(x) with a fixed random projection r,
    so dL/dy = r is passed to ``backward``. The input's gradient is reported as
    ``'input'``, each parameter under its ``named_parameters()`` name. Random
    generators inside the module (Dropout's) are rewound before every forward
    pass, so a training-mode Dropout sees the same mask each time; parameter
    values, buffers and generator states are restored afterwards. Raises
    ``GradcheckError`` naming the worst gradient whose relative error exceeds
    ``tol`` and whose largest absolute difference exceeds ``atol`` (a gradient
    that is truly 0, e.g. a bias before batch norm, has a meaningless relative error).
    """
    x = np.array(x, dtype=np.float64, copy=True) if not isinstance(x, np.ndarray) else x.copy()
    if x.dtype != np.float64:
        raise TypeError(f"check_module needs a float64 input (finite differences), got {x.dtype}")
    generators = _generators(module)
    rng_states = [g.bit_generator.state for g in generators]
    saved_state = module.state_dict()
    saved_grads = {name: p.grad for name, p in module.named_parameters()}

    def rewind():
        for generator, state in zip(generators, rng_states):
            generator.bit_generator.state = state

    try:
        rewind()
        y = np.asarray(module(x))
        r = np.random.default_rng(seed).standard_normal(y.shape)

        def loss_at(value):
            rewind()
            return float(np.sum(r * module(value)))

        module.zero_grad()
        grad_x = module.backward(r)
        analytic = {"input": grad_x}
        for name, param in module.named_parameters():
            analytic[name] = np.zeros_like(param.data) if param.grad is None else param.grad.copy()

        numeric = {"input": numerical_gradient(loss_at, x.copy(), eps)}
        for name, param in module.named_parameters():
            numeric[name] = numerical_gradient(lambda _: loss_at(x), param.data, eps)
    finally:
        module.load_state_dict(saved_state)
        for name, param in module.named_parameters():
            param.grad = saved_grads[name]
        rewind()
    errors = {name: relative_error(analytic[name], numeric[name]) for name in analytic}
    abs_errors = {name: _max_abs_diff(analytic[name], numeric[name]) for name in analytic}
    return _report(errors, abs_errors, tol, atol, f"gradient check of {type(module).__name__}")


def _max_abs_diff(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) if np.size(a) else 0.0


def check_loss(loss, pred, target, eps=1e-6, tol=1e-6, atol=1e-8):
    """Check a loss module's ``backward()`` (dL/dpred) numerically; return {'input': error}."""
    pred = np.array(pred, dtype=np.float64, copy=True)
    loss(pred, target)
    analytic = loss.backward()
    if loss.reduction == "none":
        numeric = numerical_gradient(lambda p: np.sum(loss(p, target)), pred.copy(), eps)
    else:
        numeric = numerical_gradient(lambda p: loss(p, target), pred.copy(), eps)
    return _report({"input": relative_error(analytic, numeric)},
                   {"input": _max_abs_diff(analytic, numeric)}, tol, atol,
                   f"gradient check of {type(loss).__name__}")
