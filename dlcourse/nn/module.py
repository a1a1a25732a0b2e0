"""The base class of every layer, as ``torch.nn.Module`` but with explicit backprop.

A module computes ``y = forward(x)`` and keeps what it needs in a cache;
``backward(dL/dy)`` then returns ``dL/dx`` and *accumulates* ``dL/dθ`` into
each of its parameters' ``.grad``. There is no hidden autograd: the chain
rule is written out in every layer, which is what the course teaches.
"""

import inspect
from collections import OrderedDict

import numpy as np

from dlcourse.nn.parameter import Parameter


class Module:
    """Base class: registers parameters, buffers and sub-modules in order."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_cache", None)

    # -- registration -------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() was called; "
                "call super().__init__() first in your __init__"
            )
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name, array):
        """Keep a non-trainable array (e.g. running mean) in ``state_dict``."""
        object.__setattr__(self, name, array)
        self._buffers[name] = True

    # -- traversal ----------------------------------------------------------
    def children(self):
        return iter(self._modules.values())

    def named_children(self):
        return iter(self._modules.items())

    def modules(self):
        yield self
        for child in self._modules.values():
            yield from child.modules()

    def named_parameters(self, prefix=""):
        for name, param in self._parameters.items():
            yield prefix + name, param
        for child_name, child in self._modules.items():
            yield from child.named_parameters(prefix + child_name + ".")

    def parameters(self):
        """All parameters of this module and its sub-modules, in registration order."""
        seen = set()
        for _, param in self.named_parameters():
            if id(param) not in seen:
                seen.add(id(param))
                yield param

    def named_buffers(self, prefix=""):
        for name in self._buffers:
            yield prefix + name, getattr(self, name)
        for child_name, child in self._modules.items():
            yield from child.named_buffers(prefix + child_name + ".")

    # -- modes and gradients ------------------------------------------------
    def train(self, mode=True):
        """Training mode (dropout active, batch statistics); returns ``self``."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        """Evaluation mode, same as ``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        for param in self.parameters():
            param.zero_grad(set_to_none)

    # -- state --------------------------------------------------------------
    def state_dict(self):
        """Copies of every parameter and buffer, keyed by dotted name."""
        state = OrderedDict()
        for name, param in self.named_parameters():
            state[name] = param.data.copy()
        for name, buf in self.named_buffers():
            state[name] = np.array(buf, copy=True)
        return state

    def load_state_dict(self, state):
        own_params = dict(self.named_parameters())
        own_buffers = {name for name, _ in self.named_buffers()}
        expected = set(own_params) | own_buffers
        missing, unexpected = expected - set(state), set(state) - expected
        if missing or unexpected:
            raise KeyError(
                f"state_dict does not fit {type(self).__name__}: "
                f"missing keys {sorted(missing)}, unexpected keys {sorted(unexpected)}"
            )
        for name, value in state.items():
            value = np.asarray(value)
            if name in own_params:
                param = own_params[name]
                if value.shape != param.data.shape:
                    raise ValueError(
                        f"{name}: saved shape {value.shape} does not match {param.data.shape}"
                    )
                param.data = value.astype(param.data.dtype, copy=True)
            else:
                owner = self
                *path, leaf = name.split(".")
                for part in path:
                    owner = owner._modules[part]
                object.__setattr__(owner, leaf, np.array(value, copy=True))

    # -- computation --------------------------------------------------------
    def forward(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")

    def backward(self, grad_output):
        """dL/d(input) from dL/d(output), adding each parameter's gradient to ``p.grad``.

        Layers whose input gradient costs as much as their weight gradient
        (``Linear``, ``Conv2d``, ``Sequential``) also take
        ``needs_input_grad=False``: the parameter gradients only, and ``None``
        returned, as PyTorch skips the gradient of an input that does not
        require one (the data fed to a network's first layer).
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement backward()")

    def __call__(self, *inputs, **kwargs):
        return self.forward(*inputs, **kwargs)

    def _save_for_backward(self, *values):
        object.__setattr__(self, "_cache", values)

    def _saved(self):
        """What forward() saved; a clear error if backward() comes first."""
        if self._cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() was called before forward(): "
                "run a forward pass first, backward uses what it saved"
            )
        return self._cache

    # -- display ------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not self._modules:
            return head + ")"
        lines = [head]
        for name, child in self._modules.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_repr}")
        return "\n".join(lines) + "\n)"


def can_skip_input_grad(module):
    """Whether ``module.backward`` takes ``needs_input_grad`` (see :meth:`Module.backward`)."""
    kind = type(module)
    if kind not in _SKIPS_INPUT_GRAD:
        parameters = inspect.signature(kind.backward).parameters
        _SKIPS_INPUT_GRAD[kind] = "needs_input_grad" in parameters
    return _SKIPS_INPUT_GRAD[kind]


_SKIPS_INPUT_GRAD = {}
