import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from dlcourse import inspect as ins  # noqa: E402
from dlcourse import nn  # noqa: E402
from dlcourse.datasets import load_digits_split  # noqa: E402
from dlcourse.inspect._image import gaussian_blur  # noqa: E402
from dlcourse.models import accuracy, train_digits_cnn  # noqa: E402
from dlcourse.viz import plot_feature_maps, plot_filters, plot_heatmap, plot_images  # noqa: E402
from tests.test_models import to_torch  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    return load_digits_split(seed=0)


@pytest.fixture(scope="module")
def trained(digits):
    model, _, test_accuracy = train_digits_cnn(epochs=10, seed=0, progress=False, data=digits)
    assert test_accuracy > 0.95
    model.zero_grad()   # every technique must leave the parameters' gradients as they are
    return model


def small_cnn(seed=0, in_channels=2):
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(in_channels, 3, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3 * 2 * 2, 4, rng=rng),
    )


def numerical_gradient(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        grad[index] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


def assert_untouched(model, modes):
    assert all(p.grad is None for p in model.parameters())
    assert [m.training for m in model.modules()] == modes


# -- saliency and guided backprop --------------------------------------------


def test_saliency_equals_numerical_gradient_max_over_channels():
    model = small_cnn()
    x = np.random.default_rng(1).uniform(0, 1, (2, 2, 4, 4))
    target = np.array([1, 3])
    numeric = np.stack([
        numerical_gradient(lambda z: model.forward(z[None])[0, c], x[n]) for n, c in enumerate(target)
    ])
    np.testing.assert_allclose(ins.score_gradient(model, x, target), numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ins.saliency_map(model, x, target), np.abs(numeric).max(axis=1),
                               rtol=1e-6, atol=1e-8)


def test_saliency_matches_torch_on_the_trained_model(trained, digits):
    x, y = digits[1][:6], digits[3][:6]
    modes = [m.training for m in trained.modules()]
    ours = ins.saliency_map(trained, x, y)
    xt = torch.tensor(x, requires_grad=True)
    to_torch(trained)(xt).gather(1, torch.from_numpy(y)[:, None]).sum().backward()
    np.testing.assert_allclose(ours, xt.grad.abs().amax(dim=1).numpy(), rtol=1e-9, atol=1e-12)
    assert ours.shape == (6, 8, 8) and ours.min() >= 0
    assert_untouched(trained, modes)


def test_saliency_keeps_float32():
    model = small_cnn()
    x = np.random.default_rng(1).uniform(0, 1, (1, 2, 4, 4)).astype(np.float32)
    assert ins.saliency_map(model, x, 0).dtype == np.float32


def positive_network(seed=0):
    """Positive weights and biases: for a positive input every ReLU input and
    every gradient reaching a ReLU is positive."""
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, rng=rng), nn.ReLU(), nn.Flatten(),
                          nn.Linear(8, 5, rng=rng), nn.ReLU(), nn.Linear(5, 3, rng=rng))
    for p in model.parameters():
        p.data = np.abs(p.data) + 0.05
    return model


def test_guided_backprop_equals_backprop_when_everything_is_positive():
    model = positive_network()
    x = np.random.default_rng(2).uniform(0.1, 1, (3, 1, 4, 4))
    np.testing.assert_allclose(ins.guided_backprop(model, x, [0, 1, 2]),
                               ins.score_gradient(model, x, [0, 1, 2]), rtol=1e-12)


def test_guided_backprop_blocks_negative_gradients():
    rng = np.random.default_rng(3)
    first, second = nn.Linear(4, 6, rng=rng), nn.Linear(6, 2, rng=rng)
    model = nn.Sequential(first, nn.ReLU(), second)
    x = rng.standard_normal((1, 4))
    # by hand: dS/dh = w2[c], guided ReLU keeps it where z > 0 and dS/dh > 0
    z = x @ first.weight.data.T + first.bias.data
    w2 = second.weight.data[1]
    expected = (w2 * (z[0] > 0) * (w2 > 0)) @ first.weight.data
    with ins.guided_relus(model):
        model.forward(x)
        guided = model.backward(np.array([[0.0, 1.0]]))
    np.testing.assert_allclose(guided[0], expected, rtol=1e-12)
    model.forward(x)
    plain = model.backward(np.array([[0.0, 1.0]]))
    np.testing.assert_allclose(plain[0], (w2 * (z[0] > 0)) @ first.weight.data, rtol=1e-12)
    assert not np.allclose(guided, plain)


