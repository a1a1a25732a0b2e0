"""The first artificial neurons: McCulloch–Pitts units, the perceptron and
networks of perceptrons that compute any boolean function (chapter 1).

McCulloch–Pitts unit (1943), inputs and output in {0, 1}::

    y = 0                          if any inhibitory input is 1
    y = 1 if sum(excitatory) >= θ, else 0

Perceptron (Rosenblatt 1958), with the bias folded into the weights
(x0 = 1, w0 = −θ)::

    y = 1 if w · x = w0 + Σ_i w_i x_i >= 0, else 0

Both rules use ``>=`` as in the lecture slides; one of the handwritten notes
writes ``> 0``, which only matters for points exactly on the boundary.
"""

import itertools

import numpy as np

__all__ = [
    "step",
    "McCullochPitts",
    "and_unit",
    "or_unit",
    "not_unit",
    "nor_unit",
    "Perceptron",
    "PerceptronNetwork",
    "boolean_function_network",
    "xor_network",
]


def step(z):
    """Heaviside step of the notes: 1 where z >= 0, else 0 (integer array)."""
    return (np.asarray(z) >= 0).astype(np.int64)


def _as_boolean_inputs(x, n_inputs, who):
    x = np.asarray(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"{who}: inputs must be (n_inputs,) or (N, n_inputs), got shape {x.shape}")
    if x.shape[-1] != n_inputs:
        raise ValueError(f"{who}: expects {n_inputs} inputs, got shape {x.shape}")
    if not np.isin(x, (0, 1)).all():
        bad = x[~np.isin(x, (0, 1))].ravel()[0]
        raise ValueError(f"{who}: inputs must be boolean (0/1 or False/True), got {bad!r}")
    return x.astype(np.int64)


class McCullochPitts:
    """A McCulloch–Pitts unit with ``n_inputs`` boolean inputs.

    ``inhibitory`` lists the positions of the inhibitory inputs; all others
    are excitatory. The unit outputs 0 as soon as one inhibitory input is 1,
    otherwise 1 iff the sum of the excitatory inputs is at least ``threshold``.

    Call it on ``x`` of shape ``(n_inputs,)`` (returns a 0-d int array) or
    ``(N, n_inputs)`` (returns shape ``(N,)``).
    """

    def __init__(self, threshold, n_inputs, inhibitory=()):
        if n_inputs < 1:
            raise ValueError(f"n_inputs must be at least 1, got {n_inputs}")
        inhibitory = tuple(int(i) for i in inhibitory)
        for i in inhibitory:
            if not 0 <= i < n_inputs:
                raise ValueError(
                    f"inhibitory input index {i} is out of range for {n_inputs} inputs"
                )
        self.threshold = threshold
        self.n_inputs = int(n_inputs)
        self.inhibitory = inhibitory
        self.excitatory = tuple(i for i in range(n_inputs) if i not in inhibitory)

    def __call__(self, x):
        x = _as_boolean_inputs(x, self.n_inputs, "McCullochPitts")
        g = x[..., list(self.excitatory)].sum(axis=-1)
        inhibited = x[..., list(self.inhibitory)].any(axis=-1)
        return np.where(inhibited, 0, (g >= self.threshold).astype(np.int64))

    def __repr__(self):
        return (
            f"McCullochPitts(threshold={self.threshold}, n_inputs={self.n_inputs}, "
            f"inhibitory={self.inhibitory})"
        )


def and_unit(n_inputs=2):
    """AND: fires only when all ``n_inputs`` excitatory inputs are on (θ = n)."""
    return McCullochPitts(threshold=n_inputs, n_inputs=n_inputs)


def or_unit(n_inputs=2):
    """OR: fires when at least one excitatory input is on (θ = 1)."""
    return McCullochPitts(threshold=1, n_inputs=n_inputs)


def not_unit():
    """NOT: one inhibitory input and θ = 0, so it fires unless the input is on."""
    return McCullochPitts(threshold=0, n_inputs=1, inhibitory=(0,))


def nor_unit(n_inputs=2):
    """NOR: every input inhibitory and θ = 0, so it fires only when all are off."""
    return McCullochPitts(threshold=0, n_inputs=n_inputs, inhibitory=range(n_inputs))


# ---------------------------------------------------------------------------
# Perceptron
# ---------------------------------------------------------------------------

_ENCODINGS = {"binary": (0, 1), "bipolar": (-1, 1)}


def _as_float(X):
    """Floating array, keeping float32/float64 as given (ints become float64)."""
    X = np.asarray(X)
    return X if np.issubdtype(X.dtype, np.floating) else X.astype(np.float64)


def _augment(X):
    """Prepend the constant input x0 = 1: (N, d) -> (N, d + 1)."""
    return np.concatenate([np.ones((X.shape[0], 1), dtype=X.dtype), X], axis=1)


