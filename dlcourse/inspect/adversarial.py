"""Adversarial examples: tiny changes to an image that change the network's answer.

Notes, "Fooling Deep CNNs" (Goodfellow et al. 2015; Kurakin et al. 2017). With
L the cross-entropy of the network's scores for the true label y,

* FGSM, one step of size ε along the sign of the gradient:

      x_adv = clip_[0,1]( x + ε · sign(∇_x L(x, y)) )

* I-FGSM (basic iterative method): T small steps of size α, each projected
  back onto the ε-ball around x (‖x_adv − x‖_∞ <= ε) and the pixel range:

      x_{t+1} = clip_[0,1]( clip_[x−ε, x+ε]( x_t + α · sign(∇_x L(x_t, y)) ) )

* Targeted (``targeted=True``, y is then the class we want): descend instead,
  x − ε · sign(∇_x L(x, y)), raising the log-likelihood of the wrong class,
  as the notes describe.
"""

import numpy as np

from dlcourse.functional.softmax import log_softmax
from dlcourse.inspect._image import as_generator
from dlcourse.inspect._model import as_batch, inspecting, result_dtype

__all__ = ["cross_entropy_gradient", "fgsm", "iterative_fgsm"]


def _labels(y, n, n_classes):
    y = np.asarray(y)
    if y.ndim > 1 or y.size not in (1, n):
        raise ValueError(f"labels must be one int or one per image ({n}), got shape {y.shape}")
    y = np.broadcast_to(y.ravel(), (n,))
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"labels must be integers in [0, {n_classes}), got {y!r}")
    return y


def cross_entropy_gradient(model, x, y):
    """Mean cross-entropy L = −(1/N) Σ_n log softmax(S(x_n))[y_n] and ∂L/∂x.

    x : (N, C, H, W); y : (N,) labels. Returns ``(loss, grad)``, grad (N, C, H, W).
    ∂L/∂S = (softmax(S) − onehot(y)) / N is sent back through the model.
    """
    logits = model.forward(x)
    y = _labels(y, len(x), logits.shape[1])
    log_p = log_softmax(logits, dim=1)
    rows = np.arange(len(x))
    grad_logits = np.exp(log_p)
    grad_logits[rows, y] -= 1.0
    grad = model.backward(grad_logits / len(x))
    return -np.mean(log_p[rows, y]), grad


def _check(epsilon, clip):
    if not np.isfinite(epsilon) or epsilon < 0:
        raise ValueError(f"epsilon must be a finite number >= 0, got {epsilon!r}")
    if clip is not None and not clip[0] < clip[1]:
        raise ValueError(f"clip must be (low, high) with low < high, got {clip!r}")


def _project(x_adv, x, epsilon, clip):
    x_adv = np.clip(x_adv, x - epsilon, x + epsilon)
    return x_adv if clip is None else np.clip(x_adv, clip[0], clip[1])


def fgsm(model, x, y, epsilon, clip=(0.0, 1.0), targeted=False):
    """x_adv = clip(x ± ε · sign(∇_x L(x, y))): + moves away from label y,
    − (``targeted``) towards it. x : (N, C, H, W); y : (N,) or one int.
    Returns x_adv of the shape and dtype of x."""
    _check(epsilon, clip)
    batch = as_batch(x, model)
    with inspecting(model):
        _, grad = cross_entropy_gradient(model, batch, y)
    direction = -1.0 if targeted else 1.0
    x_adv = _project(batch + direction * epsilon * np.sign(grad), batch, epsilon, clip)
    return x_adv.astype(result_dtype(x))


def iterative_fgsm(model, x, y, epsilon, alpha=None, steps=10, clip=(0.0, 1.0), targeted=False,
                   random_start=False, rng=None):
    """I-FGSM / BIM: ``steps`` signed-gradient steps of size ``alpha`` (default
    2.5·ε/steps, so that the surface of the ball can be reached), each
    projected onto the ε-ball around x and the range ``clip``.

    ``random_start=True`` starts at a uniform random point of the ε-ball
    (drawn from ``rng``; this is PGD). Returns x_adv of the shape and dtype of x.
    """
    _check(epsilon, clip)
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if alpha is None:
        alpha = 2.5 * epsilon / steps
    batch = as_batch(x, model)
    x_adv = batch.copy()
    if random_start:
        noise = as_generator(rng).uniform(-epsilon, epsilon, batch.shape)
        x_adv = _project(batch + noise, batch, epsilon, clip)
    direction = -1.0 if targeted else 1.0
    with inspecting(model):
        for _ in range(steps):
            _, grad = cross_entropy_gradient(model, x_adv, y)
            x_adv = _project(x_adv + direction * alpha * np.sign(grad), batch, epsilon, clip)
    return x_adv.astype(result_dtype(x))
