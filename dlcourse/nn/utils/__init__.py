"""Helpers around parameters and their gradients, as ``torch.nn.utils``."""

from dlcourse.nn.utils.clip_grad import clip_grad_norm_

__all__ = ["clip_grad_norm_"]