def test_guided_relus_restores_the_model_even_after_an_error(trained, digits):
    relus = [m for m in trained.modules() if isinstance(m, nn.ReLU)]
    x, y = digits[1][:4], digits[3][:4]
    plain = ins.score_gradient(trained, x, y)
    with pytest.raises(RuntimeError, match="boom"):
        with ins.guided_relus(trained):
            assert all("backward" in relu.__dict__ for relu in relus)
            raise RuntimeError("boom")
    guided = ins.guided_backprop(trained, x, y)
    assert all("backward" not in relu.__dict__ for relu in relus)
    assert all(type(relu).backward is nn.ReLU.backward for relu in relus)
    np.testing.assert_array_equal(ins.score_gradient(trained, x, y), plain)
    assert not np.allclose(guided, plain)
    assert guided.shape == x.shape


def test_guided_relus_restores_a_relu_used_twice():
    rng = np.random.default_rng(4)
    relu = nn.ReLU()
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, rng=rng), relu,
                          nn.Conv2d(2, 2, 3, padding=1, rng=rng), relu,
                          nn.Flatten(), nn.Linear(32, 3, rng=rng))
    x = rng.uniform(0, 1, (2, 1, 4, 4))
    plain = ins.score_gradient(model, x, 1)
    guided = ins.guided_backprop(model, x, 1)
    assert "backward" not in relu.__dict__
    np.testing.assert_array_equal(ins.score_gradient(model, x, 1), plain)
    assert np.all(guided[plain == 0] == 0)


# -- filters, feature maps, occlusion ----------------------------------------


def test_filters_and_feature_maps(trained, digits):
    weights = ins.conv_filters(trained)
    assert weights.shape == (16, 1, 3, 3)
    weights[...] = 0   # a copy: the model is unchanged
    assert np.abs(trained[0].weight.data).sum() > 0
    assert ins.conv_layers(trained) == [0, 3]
    assert ins.conv_filters(trained, 3).shape == (32, 16, 3, 3)
    x = digits[1][:3]
    maps = ins.feature_maps(trained, x, 1)
    np.testing.assert_allclose(maps, np.maximum(trained[0].forward(x), 0))
    assert ins.feature_maps(trained, x[0], 5).shape == (32, 2, 2)
    assert ins.feature_maps(trained, x, -1).shape == (3, 10)
    with pytest.raises(ValueError, match="layer 1 is not convolutional.*\\[0, 3\\]"):
        ins.conv_filters(trained, 1)
    with pytest.raises(IndexError, match="layer 12 is out of range.*10 layers"):
        ins.feature_maps(trained, x, 12)


def region_model():
    """Class 0's score is 4 × (sum of the pixels in rows 3-4, columns 1-2) of a 6×6 image."""
    linear = nn.Linear(36, 2)
    weight = np.zeros((2, 6, 6))
    weight[0, 3:5, 1:3] = 4.0
    linear.weight.data = weight.reshape(2, 36)
    linear.bias.data = np.array([0.0, 2.0])
    return nn.Sequential(nn.Flatten(), linear)


def test_occlusion_peaks_where_the_informative_pixels_are():
    model = region_model()
    image = np.full((1, 6, 6), 0.5)
    image[0, 3:5, 1:3] = 1.0
    drop = ins.occlusion_map(model, image, 0, patch_size=2, stride=1)
    assert drop.shape == (5, 5)
    assert np.unravel_index(np.argmax(drop), drop.shape) == (3, 1)
    assert drop[0, 4] == pytest.approx(0.0)            # far from the region: no effect
    heat = ins.occlusion_heatmap(drop, image.shape, patch_size=2, stride=1)
    assert heat.shape == (6, 6)
    assert set(zip(*np.nonzero(heat == heat.max()))) <= {(3, 1), (3, 2), (4, 1), (4, 2)}
    assert ins.occlusion_map(model, image, 0, patch_size=2, stride=2).shape == (3, 3)
    assert ins.occlusion_map(model, image, 0, patch_size=3, stride=2).shape == (2, 2)