def _check_lr(lr):
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    return lr


def _check_epochs(epochs):
    if not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs!r}")
    return int(epochs)


class Perceptron:
    """Rosenblatt's perceptron with the bias as w0 = −θ on a constant input x0 = 1.

    ``predict``: ŷ = 1 if w0 + Σ w_i x_i >= 0 else 0 (or −1 in the bipolar
    encoding). ``weights`` has shape ``(d + 1,)``, ``weights[0]`` being w0.

    Perceptron learning rule, one sample at a time, for ``epochs`` passes::

        w <- w + lr · (t − ŷ) · x        (x augmented with x0 = 1)

    with target t and prediction ŷ in {0, 1}. A correct prediction changes
    nothing; a missed positive adds lr·x, a false alarm subtracts lr·x. With
    labels in {−1, +1} (``labels="bipolar"``) this is the same update written
    as ``w <- w + lr · y · x`` on every mistake: labels are mapped to {0, 1}
    internally, so both encodings learn the same weights.

    ``labels`` is "binary" ({0, 1}), "bipolar" ({−1, +1}) or "auto" (decided
    from ``y`` at ``fit``); ``predict`` answers in the same encoding.
    Training stops after the first epoch without a mistake (``converged_``
    is then True). ``errors_[e]`` counts the mistakes made during epoch e.

    ``rng`` (a ``numpy.random.Generator`` or a seed) draws small random initial
    weights and shuffles the samples every epoch; without it, weights start
    at zero and samples are visited in order, so training is deterministic.
    """

    def __init__(self, lr=1.0, epochs=100, labels="auto", rng=None):
        if labels not in ("auto", *_ENCODINGS):
            raise ValueError(f"labels must be 'auto', 'binary' or 'bipolar', got {labels!r}")
        self.lr = _check_lr(lr)
        self.epochs = _check_epochs(epochs)
        self.labels = labels
        self.rng = rng if rng is None or isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.weights = None

    # -- encoding ---------------------------------------------------------
    def _to_binary(self, y):
        y = np.asarray(y)
        values = set(np.unique(y).tolist())
        encoding = self.labels
        if encoding == "auto":
            encoding = "bipolar" if -1 in values else "binary"
        allowed = _ENCODINGS[encoding]
        if not values <= set(allowed):
            raise ValueError(
                f"Perceptron with {encoding} labels expects targets in {allowed}, "
                f"got values {sorted(values)}"
            )
        self.encoding_ = encoding
        return (y == allowed[1]).astype(np.int64)

    # -- learning ---------------------------------------------------------
    def fit(self, X, y, epochs=None, lr=None):
        """Run the perceptron learning rule on ``X`` (N, d) and targets ``y`` (N,).

        ``epochs`` and ``lr`` override the values given to the constructor.
        """
        if epochs is not None:
            self.epochs = _check_epochs(epochs)
        if lr is not None:
            self.lr = _check_lr(lr)
        X = _as_float(X)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (N, d), got shape {X.shape}")
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},) to match X {X.shape}, got {y.shape}")
        t = self._to_binary(y)
        Xa = _augment(X)
        if self.rng is None:
            w = np.zeros(Xa.shape[1], dtype=Xa.dtype)
        else:
            w = self.rng.normal(scale=0.01, size=Xa.shape[1]).astype(Xa.dtype)
        self.errors_ = []
        self.converged_ = False
        for _ in range(self.epochs):
            order = np.arange(len(Xa)) if self.rng is None else self.rng.permutation(len(Xa))
            mistakes = 0
            # the rule is sequential: each update changes the next prediction
            for i in order:
                y_hat = 1 if Xa[i] @ w >= 0 else 0
                if y_hat != t[i]:
                    w = w + (self.lr * (int(t[i]) - y_hat)) * Xa[i]
                    mistakes += 1
            self.errors_.append(mistakes)
            if mistakes == 0:
                self.converged_ = True
                break
        self.weights = w
        return self

    # -- prediction -------------------------------------------------------
    def decision_function(self, X):
        """w0 + X @ w[1:], shape (N,)."""
        if self.weights is None:
            raise RuntimeError("this Perceptron is not fitted yet: call fit(X, y) first")
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.weights.size - 1:
            raise ValueError(
                f"X must have shape (N, {self.weights.size - 1}), got {X.shape}"
            )
        return self.weights[0] + X @ self.weights[1:]

    def predict(self, X):
        fired = step(self.decision_function(X))
        low, high = _ENCODINGS[getattr(self, "encoding_", "binary")]
        return np.where(fired == 1, high, low)

    def __repr__(self):
        return f"Perceptron(lr={self.lr}, epochs={self.epochs}, labels={self.labels!r})"


