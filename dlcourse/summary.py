"""A table of a network's layers: output shapes and parameter counts, like torchinfo or Keras.

Chapter "Convolutional Neural Network" counts, layer by layer, the neurons
(the output values of one sample) and the parameters:

    Conv2d with K filters of F x F on C channels:  K·F·F·C weights + K biases,
    output  K x H_out x W_out  with  H_out = (H - F + 2P)/S + 1;
    pooling, ReLU, Flatten:  no parameters.

The notes count weights only (6 filters of 5x5 -> 150); the table shows weights,
biases (the parameters named ``bias``) and their sum, so both counts can be read.

``summary(model, input_shape)`` runs one forward pass on zeros, in evaluation
mode (batch norm then uses its running statistics and does not update them; the
modules' modes and the caches they keep for backward are restored afterwards),
and records the output shape of every sub-module as it is called.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["summary", "ModelSummary", "LayerRow"]


@dataclass
class LayerRow:
    """One line of the table. ``params`` counts the sub-tree of modules the row stands for."""

    name: str
    kind: str
    depth: int
    output_shape: tuple
    weights: int
    biases: int
    shows_children: bool

    @property
    def params(self):
        return self.weights + self.biases

    @property
    def neurons(self):
        """Output values per sample: the product of the output shape without the batch axis."""
        return int(np.prod(self.output_shape[1:])) if self.output_shape else 0


@dataclass
class ModelSummary:
    """What :func:`summary` returns; ``str()`` (or the notebook display) is the table."""

    model_name: str
    input_shape: tuple
    output_shape: tuple
    rows: list
    total_weights: int
    total_biases: int
    trainable_params: int

    @property
    def total_params(self):
        return self.total_weights + self.total_biases

    def __str__(self):
        header = ("Layer (type)", "Output shape", "Neurons", "Weights", "Biases", "Params")
        lines = []
        for row in self.rows:
            label = "  " * max(row.depth - 1, 0) + f"{row.name} ({row.kind})"
            counts = ["--"] * 3 if row.shows_children else [f"{row.weights:,}", f"{row.biases:,}", f"{row.params:,}"]
            lines.append((label, str(row.output_shape), f"{row.neurons:,}", *counts))
        widths = [max(len(line[k]) for line in [header, *lines]) for k in range(len(header))]

        def format_line(cells):
            first = cells[0].ljust(widths[0])
            return "  ".join([first, *(cell.rjust(width) for cell, width in zip(cells[1:], widths[1:]))])

        rule_width = len(format_line(header))
        text = [
            f"{self.model_name}: input {self.input_shape} -> output {self.output_shape}",
            "=" * rule_width, format_line(header), "=" * rule_width,
            *(format_line(line) for line in lines),
            "=" * rule_width,
            f"Total params: {self.total_params:,} "
            f"(weights {self.total_weights:,}, biases {self.total_biases:,})",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.total_params - self.trainable_params:,}",
        ]
        return "\n".join(text)

    def __repr__(self):
        return str(self)


def _named_modules(module, prefix=""):
    """(dotted name, module, depth) for the module and everything below it, in registration order."""
    yield prefix, module, prefix.count(".") + 1 if prefix else 0
    for name, child in module.named_children():
        yield from _named_modules(child, f"{prefix}.{name}" if prefix else name)


def _counts(module):
    """(weights, biases) of the module and its sub-modules; a parameter named ``bias`` is a bias."""
    weights = biases = 0
    for name, param in module.named_parameters():
        if name.rsplit(".", 1)[-1] == "bias":
            biases += param.data.size
        else:
            weights += param.data.size
    return weights, biases


def summary(model, input_shape, depth=3, dtype=None):
    """Run ``model`` on zeros of ``input_shape`` and tabulate its layers.

    Parameters
    ----------
    model : Module
    input_shape : tuple, the whole input shape *with* the batch axis, e.g. (1, 1, 32, 32).
    depth : int, how many levels of nested modules get their own rows; a deeper
        module's parameters are counted in the row of its shown ancestor.
    dtype : dtype of the zeros; by default that of the model's first parameter
        (float64 if it has none).

    Returns
    -------
    ModelSummary, whose ``str()`` is the table (shown directly in a notebook;
    ``print(summary(...))`` in a script). ``rows`` holds the numbers.
    """
    input_shape = tuple(int(n) for n in input_shape)
    if dtype is None:
        first = next(iter(model.parameters()), None)
        dtype = np.float64 if first is None else first.data.dtype
    modules = list(_named_modules(model))
    is_leaf_model = len(modules) == 1
    calls = []
    missing = object()
    saved = [(m, m.training, m.__dict__.get("_cache"), m.__dict__.get("forward", missing))
             for _, m, _ in modules]

    def recording(name, module, level):
        original = module.forward

        def forward(*args, **kwargs):
            index = len(calls)
            calls.append(None)                      # reserve the slot: parents come before children
            out = original(*args, **kwargs)
            calls[index] = (name, module, level, np.shape(out))
            return out

        return forward

    try:
        for name, module, level in modules:
            if level == 0 and not is_leaf_model:
                continue
            if level <= depth:
                object.__setattr__(module, "forward", recording(name or type(module).__name__, module, level))
        model.eval()
        output = model(np.zeros(input_shape, dtype=dtype))
    except (ValueError, TypeError) as error:
        if hasattr(error, "add_note"):   # Python >= 3.11
            error.add_note(f"summary() ran the model on zeros of shape {input_shape}; input_shape "
                           "includes the batch axis, e.g. (1, 1, 32, 32) for one 32x32 grey image")
        raise
    finally:
        for module, training, cache, own_forward in saved:
            if own_forward is missing:
                module.__dict__.pop("forward", None)
            else:
                object.__setattr__(module, "forward", own_forward)
            object.__setattr__(module, "training", training)
            object.__setattr__(module, "_cache", cache)

    rows = []
    for name, module, level, shape in calls:
        shows_children = level < depth and any(True for _ in module.named_children())
        rows.append(LayerRow(name, type(module).__name__, level, tuple(shape), *_counts(module),
                             shows_children))
    weights, biases = _counts(model)
    trainable = sum(p.data.size for p in model.parameters() if getattr(p, "requires_grad", True))
    return ModelSummary(type(model).__name__, input_shape, tuple(np.shape(output)), rows,
                        weights, biases, trainable)