def test_occlusion_batch_equals_one_image_at_a_time(trained, digits):
    image, label = digits[1][5], digits[3][5]
    drop = ins.occlusion_map(trained, image, label, patch_size=3, stride=2, fill=0.25, batch_size=4)

    def prob(x):
        scores = trained.forward(x[None])[0]
        e = np.exp(scores - scores.max())
        return e[label] / e.sum()

    expected = np.empty((3, 3))
    for u, top in enumerate(range(0, 6, 2)):
        for v, left in enumerate(range(0, 6, 2)):
            occluded = image.copy()
            occluded[:, top:top + 3, left:left + 3] = 0.25
            expected[u, v] = prob(image) - prob(occluded)
    np.testing.assert_allclose(drop, expected, rtol=1e-10, atol=1e-12)


def test_occlusion_rejects_bad_arguments():
    model = region_model()
    with pytest.raises(ValueError, match="patch_size must be an int in \\[1, 6\\]"):
        ins.occlusion_map(model, np.zeros((1, 6, 6)), 0, patch_size=7)
    with pytest.raises(ValueError, match="target must be a class in \\[0, 2\\)"):
        ins.occlusion_map(model, np.zeros((1, 6, 6)), 5)
    with pytest.raises(ValueError, match="image must have shape \\(C, H, W\\)"):
        ins.occlusion_map(model, np.zeros((6, 6)), 0)


# -- optimising the input ----------------------------------------------------


def test_class_visualization_raises_the_class_score(trained):
    modes = [m.training for m in trained.modules()]
    image, scores = ins.class_visualization(trained, 3, (1, 8, 8), steps=60, rng=0)
    assert image.shape == (1, 8, 8) and 0 <= image.min() and image.max() <= 1
    assert scores.shape == (61,)
    assert scores[-1] > scores[0] + 5
    assert np.mean(np.diff(scores) > 0) > 0.9                  # monotonic-ish
    assert trained.forward(image[None]).argmax() == 3
    blurred, blurred_scores = ins.class_visualization(trained, 7, (1, 8, 8), steps=60,
                                                      blur_every=5, max_jitter=1, rng=1)
    assert blurred_scores[-1] > blurred_scores[0]
    assert_untouched(trained, modes)


def test_class_visualization_of_a_hidden_unit(trained):
    image, scores = ins.class_visualization(trained, 5, (1, 8, 8), steps=30, layer=4, rng=0)
    assert scores[-1] > scores[0]
    assert scores[-1] == pytest.approx(ins.feature_maps(trained, image, 4)[5].sum())


def test_class_visualization_is_seeded(trained):
    a = ins.class_visualization(trained, 2, (1, 8, 8), steps=5, max_jitter=1, rng=4)[0]
    b = ins.class_visualization(trained, 2, (1, 8, 8), steps=5, max_jitter=1,
                                rng=np.random.default_rng(4))[0]
    np.testing.assert_array_equal(a, b)


def test_deep_dream_increases_the_activation(trained, digits):
    image = digits[1][0]
    dreamed, objectives = ins.deep_dream(trained, image, layer=4, steps=15, lr=0.02)
    assert objectives[-1] > 1.2 * objectives[0]
    h0 = ins.feature_maps(trained, image, 4)
    h1 = ins.feature_maps(trained, dreamed, 4)
    assert 0.5 * np.sum(h1**2) == pytest.approx(objectives[-1])
    assert np.sum(h1**2) > np.sum(h0**2)
    _, unit_objectives = ins.deep_dream(trained, image, layer=1, unit=5, steps=10, max_jitter=1, rng=0)
    assert unit_objectives[-1] > unit_objectives[0]
    with pytest.raises(ValueError, match="unit must be a channel in \\[0, 32\\)"):
        ins.deep_dream(trained, image, layer=4, unit=40)


def test_feature_inversion_lowers_its_loss(trained, digits):
    image = digits[1][1]
    reconstruction, losses = ins.invert_features(trained, image, layer=4, steps=100, rng=0)
    assert reconstruction.shape == image.shape
    assert losses[-1] < 0.05 * losses[0]
    target = ins.feature_maps(trained, image, 4)
    start = 0.5 + 0.1 * np.random.default_rng(0).standard_normal(image.shape)
    assert np.sum((ins.feature_maps(trained, reconstruction, 4) - target) ** 2) < \
        np.sum((ins.feature_maps(trained, np.clip(start, 0, 1), 4) - target) ** 2)


def test_total_variation_and_its_gradient():
    x = np.random.default_rng(5).standard_normal((2, 3, 4))
    tv, grad = ins.total_variation(x)
    down, right = x[:, 1:] - x[:, :-1], x[:, :, 1:] - x[:, :, :-1]
    assert tv == pytest.approx(np.sum(down**2) + np.sum(right**2))
    np.testing.assert_allclose(grad, numerical_gradient(lambda z: ins.total_variation(z)[0], x), rtol=1e-6)
    assert ins.total_variation(np.ones((5, 5)))[0] == 0


