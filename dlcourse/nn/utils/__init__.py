"""Helpers around parameters and their gradients, as ``torch.nn.utils``."""

from dlcourse.nn.utils.clip_grad import clip_grad_norm_
from dlcourse.nn.utils.grad_norms import grad_norms

__all__ = ["clip_grad_norm_", "grad_norms"]
