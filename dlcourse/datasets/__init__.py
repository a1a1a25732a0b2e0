"""Datasets of the course: the lecture notes' small tables, boolean truth
tables, 2-D toy problems and scikit-learn's handwritten digits.

Every loader returns NumPy arrays ``(X, y)`` (float64 features unless said
otherwise) and is deterministic: the random ones take ``rng``, a
``numpy.random.Generator`` or an integer seed.
"""

import itertools

import numpy as np

__all__ = [
    "insurance_by_age",
    "insurance_by_age_affordability",
    "house_prices",
    "line_points",
    "truth_table",
    "make_moons",
    "make_circles",
    "make_blobs",
    "make_spirals",
    "load_digits_split",
]


def _generator(rng):
    """A Generator from a Generator or a seed; refuses the hidden global state."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        raise ValueError(
            "pass rng= a numpy.random.Generator or an integer seed, so the data can be reproduced"
        )
    return np.random.default_rng(rng)


# ---------------------------------------------------------------------------
# The notes' tables (unit 1 notes on regression and derivatives)
# ---------------------------------------------------------------------------

_INSURANCE_AGE = [22, 25, 47, 52, 46, 56, 55, 60, 62, 61, 18, 28, 27, 29, 49]
_INSURANCE_BOUGHT = [0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1]

_AFFORD_TABLE = [  # age, affordability, have_insurance
    (22, 1, 0), (25, 0, 0), (47, 1, 1), (52, 0, 0), (46, 1, 1), (56, 1, 1), (55, 0, 0),
    (60, 0, 1), (62, 1, 1), (61, 1, 1), (18, 1, 0), (28, 1, 0), (27, 0, 0),
]

_HOUSES = [  # area (sq ft), bedrooms, price
    (1200, 2, 70), (1500, 3, 120), (2100, 4, 230), (1100, 3, 105), (1300, 2, 90), (900, 1, 55),
]

_LINE_X = [2, 3, 5, 7, 9]
_LINE_Y = [-0.5, 0, 1, 2, 3]


def insurance_by_age():
    """Who bought insurance, by age: 15 people.

    Source: unit 1 notes, "Regression" ("Given an age of person, produce a
    function that predict if person will buy insurance"), table
    AGE / HAVE_INSURANCE. The notes observe that thresholding a straight-line
    fit at 0.5 means "anyone with age above 42 will buy insurance", then fit
    a sigmoid instead.

    Returns ``age`` (15, 1) float64 and ``bought`` (15,) int64 in {0, 1}.
    """
    return (
        np.array(_INSURANCE_AGE, dtype=np.float64)[:, None],
        np.array(_INSURANCE_BOUGHT, dtype=np.int64),
    )


def insurance_by_age_affordability():
    """Insurance bought by age and affordability: 13 people.

    Source: unit 1 notes, "Application of derivative in the neural network"
    (table age / affordability / have_insurance, printed twice, the second
    time for the log-loss gradient-descent example). Affordability is 0/1.

    Returns ``X`` (13, 2) float64 with columns (age, affordability) and
    ``y`` (13,) int64.
    """
    table = np.array(_AFFORD_TABLE, dtype=np.float64)
    return table[:, :2], table[:, 2].astype(np.int64)


def house_prices():
    """House prices by area and number of bedrooms: 6 houses.

    Source: unit 1 notes, the backpropagation example
    "price = w1 * area + w2 * bedrooms + bias" (table Area / Bedrooms / Price).

    Returns ``X`` (6, 2) float64 with columns (area, bedrooms) and
    ``price`` (6,) float64.
    """
    table = np.array(_HOUSES, dtype=np.float64)
    return table[:, :2], table[:, 2]


def line_points():
    """Five points that lie exactly on y = 0.5·x − 1.5.

    Source: unit 1 notes, just before "Technique called Gradient Descent can
    help you find these parameters" (table x / y, then y = x * 0.5 − 1.5).

    Returns ``x`` (5, 1) float64 and ``y`` (5,) float64.
    """
    return np.array(_LINE_X, dtype=np.float64)[:, None], np.array(_LINE_Y, dtype=np.float64)


# ---------------------------------------------------------------------------
# Boolean functions
# ---------------------------------------------------------------------------

_BOOLEAN = {
    "and": lambda bits: bits.all(axis=1),
    "or": lambda bits: bits.any(axis=1),
    "nand": lambda bits: ~bits.all(axis=1),
    "nor": lambda bits: ~bits.any(axis=1),
    "xor": lambda bits: bits.sum(axis=1) % 2 == 1,
    "xnor": lambda bits: bits.sum(axis=1) % 2 == 0,
    "not": lambda bits: ~bits[:, 0],
}


def truth_table(name, encoding="binary", n_inputs=2):
    """Truth table of a boolean function, all 2^n input rows.

    ``name``: "and", "or", "nand", "nor", "xor" (odd parity for n > 2),
    "xnor" or "not" (one input). ``encoding``: "binary" writes False/True as
    0/1, "bipolar" as −1/+1 (the encoding of the perceptron-network
    construction in the notes). Rows come in ``itertools.product`` order:
    (F, F), (F, T), (T, F), (T, T) for two inputs.

    Returns ``X`` (2^n, n) float64 and ``y`` (2^n,) int64, both in the
    chosen encoding.
    """
    key = str(name).lower()
    if key not in _BOOLEAN:
        raise ValueError(f"unknown boolean function {name!r}; choose from {sorted(_BOOLEAN)}")
    if encoding not in ("binary", "bipolar"):
        raise ValueError(f"encoding must be 'binary' or 'bipolar', got {encoding!r}")
    if key == "not":
        if n_inputs not in (1, 2):
            raise ValueError(f"'not' takes one input, got n_inputs={n_inputs}")
        n_inputs = 1
    if n_inputs < 1:
        raise ValueError(f"n_inputs must be at least 1, got {n_inputs}")
    bits = np.array(list(itertools.product((False, True), repeat=n_inputs)))
    out = _BOOLEAN[key](bits)
    if encoding == "binary":
        return bits.astype(np.float64), out.astype(np.int64)
    return np.where(bits, 1.0, -1.0), np.where(out, 1, -1).astype(np.int64)


# ---------------------------------------------------------------------------
# 2-D toy problems (written with NumPy; same geometry as scikit-learn's)
# ---------------------------------------------------------------------------


def _split_counts(n_samples, n_classes):
    if n_samples < n_classes:
        raise ValueError(f"n_samples={n_samples} is smaller than the {n_classes} classes")
    counts = np.full(n_classes, n_samples // n_classes)
    counts[: n_samples % n_classes] += 1
    return counts


def _two_counts(n_samples):
    """Class 0 gets N // 2 points and class 1 the rest, as scikit-learn."""
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2, got {n_samples}")
    return n_samples // 2, n_samples - n_samples // 2


def _finish(X, y, noise, rng, shuffle):
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    if noise:
        X = X + rng.normal(scale=noise, size=X.shape)
    if shuffle:
        order = rng.permutation(len(X))
        X, y = X[order], y[order]
    return X, y


def make_moons(n_samples=100, noise=0.0, rng=0, shuffle=True):
    """Two interleaving half circles: class 0 on the upper arc
    (cos t, sin t), class 1 on the lower arc (1 − cos t, 0.5 − sin t),
    t in [0, π], plus Gaussian noise of standard deviation ``noise``.

    Returns ``X`` (n_samples, 2) float64, ``y`` (n_samples,) int64.
    """
    rng = _generator(rng)
    n0, n1 = _two_counts(n_samples)
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    X = np.concatenate([
        np.stack([np.cos(t0), np.sin(t0)], axis=1),
        np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1),
    ])
    y = np.repeat([0, 1], [n0, n1]).astype(np.int64)
    return _finish(X, y, noise, rng, shuffle)


