"""Chaining layers, as ``torch.nn.Sequential``."""

from dlcourse.nn.module import Module, can_skip_input_grad


class Sequential(Module):
    """y = f_n(... f_2(f_1(x))); backward runs the layers in reverse:
    dL/dx = J_1^T (J_2^T ( ... J_n^T dL/dy)).
    """

    def __init__(self, *layers):
        super().__init__()
        for index, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"Sequential takes Modules, got {type(layer).__name__} at position {index}"
                )
            setattr(self, str(index), layer)

    def append(self, layer):
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential takes Modules, got {type(layer).__name__}")
        setattr(self, str(len(self._modules)), layer)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        return layers[index]

    def forward(self, x):
        for layer in self._modules.values():
            x = layer(x)
        return x

    def backward(self, grad_output, needs_input_grad=True):
        """Each layer's backward, last to first; with ``needs_input_grad=False`` the
        first layer skips dL/dx when it can (then ``None`` is returned)."""
        layers = list(self._modules.values())
        for index in range(len(layers) - 1, -1, -1):
            layer = layers[index]
            if index == 0 and not needs_input_grad and can_skip_input_grad(layer):
                return layer.backward(grad_output, needs_input_grad=False)
            grad_output = layer.backward(grad_output)
        return grad_output