def test_gaussian_blur_keeps_constants_and_dtype():
    flat = np.full((1, 1, 5, 5), 0.3, dtype=np.float32)
    blurred = gaussian_blur(flat, 1.0)
    assert blurred.dtype == np.float32
    np.testing.assert_allclose(blurred, flat, rtol=1e-6)
    spike = np.zeros((11, 11))
    spike[5, 5] = 1.0                      # far enough from the border to keep all its mass
    smooth = gaussian_blur(spike, 0.8)
    assert smooth.sum() == pytest.approx(1.0) and smooth[5, 5] < 1.0
    one_d = np.exp(-np.arange(-3, 4) ** 2 / (2 * 0.8**2))
    np.testing.assert_allclose(smooth[2:9, 5], one_d * one_d[3] / one_d.sum() ** 2)
    np.testing.assert_allclose(smooth, smooth.T)


# -- style -------------------------------------------------------------------


@pytest.mark.parametrize("normalize", [True, False])
def test_gram_matrix_and_its_backward(normalize):
    rng = np.random.default_rng(6)
    features = rng.standard_normal((2, 3, 2, 3))
    weights = rng.standard_normal((2, 3, 3))
    gram = ins.gram_matrix(features, normalize)
    flat = features.reshape(2, 3, 6)
    k = 3 * 2 * 3 if normalize else 1
    np.testing.assert_allclose(gram, np.einsum("ncm,ndm->ncd", flat, flat) / k)
    numeric = numerical_gradient(lambda f: np.sum(weights * ins.gram_matrix(f, normalize)), features)
    np.testing.assert_allclose(ins.gram_matrix_backward(weights, features, normalize), numeric, rtol=1e-6)

    ft = torch.tensor(features, requires_grad=True)
    gt = ft.flatten(2) @ ft.flatten(2).transpose(1, 2) / k
    (gt * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(gram, gt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ins.gram_matrix_backward(weights, features, normalize), ft.grad.numpy(),
                               rtol=1e-12)


@pytest.mark.parametrize("normalize", [True, False])
def test_style_loss_gradient_matches_numeric_and_torch(normalize):
    rng = np.random.default_rng(7)
    features = rng.standard_normal((1, 4, 3, 3))
    target_gram = ins.gram_matrix(rng.standard_normal((1, 4, 3, 3)), normalize)[0]
    loss, grad = ins.style_loss(features, target_gram, normalize)
    numeric = numerical_gradient(lambda f: ins.style_loss(f, target_gram, normalize)[0], features)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-10)

    k = 4 * 3 * 3 if normalize else 1
    ft = torch.tensor(features, requires_grad=True)
    gram = ft.flatten(2) @ ft.flatten(2).transpose(1, 2) / k
    loss_t = ((gram - torch.from_numpy(target_gram)) ** 2).sum()
    loss_t.backward()
    assert loss == pytest.approx(loss_t.item(), rel=1e-12)
    np.testing.assert_allclose(grad, ft.grad.numpy(), rtol=1e-10)


def test_content_loss_matches_torch():
    rng = np.random.default_rng(8)
    features, target = rng.standard_normal((2, 3, 4, 4)), rng.standard_normal((2, 3, 4, 4))
    loss, grad = ins.content_loss(features, target)
    ft = torch.tensor(features, requires_grad=True)
    loss_t = torch.nn.functional.mse_loss(ft, torch.from_numpy(target), reduction="sum")
    loss_t.backward()
    assert loss == pytest.approx(loss_t.item())
    np.testing.assert_allclose(grad, ft.grad.numpy())
    with pytest.raises(ValueError, match="same shape"):
        ins.content_loss(features, target[:1])


def test_style_transfer_lowers_the_total_loss(trained, digits):
    content, style = digits[1][0], digits[1][1]
    image, losses = ins.style_transfer(trained, content, style, content_layers=[4], style_layers=[1, 4],
                                       steps=40, tv_weight=1e-3)
    assert image.shape == content.shape and 0 <= image.min() and image.max() <= 1
    assert losses[-1] < 0.5 * losses[0]
    with pytest.raises(ValueError, match="init must be 'content', 'noise' or an image"):
        ins.style_transfer(trained, content, style, [4], [1], init="zeros")