def make_circles(n_samples=100, factor=0.8, noise=0.0, rng=0, shuffle=True):
    """Two concentric circles: class 0 on the unit circle, class 1 on the
    circle of radius ``factor`` (0 < factor < 1), plus Gaussian noise.

    Returns ``X`` (n_samples, 2) float64, ``y`` (n_samples,) int64.
    """
    if not 0 < factor < 1:
        raise ValueError(f"factor must be strictly between 0 and 1, got {factor}")
    rng = _generator(rng)
    n0, n1 = _two_counts(n_samples)
    t0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
    X = np.concatenate([
        np.stack([np.cos(t0), np.sin(t0)], axis=1),
        factor * np.stack([np.cos(t1), np.sin(t1)], axis=1),
    ])
    y = np.repeat([0, 1], [n0, n1]).astype(np.int64)
    return _finish(X, y, noise, rng, shuffle)


def make_blobs(n_samples=100, centers=3, cluster_std=1.0, n_features=2, center_box=(-10.0, 10.0),
               rng=0, shuffle=True):
    """Isotropic Gaussian clusters.

    ``centers``: an int (that many centres drawn uniformly in ``center_box``)
    or an array (k, n_features) of centres. Points of class k are
    centre_k + cluster_std · N(0, I).

    Returns ``X`` (n_samples, n_features) float64, ``y`` (n_samples,) int64.
    """
    rng = _generator(rng)
    if np.isscalar(centers):
        centers = rng.uniform(center_box[0], center_box[1], size=(int(centers), n_features))
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2:
        raise ValueError(f"centers must be an int or a (k, n_features) array, got shape {centers.shape}")
    counts = _split_counts(n_samples, len(centers))
    y = np.repeat(np.arange(len(centers)), counts).astype(np.int64)
    X = centers[y] + rng.normal(scale=cluster_std, size=(n_samples, centers.shape[1]))
    return _finish(X, y, 0.0, rng, shuffle)


