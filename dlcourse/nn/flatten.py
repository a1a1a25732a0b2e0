"""Flattening feature maps into vectors, as ``torch.nn.Flatten``.

Between the convolutional part of a CNN and its fully connected layers, each
(C, H, W) stack of feature maps becomes one vector of C·H·W numbers:

    x: (N, C, H, W)  ->  y: (N, C·H·W)        (start_dim=1, end_dim=-1)

Axes start_dim..end_dim are merged in row-major order, as PyTorch does, so the
weights of a following Linear layer line up with PyTorch's. Backward only
restores the shape: dL/dx = dL/dy reshaped to x's shape.
"""

import numpy as np

from dlcourse.nn.module import Module


class Flatten(Module):
    """Merge the axes start_dim..end_dim (both included) into one."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x):
        x = np.asarray(x)
        ndim = max(x.ndim, 1)
        start = self.start_dim + ndim if self.start_dim < 0 else self.start_dim
        end = self.end_dim + ndim if self.end_dim < 0 else self.end_dim
        if not (0 <= start < ndim and 0 <= end < ndim):
            raise IndexError(
                f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}) does not fit an "
                f"input of shape {x.shape} ({x.ndim}-D)"
            )
        if start > end:
            raise ValueError(
                f"Flatten: start_dim {self.start_dim} comes after end_dim {self.end_dim} "
                f"for an input of shape {x.shape}"
            )
        shape = x.shape[:start] + (int(np.prod(x.shape[start:end + 1])),) + x.shape[end + 1:]
        self._save_for_backward(x.shape)
        return x.reshape(shape)

    def backward(self, grad_output):
        (shape,) = self._saved()
        return np.asarray(grad_output).reshape(shape)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
