"""Looking inside a trained CNN (notes: "Ways to Visualize a CNN", "Deep Art",
"Fooling Deep CNNs"). One module per technique; each needs only the model's
``forward(x)`` and ``backward(dL/dy) -> dL/dx`` and returns arrays that
:mod:`dlcourse.viz.cnn` plots. The model's parameters, their gradients and its
train/eval mode are left as they were.
"""

from dlcourse.inspect.filters import conv_filters, conv_layers, feature_maps
from dlcourse.inspect.occlusion import occlusion_heatmap, occlusion_map
from dlcourse.inspect.saliency import saliency_map, score_gradient
from dlcourse.inspect.guided_backprop import guided_backprop, guided_relus
from dlcourse.inspect.class_visualization import class_visualization
from dlcourse.inspect.feature_inversion import invert_features, total_variation
from dlcourse.inspect.deep_dream import deep_dream
from dlcourse.inspect.style import (
    content_loss, gram_matrix, gram_matrix_backward, style_loss, style_transfer,
)
from dlcourse.inspect.adversarial import cross_entropy_gradient, fgsm, iterative_fgsm