def make_spirals(n_samples=300, n_classes=2, turns=1.5, noise=0.0, rng=0, shuffle=True):
    """Interleaved spiral arms, one per class (the classic "swiss roll" toy
    problem that no linear model separates).

    Arm k is r·(cos φ, sin φ) with r = s and φ = 2π·turns·s + 2πk/n_classes
    for s in [0.05, 1], plus Gaussian noise of standard deviation ``noise``.

    Returns ``X`` (n_samples, 2) float64, ``y`` (n_samples,) int64.
    """
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    rng = _generator(rng)
    counts = _split_counts(n_samples, n_classes)
    y = np.repeat(np.arange(n_classes), counts).astype(np.int64)
    s = np.concatenate([np.linspace(0.05, 1.0, c) for c in counts])
    phi = 2 * np.pi * turns * s + 2 * np.pi * y / n_classes
    X = np.stack([s * np.cos(phi), s * np.sin(phi)], axis=1)
    return _finish(X, y, noise, rng, shuffle)


# ---------------------------------------------------------------------------
# Handwritten digits
# ---------------------------------------------------------------------------


def load_digits_split(test_size=0.25, seed=0, flat=False, dtype=np.float64):
    """scikit-learn's 8×8 handwritten digits (1797 images, 10 classes, from
    the UCI "Optical Recognition of Handwritten Digits" set), split into
    train and test sets stratified by class.

    Pixel values 0..16 are scaled to [0, 1]. ``flat=False`` gives images
    shaped (N, 1, 8, 8) for convolutional networks (channels first, as
    PyTorch); ``flat=True`` gives (N, 64).

    Returns ``X_train, X_test, y_train, y_test`` with int64 labels.
    """
    from sklearn.datasets import load_digits

    from dlcourse.resampling import train_test_split

    digits = load_digits()
    X = (digits.data / 16.0).astype(dtype)
    y = digits.target.astype(np.int64)
    if not flat:
        X = X.reshape(-1, 1, 8, 8)
    return train_test_split(X, y, test_size=test_size, rng=seed, stratify=y)
