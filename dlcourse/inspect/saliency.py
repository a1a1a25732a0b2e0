"""Saliency maps: which pixels the class score is most sensitive to.

Notes, "Ways to Visualize a CNN" (third approach; Simonyan et al. 2014). For
an image x (C, H, W) and the score of class c *before* the softmax, S_c(x),

    M[i, j] = max over channels k of | ∂S_c / ∂x[k, i, j] |

The gradient comes from one forward pass and one backward pass of the
one-hot vector e_c through the network (the parameters stay fixed).
"""

import numpy as np

from dlcourse.inspect._model import as_batch, inspecting, result_dtype, unit_gradient

__all__ = ["score_gradient", "saliency_map"]


def score_gradient(model, x, target, layer=-1):
    """∂S/∂x: the gradient of ``target``'s activation at ``layer`` (default the
    class score) with respect to the input.

    x : (N, C, H, W); target : int or (N,) ints (a class, or a channel of ``layer``)
    Returns (N, C, H, W) in the dtype of ``x``.
    """
    batch = as_batch(x, model)
    with inspecting(model):
        _, grad = unit_gradient(model, batch, target, layer)
    return grad.astype(result_dtype(x))


def saliency_map(model, x, target):
    """M = max_k |∂S_target/∂x[k]|, one map per image.

    x : (N, C, H, W); target : int or (N,) class indices.
    Returns (N, H, W), non-negative, in the dtype of ``x``.
    """
    return np.abs(score_gradient(model, x, target)).max(axis=1)
