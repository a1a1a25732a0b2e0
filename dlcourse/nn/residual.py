"""Residual (skip) connection, the building block of ResNets (chapter on CNN architectures).

    y = x + F(x),     dL/dx = dL/dy + J_Fᵀ dL/dy

The identity path carries the gradient back unchanged, which is why very
deep residual networks still train.
"""

import numpy as np

from dlcourse.nn.module import Module


class Residual(Module):
    """Wraps ``module`` (whose output has the shape of its input) as x + module(x)."""

    def __init__(self, module):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"Residual wraps a Module, got {type(module).__name__}")
        self.module = module

    def forward(self, x):
        x = np.asarray(x)
        fx = self.module(x)
        if np.shape(fx) != x.shape:
            raise ValueError(
                f"Residual needs the wrapped module to keep the shape of its input: "
                f"got input {x.shape} but {type(self.module).__name__} returned {np.shape(fx)}"
            )
        self._save_for_backward(True)
        return x + fx

    def backward(self, grad_output):
        self._saved()
        return grad_output + self.module.backward(grad_output)
