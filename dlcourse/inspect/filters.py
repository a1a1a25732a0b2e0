"""Looking at what a CNN has learned directly: its filters and its feature maps.

Notes, "Ways to Visualize a CNN" (first approach). The filters of the *first*
convolutional layer act on pixels, so plotting each w[o, c] (kh × kw) as a
small image shows the pattern it responds to (edges, strokes, blobs). Deeper
filters act on earlier feature maps and are hard to read this way; for them
one looks at the feature maps instead: the activations a[n, k] (H_k × W_k) of
layer k for a given input, one map per channel.
"""

import numpy as np

from dlcourse.inspect._model import (
    as_batch, forward_to, inspecting, layer_index, layers_of, result_dtype,
)

__all__ = ["conv_layers", "conv_filters", "feature_maps"]


def conv_layers(model):
    """Indices of the model's convolutional layers (those with a 4-D ``weight``)."""
    return [
        index for index, layer in enumerate(layers_of(model))
        if getattr(getattr(layer, "weight", None), "data", np.empty(0)).ndim == 4
    ]


def conv_filters(model, layer=None):
    """A copy of the filters of a convolutional layer, shape (out, in, kh, kw).

    ``layer`` is the layer's index in the model; by default the first
    convolutional layer, the one whose filters are interpretable as images.
    """
    convs = conv_layers(model)
    if not convs:
        raise ValueError(f"{type(model).__name__} has no convolutional layer (no 4-D weight)")
    if layer is None:
        index = convs[0]
    else:
        index = layer_index(layers_of(model), layer)
        if index not in convs:
            raise ValueError(f"layer {layer} is not convolutional; convolutional layers are {convs}")
    return layers_of(model)[index].weight.data.copy()


def feature_maps(model, x, layer):
    """The output of ``model[layer]`` for input ``x``.

    x : (N, C, H, W) or one image (C, H, W). Returns the activation, e.g.
    (N, K, H_k, W_k) for a convolutional, ReLU or pooling layer (without the
    batch axis when one image was given), in the dtype of ``x``.
    """
    single = np.ndim(x) == 3
    batch = as_batch(np.asarray(x)[None] if single else x, model)
    layers = layers_of(model)
    with inspecting(model):
        maps = forward_to(layers, batch, layer_index(layers, layer))
    maps = maps.astype(result_dtype(x))
    return maps[0] if single else maps
