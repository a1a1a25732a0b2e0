"""What every inspection technique needs from a trained network: run it up to a
layer, send a gradient back from that layer to the input pixels, and do so
without disturbing the model.

Only the module contract is used: ``forward(x)`` and ``backward(dL/dy) -> dL/dx``.
A model is a :class:`dlcourse.nn.Sequential` (e.g. :class:`dlcourse.models.LeNet`)
so that "layer k" means "the output of ``model[k]``"; negative indices count
from the end, ``-1`` is the output (the class scores, before the softmax).
"""

import contextlib

import numpy as np

from dlcourse.nn.module import Module


def layers_of(model):
    """The model's layers in order, as a list (a Sequential or a list of Modules)."""
    if isinstance(model, Module) and hasattr(model, "__getitem__") and hasattr(model, "__len__"):
        return [model[i] for i in range(len(model))]
    if isinstance(model, (list, tuple)) and all(isinstance(m, Module) for m in model):
        return list(model)
    raise TypeError(
        f"inspection needs a Sequential model (layer k = the output of model[k]), "
        f"got {type(model).__name__}"
    )


def layer_index(layers, layer):
    """Turn ``layer`` (an int index, negative counts from the end, or one of the
    modules) into a non-negative index into ``layers``."""
    if isinstance(layer, Module):
        for index, module in enumerate(layers):
            if module is layer:
                return index
        raise ValueError(f"{type(layer).__name__} module is not one of the model's {len(layers)} layers")
    if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        if not -len(layers) <= layer < len(layers):
            raise IndexError(f"layer {layer} is out of range for a model with {len(layers)} layers")
        return int(layer) % len(layers)
    raise TypeError(f"layer must be an int index or a module of the model, got {layer!r}")


def model_dtype(model):
    """The floating dtype of the model's parameters (float64 if it has none)."""
    for param in model.parameters():
        return param.data.dtype
    return np.dtype(np.float64)


def as_batch(x, model, name="x"):
    """``x`` of shape (N, C, H, W) as an array of the model's dtype (a copy)."""
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"{name} must have shape (N, C, H, W), got shape {x.shape}")
    return x.astype(model_dtype(model), copy=True)


def as_image(image, model, name="image"):
    """One image of shape (C, H, W) as a batch (1, C, H, W) of the model's dtype."""
    image = np.asarray(image)
    if image.ndim != 3:
        raise ValueError(f"{name} must have shape (C, H, W), got shape {image.shape}")
    return image[None].astype(model_dtype(model), copy=True)


def result_dtype(x):
    """The dtype results are returned in: the caller's float dtype, float64 for ints."""
    dtype = np.asarray(x).dtype
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)


@contextlib.contextmanager
def inspecting(model):
    """Evaluation mode with frozen parameters, restored on exit.

    Inspection differentiates with respect to the *input*; the parameters
    stay fixed, so their ``.grad`` must not change either (``requires_grad``
    is switched off, which makes ``accumulate_grad`` a no-op).
    """
    modes = [(module, module.training) for module in model.modules()]
    params = list(model.parameters())
    flags = [param.requires_grad for param in params]
    model.eval()
    for param in params:
        param.requires_grad = False
    try:
        yield model
    finally:
        for param, flag in zip(params, flags):
            param.requires_grad = flag
        for module, training in modes:
            object.__setattr__(module, "training", training)


def forward_to(layers, x, stop):
    """Run ``layers[0] ... layers[stop]`` on ``x``; returns the output of layer ``stop``."""
    for layer in layers[: stop + 1]:
        x = layer.forward(x)
    return x


def backward_from(layers, grad, stop):
    """Send dL/d(output of layer ``stop``) back to dL/dx through ``layers[stop] ... layers[0]``.
    Needs the forward pass that ended at ``stop`` to be the last one run."""
    for layer in reversed(layers[: stop + 1]):
        grad = layer.backward(grad)
    return grad


def forward_taps(layers, x, taps):
    """One forward pass, keeping the outputs of the layers listed in ``taps``.
    Returns ``{index: activation}``; stops at the deepest tap."""
    taps = set(taps)
    outputs = {}
    for index, layer in enumerate(layers[: max(taps) + 1]):
        x = layer.forward(x)
        if index in taps:
            outputs[index] = x
    return outputs


def backward_taps(layers, grads):
    """Backward pass for a loss that depends on several layers' outputs.

    ``grads`` maps a layer index to dL/d(its output). The gradient entering
    layer k is the sum of the one from above and the one of the tap at k.
    Returns dL/dx; needs the matching :func:`forward_taps` to be the last pass.
    """
    deepest = max(grads)
    grad = None
    for index in range(deepest, -1, -1):
        if index in grads:
            grad = grads[index] if grad is None else grad + grads[index]
        grad = layers[index].backward(grad)
    return grad


def unit_gradient(model, x, unit, layer=-1):
    """d/dx of Σ (activation of ``unit`` at ``layer``) for every image of ``x``.

    ``x`` (N, C, H, W); ``unit`` an int or one per image: a class index when
    ``layer`` is the output (the score S_c, before the softmax), a channel for
    a convolutional layer (the sum over that channel's map). Returns
    ``(activation, grad)``: the layer's output and dS/dx of shape (N, C, H, W).
    """
    layers = layers_of(model)
    stop = layer_index(layers, layer)
    out = forward_to(layers, x, stop)
    units = np.asarray(unit)
    if units.ndim > 1 or units.size not in (1, len(x)):
        raise ValueError(f"unit must be one int or one per image ({len(x)}), got shape {units.shape}")
    units = np.broadcast_to(units.ravel(), (len(x),))
    if not np.issubdtype(units.dtype, np.integer) or units.min() < 0 or units.max() >= out.shape[1]:
        raise ValueError(
            f"unit must be an integer in [0, {out.shape[1]}) (axis 1 of the layer output "
            f"{out.shape}), got {unit!r}"
        )
    grad_out = np.zeros_like(out)
    grad_out[np.arange(len(x)), units] = 1.0
    return out, backward_from(layers, grad_out, stop)
