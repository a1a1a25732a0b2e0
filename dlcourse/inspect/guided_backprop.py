"""Guided backpropagation: a gradient image with only positive influences.

Notes, "Ways to Visualize a CNN" (Springenberg et al. 2015). Plain backprop
through y = ReLU(z) lets dL/dz = dL/dy · [z > 0] through, of either sign, so
positive and negative contributions cancel out in the picture. The guided
rule also blocks negative gradients:

    dL/dz = dL/dy · [z > 0] · [dL/dy > 0]

Everything else in the backward pass is unchanged. :func:`guided_relus`
switches every ReLU of a model to this rule for the duration of a ``with``
block, then puts the model back exactly as it was.
"""

import contextlib

from dlcourse.inspect._model import as_batch, inspecting, result_dtype, unit_gradient

__all__ = ["guided_relus", "guided_backprop"]


def _is_relu(module):
    # by name, so that any ReLU module class (or subclass) is recognised
    return any(cls.__name__ == "ReLU" for cls in type(module).__mro__)


def _guided(plain_backward):
    def backward(grad_output):
        # the ReLU's own backward gives grad_output * [z > 0]; also drop negative gradients
        return plain_backward(grad_output) * (grad_output > 0)

    return backward


@contextlib.contextmanager
def guided_relus(model):
    """Within the block, every ``ReLU`` of ``model`` back-propagates by the
    guided rule. The modules are restored on exit (even after an error)."""
    patched = []
    for module in model.modules():
        if _is_relu(module) and all(module is not done for done, _ in patched):  # shared once
            own = module.__dict__.get("backward")   # normally None: backward is the class's method
            object.__setattr__(module, "backward", _guided(module.backward))
            patched.append((module, own))
    try:
        yield model
    finally:
        for module, own in patched:
            if own is None:
                del module.__dict__["backward"]
            else:
                object.__setattr__(module, "backward", own)


def guided_backprop(model, x, target, layer=-1):
    """Guided gradient of ``target``'s activation at ``layer`` (default: the
    class score S_c) with respect to the input.

    x : (N, C, H, W); target : int or (N,) ints. Returns (N, C, H, W).
    """
    batch = as_batch(x, model)
    with inspecting(model), guided_relus(model):
        _, grad = unit_gradient(model, batch, target, layer)
    return grad.astype(result_dtype(x))
