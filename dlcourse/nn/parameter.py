"""A trainable array and its gradient, as ``torch.nn.Parameter``."""

import numpy as np


class Parameter:
    """A tensor the optimizer updates.

    ``data`` holds the values; ``grad`` holds dL/d(data) once a backward pass
    has run, and is ``None`` before (as in PyTorch, where ``zero_grad()``
    sets gradients to ``None``). Backward passes *accumulate* into ``grad``,
    so two backward passes without ``zero_grad()`` in between add up.
    """

    def __init__(self, data, requires_grad=True):
        array = np.array(data, copy=True)
        if not np.issubdtype(array.dtype, np.floating):
            array = array.astype(np.float64)
        self.data = array
        self.grad = None
        self.requires_grad = requires_grad

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self):
        return self.data.size

    def accumulate_grad(self, grad):
        """Add ``grad`` to ``self.grad`` (which starts at ``None``)."""
        if not self.requires_grad:
            return
        grad = np.asarray(grad)
        if grad.shape != self.data.shape:
            raise ValueError(
                f"gradient of shape {grad.shape} does not match parameter of shape {self.data.shape}"
            )
        if self.grad is None:
            self.grad = grad.astype(self.data.dtype, copy=True)
        else:
            self.grad = self.grad + grad

    def zero_grad(self, set_to_none=True):
        if set_to_none or self.grad is None:
            self.grad = None
        else:
            self.grad = np.zeros_like(self.data)

    def __repr__(self):
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"