# ---------------------------------------------------------------------------
# Networks of perceptrons
# ---------------------------------------------------------------------------


class PerceptronNetwork:
    """One hidden layer of perceptrons and one output perceptron, fixed weights.

    h = step(X @ W_h.T + b_h)   (N, H), hidden units fire with 1
    y = step(h @ w_o + b_o)     (N,)

    ``hidden_weights`` (H, d), ``hidden_bias`` (H,), ``output_weights`` (H,),
    ``output_bias`` scalar. ``encoding`` only says how inputs and the output
    are written: in "bipolar" a 0 output is reported as −1.
    """

    def __init__(self, hidden_weights, hidden_bias, output_weights, output_bias, encoding="binary"):
        if encoding not in _ENCODINGS:
            raise ValueError(f"encoding must be 'binary' or 'bipolar', got {encoding!r}")
        self.hidden_weights = np.asarray(hidden_weights, dtype=np.float64)
        self.hidden_bias = np.asarray(hidden_bias, dtype=np.float64)
        self.output_weights = np.asarray(output_weights, dtype=np.float64)
        self.output_bias = float(output_bias)
        self.encoding = encoding
        H, d = self.hidden_weights.shape
        if self.hidden_bias.shape != (H,) or self.output_weights.shape != (H,):
            raise ValueError(
                f"shapes do not fit: hidden_weights {self.hidden_weights.shape}, "
                f"hidden_bias {self.hidden_bias.shape}, output_weights {self.output_weights.shape}"
            )

    def hidden(self, X):
        """Hidden-unit outputs in {0, 1}, shape (N, H)."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.hidden_weights.shape[1]:
            raise ValueError(
                f"X must have shape (N, {self.hidden_weights.shape[1]}), got {X.shape}"
            )
        return step(X @ self.hidden_weights.T + self.hidden_bias)

    def predict(self, X):
        fired = step(self.hidden(X) @ self.output_weights + self.output_bias)
        low, high = _ENCODINGS[self.encoding]
        return np.where(fired == 1, high, low)

    __call__ = predict


def boolean_function_network(outputs):
    """The notes' construction of any boolean function of n inputs.

    Inputs are written in the bipolar encoding (True = +1, False = −1). The
    hidden layer has one perceptron per input pattern p (2^n of them, in
    ``itertools.product((-1, 1), repeat=n)`` order) with weights w = p and
    bias −n: w · x − n >= 0 only when x = p, so exactly one hidden unit fires
    for every input. The output perceptron gives that unit the weight +1 if
    f(p) is true and −1 otherwise, with bias 0, so it fires iff f(x) is true.

    ``outputs``: the 2^n truth values f(p) in the pattern order above (in
    {0, 1}, {−1, 1} or booleans). Returns a bipolar ``PerceptronNetwork``.
    """
    outputs = np.asarray(outputs)
    n = int(np.log2(outputs.size)) if outputs.size else 0
    if outputs.ndim != 1 or outputs.size < 2 or 2**n != outputs.size:
        raise ValueError(
            f"outputs must list f(p) for all 2^n input patterns, got shape {outputs.shape}"
        )
    if not np.isin(outputs, (-1, 0, 1)).all():
        raise ValueError(f"outputs must be boolean (0/1, -1/1 or False/True), got {outputs}")
    patterns = np.array(list(itertools.product((-1, 1), repeat=n)), dtype=np.float64)
    truth = outputs == 1
    return PerceptronNetwork(
        hidden_weights=patterns,
        hidden_bias=np.full(2**n, -float(n)),
        output_weights=np.where(truth, 1.0, -1.0),
        output_bias=0.0,
        encoding="bipolar",
    )


def xor_network():
    """The notes' two-layer perceptron network for XOR on {0, 1} inputs.

    z1 = step(x1 − x2 − 1)   fires for (1, 0) only   (x1 AND NOT x2)
    z2 = step(x2 − x1 − 1)   fires for (0, 1) only   (x2 AND NOT x1)
    y  = step(z1 + z2 − 1)   z1 OR z2

    Hidden table (x1, x2) -> (z1, z2) -> y:
    (0,0)->(0,0)->0, (0,1)->(0,1)->1, (1,0)->(1,0)->1, (1,1)->(0,0)->0.
    (The scanned slide prints (0,0) for the (0,1) row, which would make y
    depend on more than (z1, z2); the row above is the one the weights give.)
    """
    return PerceptronNetwork(
        hidden_weights=[[1.0, -1.0], [-1.0, 1.0]],
        hidden_bias=[-1.0, -1.0],
        output_weights=[1.0, 1.0],
        output_bias=-1.0,
        encoding="binary",
    )