# -- adversarial examples ----------------------------------------------------


def test_fgsm_matches_torch_and_raises_the_loss(trained, digits):
    x, y = digits[1][:100], digits[3][:100]
    eps = 0.1
    adversarial = ins.fgsm(trained, x, y, eps)
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.cross_entropy(to_torch(trained)(xt), torch.from_numpy(y)).backward()
    expected = np.clip(x + eps * np.sign(xt.grad.numpy()), 0, 1)
    np.testing.assert_allclose(adversarial, expected, rtol=0, atol=1e-15)

    loss_before = ins.cross_entropy_gradient(trained, x, y)[0]
    loss_after = ins.cross_entropy_gradient(trained, adversarial, y)[0]
    assert loss_after > 2 * loss_before
    assert np.abs(adversarial - x).max() <= eps + 1e-12
    assert adversarial.min() >= 0 and adversarial.max() <= 1


def test_fgsm_flips_a_correct_prediction(trained, digits):
    x, y = digits[1], digits[3]
    correct = trained.forward(x).argmax(axis=1) == y
    adversarial = ins.fgsm(trained, x[correct], y[correct], 0.15)
    flipped = trained.forward(adversarial).argmax(axis=1) != y[correct]
    assert flipped.mean() > 0.3
    assert accuracy(trained, adversarial, y[correct]) < 0.7


def test_iterative_fgsm_is_at_least_as_strong(trained, digits):
    x, y = digits[1][:200], digits[3][:200]
    eps = 0.1
    one_step = ins.fgsm(trained, x, y, eps)
    iterated = ins.iterative_fgsm(trained, x, y, eps, steps=10)
    assert np.abs(iterated - x).max() <= eps + 1e-12
    assert iterated.min() >= 0 and iterated.max() <= 1
    assert accuracy(trained, iterated, y) <= accuracy(trained, one_step, y)
    def loss(images):
        return ins.cross_entropy_gradient(trained, images, y)[0]

    assert loss(iterated) >= loss(one_step)
    pgd = ins.iterative_fgsm(trained, x, y, eps, steps=10, random_start=True, rng=0)
    assert np.abs(pgd - x).max() <= eps + 1e-12 and accuracy(trained, pgd, y) < accuracy(trained, x, y)


def test_targeted_attack_moves_towards_the_target(trained, digits):
    x = digits[1][:50]
    target = np.full(50, 8)
    fooled = ins.iterative_fgsm(trained, x, target, 0.2, steps=20, targeted=True)
    def share_of_eights(images):
        return np.mean(trained.forward(images).argmax(axis=1) == 8)

    assert share_of_eights(fooled) > share_of_eights(x) + 0.3


def test_adversarial_arguments_are_checked(trained, digits):
    x, y = digits[1][:2], digits[3][:2]
    with pytest.raises(ValueError, match="epsilon must be a finite number >= 0, got -0.1"):
        ins.fgsm(trained, x, y, -0.1)
    with pytest.raises(ValueError, match="labels must be integers in \\[0, 10\\)"):
        ins.fgsm(trained, x, np.array([3, 12]), 0.1)
    with pytest.raises(ValueError, match="x must have shape \\(N, C, H, W\\), got shape \\(1, 8, 8\\)"):
        ins.fgsm(trained, x[0], y[:1], 0.1)


# -- plots -------------------------------------------------------------------


def test_plots_return_their_figure_or_axes(trained, digits):
    fig = plot_filters(ins.conv_filters(trained))
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 16
    fig = plot_feature_maps(ins.feature_maps(trained, digits[1][:1], 1))
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 16
    image = digits[1][0]
    drop = ins.occlusion_map(trained, image, digits[3][0])
    ax = plot_heatmap(image, drop)
    assert len(ax.images) == 2
    fig = plot_images(np.stack([image, ins.fgsm(trained, image[None], digits[3][:1], 0.1)[0]]),
                      titles=["original", "FGSM"])
    assert [ax.get_title() for ax in fig.axes] == ["original", "FGSM"]
    from dlcourse.viz._figure import new_axes
    given = new_axes()
    saliency = ins.saliency_map(trained, image[None], 0)[0]
    assert plot_heatmap(image, saliency, ax=given, colorbar=False) is given
    with pytest.raises(ValueError, match="weight must have shape \\(out, in, kh, kw\\)"):
        plot_filters(np.zeros((3, 3)))
