"""Style and content losses with the Gram matrix, and a small style-transfer loop.

Notes, "Deep Art" (Gatys et al. 2016). Let F be a layer's activation of shape
(C, H, W), seen as a C × M matrix with M = H·W (one row per channel).

* Content: L_content = Σ_ijk (F_ijk − P_ijk)², P the content image's activation.
* Style: the Gram matrix G = F Fᵀ (C × C) records which channels fire
  together, wherever in the image; it forgets the layout, which is what
  "style" means here. We normalise it by the number of activations,

      G = F Fᵀ / (C·H·W)        (``normalize=True``, as PyTorch's tutorial;
                                 ``normalize=False`` gives the notes' F Fᵀ)

  so that the style weight does not depend on the layer size. The style loss
  at one layer is L_style = Σ_ij (G_ij − A_ij)², A the style image's Gram matrix.
* Total: L(I) = α Σ_content layers L_content + β Σ_style layers L_style (+ a
  total-variation term for smoothness), minimised over the pixels of I.

Gradients (k = C·H·W, or 1 without normalisation):

    ∂L/∂F for content = 2 (F − P)
    ∂L/∂F given ∂L/∂G = (∂L/∂G + ∂L/∂Gᵀ) F / k
    ∂L_style/∂F       = 4 (G − A) F / k          (G − A is symmetric)
"""

import numpy as np

from dlcourse.inspect._image import as_generator, clip_to
from dlcourse.inspect._model import (
    as_image, backward_taps, forward_taps, inspecting, layer_index, layers_of, result_dtype,
)
from dlcourse.inspect.feature_inversion import total_variation
from dlcourse.optim.functional import adam_step

__all__ = ["gram_matrix", "gram_matrix_backward", "content_loss", "style_loss", "style_transfer"]


def _as_features(features):
    features = np.asarray(features)
    if features.ndim != 4:
        raise ValueError(f"features must have shape (N, C, H, W), got shape {features.shape}")
    return features


def _scale(features, normalize):
    _, c, h, w = features.shape
    return c * h * w if normalize else 1


def gram_matrix(features, normalize=True):
    """G[n] = F[n] F[n]ᵀ / (C·H·W) for features (N, C, H, W); returns (N, C, C)."""
    features = _as_features(features)
    flat = features.reshape(features.shape[0], features.shape[1], -1)     # (N, C, M)
    return flat @ flat.transpose(0, 2, 1) / _scale(features, normalize)


def gram_matrix_backward(grad_gram, features, normalize=True):
    """∂L/∂F = (∂L/∂G + ∂L/∂Gᵀ) F / k for G = gram_matrix(F); returns (N, C, H, W)."""
    features = _as_features(features)
    n, c = features.shape[:2]
    grad_gram = np.asarray(grad_gram)
    if grad_gram.shape != (n, c, c):
        raise ValueError(
            f"grad_gram has shape {grad_gram.shape}, expected {(n, c, c)} for features {features.shape}"
        )
    flat = features.reshape(n, c, -1)
    grad = (grad_gram + grad_gram.transpose(0, 2, 1)) @ flat / _scale(features, normalize)
    return grad.reshape(features.shape)


def content_loss(features, target):
    """L = Σ (F − P)² and ∂L/∂F = 2 (F − P); features and target of the same shape."""
    features, target = np.asarray(features), np.asarray(target)
    if features.shape != target.shape:
        raise ValueError(f"features {features.shape} and target {target.shape} must have the same shape")
    diff = features - target
    return np.sum(diff**2), 2.0 * diff


def style_loss(features, target_gram, normalize=True):
    """L = Σ (G − A)² with G = gram_matrix(F), and ∂L/∂F = 4 (G − A) F / k.

    features : (N, C, H, W); target_gram : (C, C) or (N, C, C), the style
    image's Gram matrix A. Returns ``(loss, grad)`` with grad shaped like features.
    """
    features = _as_features(features)
    gram = gram_matrix(features, normalize)
    target_gram = np.asarray(target_gram)
    if target_gram.shape[-2:] != gram.shape[-2:]:
        raise ValueError(f"target_gram has shape {target_gram.shape}, expected (C, C) = {gram.shape[-2:]}")
    diff = gram - target_gram
    return np.sum(diff**2), gram_matrix_backward(2.0 * diff, features, normalize)


def style_transfer(model, content, style, content_layers, style_layers, content_weight=1.0,
                   style_weight=1e3, tv_weight=0.0, steps=200, lr=0.02, normalize=True,
                   clip=(0.0, 1.0), init="content", rng=None):
    """Paint ``content`` in the style of ``style`` by gradient descent on the pixels.

    content, style : (C, H, W) images; content_layers, style_layers : layer
    indices of ``model`` (lists); init : "content", "noise" (uniform in [0, 1]
    from ``rng``) or an image. Each step is an Adam step of rate ``lr`` on the
    pixels (:func:`dlcourse.optim.functional.adam_step`), then I is clipped.
    Returns ``(image, losses)``: (C, H, W) and the total loss at every iterate
    (``steps + 1`` values).
    """
    layers = layers_of(model)
    content_layers = [layer_index(layers, k) for k in content_layers]
    style_layers = [layer_index(layers, k) for k in style_layers]
    if not content_layers and not style_layers:
        raise ValueError("give at least one content layer or one style layer")
    taps = content_layers + style_layers
    content_x, style_x = as_image(content, model, "content"), as_image(style, model, "style")
    if isinstance(init, str):
        if init == "content":
            x = content_x.copy()
        elif init == "noise":
            x = as_generator(rng).uniform(0.0, 1.0, content_x.shape).astype(content_x.dtype)
        else:
            raise ValueError(f"init must be 'content', 'noise' or an image, got {init!r}")
    else:
        x = as_image(init, model, "init")
    losses, state = [], {}
    with inspecting(model):
        content_targets = forward_taps(layers, content_x, taps)
        style_out = forward_taps(layers, style_x, taps)
        style_targets = {k: gram_matrix(style_out[k], normalize) for k in style_layers}
        for _ in range(steps + 1):
            outputs = forward_taps(layers, x, taps)
            total, grads = 0.0, {}
            for k in content_layers:
                loss, grad = content_loss(outputs[k], content_targets[k])
                total += content_weight * loss
                grads[k] = grads.get(k, 0.0) + content_weight * grad
            for k in style_layers:
                loss, grad = style_loss(outputs[k], style_targets[k], normalize)
                total += style_weight * loss
                grads[k] = grads.get(k, 0.0) + style_weight * grad
            tv, tv_grad = total_variation(x)
            losses.append(total + tv_weight * tv)
            if len(losses) > steps:
                break
            grad = backward_taps(layers, grads) + tv_weight * tv_grad
            x, state = adam_step(x, grad, state, lr=lr)
            x = clip_to(x, clip)
    return x[0].astype(result_dtype(content)), np.array(losses)
