"""Honest solutions written independently in different styles, and copies of them, for
the similarity tests: chapter 1's ``mcculloch_pitts`` and ``train_perceptron``, chapter 5's
``softmax_cross_entropy`` and ``mlp_forward_backward``."""

HONEST = {
    "mcculloch_pitts": [
        '''def mcculloch_pitts(x, theta, inhibitory=None):
    inputs = np.asarray(x)
    flat = inputs.reshape(-1, inputs.shape[-1])
    veto_mask = [False] * flat.shape[1] if inhibitory is None else [bool(v) for v in inhibitory]
    answers = []
    for row in flat:
        vetoed = max([row[j] for j in range(len(row)) if veto_mask[j]], default=0)
        excitatory = [row[j] for j in range(len(row)) if not veto_mask[j]]
        answers.append(int(not vetoed and sum(excitatory) >= theta))
    return np.array(answers, dtype=int).reshape(inputs.shape[:-1])''',
        '''def mcculloch_pitts(x, theta, inhibitory=None):
    arr = np.array(x)
    single = arr.ndim == 1
    rows = arr.reshape(1, -1) if single else arr
    inh = [False] * rows.shape[1] if inhibitory is None else list(inhibitory)
    out = []
    for row in rows:
        if any(v and flag for v, flag in zip(row, inh)):
            out.append(0)
            continue
        s = sum(v for v, flag in zip(row, inh) if not flag)
        out.append(1 if s >= theta else 0)
    out = np.array(out, dtype=int)
    return out[0] if single else out''',
        '''def mcculloch_pitts(x, theta, inhibitory=None):
    x = np.asarray(x, dtype=float)
    if inhibitory is None:
        weights = np.ones(x.shape[-1])
        veto = np.zeros(x.shape[:-1], dtype=bool)
    else:
        inhibitory = np.asarray(inhibitory, dtype=bool)
        weights = np.where(inhibitory, 0.0, 1.0)
        veto = x @ inhibitory.astype(float) > 0
    fired = x @ weights >= theta
    return np.logical_and(fired, np.logical_not(veto)).astype(np.int64)''',
        '''def mcculloch_pitts(x, theta, inhibitory=None):
    import numpy as _np
    x = _np.atleast_2d(x)
    n = x.shape[1]
    inhib = _np.zeros(n, dtype=bool) if inhibitory is None else _np.asarray(inhibitory).astype(bool)
    excit = ~inhib
    result = _np.zeros(x.shape[0], dtype=int)
    for k in range(x.shape[0]):
        if x[k, inhib].sum() == 0 and x[k, excit].sum() >= theta:
            result[k] = 1
    return result if np.ndim(np.asarray(x)) and np.asarray(x).shape[0] > 1 or np.ndim(result) == 0 else result''',
        '''def mcculloch_pitts(x, theta, inhibitory=None):
    data = np.asarray(x).astype(int)
    keep = np.ones(data.shape[-1], dtype=bool)
    if inhibitory is not None:
        keep = ~np.asarray(inhibitory, dtype=bool)
    inhibited = np.count_nonzero(data[..., ~keep], axis=-1) > 0
    excitation = np.einsum("...i,i->...", data, keep.astype(int))
    answer = np.greater_equal(excitation, theta)
    answer[...] = answer & np.invert(inhibited)
    return answer.astype(int)''',
    ],
    "train_perceptron": [
        '''def train_perceptron(X, y, w_init, lr=1.0, epochs=10):
    X = np.asarray(X, dtype=float)
    w = np.asarray(w_init, dtype=float).copy()
    mistakes = []
    for _ in range(epochs):
        count = 0
        for xi, target in zip(X, y):
            prediction = int(w[0] + np.dot(w[1:], xi) >= 0)
            if prediction != target:
                count += 1
                w[0] += lr * (target - prediction)
                w[1:] += lr * (target - prediction) * xi
        mistakes.append(count)
    return w, np.array(mistakes)''',
        '''def train_perceptron(X, y, w_init, lr=1.0, epochs=10):
    Xb = np.hstack([np.ones((len(X), 1)), np.asarray(X, float)])
    weights = np.array(w_init, dtype=float)
    history = np.zeros(epochs, dtype=int)
    e = 0
    while e < epochs:
        i = 0
        while i < len(Xb):
            guess = 1.0 if Xb[i] @ weights >= 0 else 0.0
            delta = y[i] - guess
            if delta:
                weights = weights + lr * delta * Xb[i]
                history[e] = history[e] + 1
            i += 1
        e += 1
    return weights, history''',
        '''def step(a):
    return 1 if a >= 0 else 0

def train_perceptron(X, y, w_init, lr=1.0, epochs=10):
    samples = [np.concatenate(([1.0], np.asarray(row, float))) for row in X]
    w = np.asarray(w_init, float) + 0.0
    errs = []
    for epoch in range(epochs):
        wrong = 0
        for sample, label in zip(samples, y):
            err = label - step(sample.dot(w))
            wrong += err != 0
            w += lr * err * sample
        errs.append(wrong)
    return w, np.asarray(errs, dtype=int)''',
        '''def train_perceptron(X, y, w_init, lr=1.0, epochs=10):
    bias, weights = float(w_init[0]), np.array(w_init[1:], dtype=float)
    per_epoch = np.zeros(epochs, int)
    for epoch_index in range(epochs):
        for k in range(len(y)):
            features = np.asarray(X[k], dtype=float)
            activation = bias + float(features @ weights)
            output = 1 if activation >= 0 else 0
            if output == y[k]:
                continue
            per_epoch[epoch_index] += 1
            bias = bias + lr * (y[k] - output)
            weights = weights + lr * (y[k] - output) * features
    return np.concatenate([[bias], weights]), per_epoch''',
        '''def train_perceptron(X, y, w_init, lr=1.0, epochs=10):
    X = np.c_[np.ones(np.shape(X)[0]), X]
    w = np.copy(np.asarray(w_init, dtype=np.float64))
    counts = []
    for _ in range(epochs):
        n_bad = sum(update for update in [0])
        for row, label in zip(X, np.asarray(y)):
            yhat = np.heaviside(row @ w, 1.0)
            if yhat != label:
                n_bad += 1
                w = w + (lr * (label - yhat)) * row
        counts += [n_bad]
    return w, np.array(counts, dtype=np.int64)''',
    ],
    "softmax_cross_entropy": [
        '''def softmax_cross_entropy(logits, labels):
    N = len(labels)
    z = logits - np.max(logits, axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(N), labels]))
    one_hot = np.zeros_like(p)
    one_hot[np.arange(N), labels] = 1.0
    return loss, (p - one_hot) / N''',
        '''def softmax_cross_entropy(logits, labels):
    losses, grads = [], []
    for row, label in zip(logits, labels):
        m = row.max()
        lse = m + np.log(np.sum(np.exp(row - m)))
        losses.append(lse - row[label])
        g = np.exp(row - lse)
        g[label] -= 1
        grads.append(g)
    count = len(losses)
    return sum(losses) / count, np.stack(grads) / count''',
        '''from scipy.special import logsumexp as _lse

def softmax_cross_entropy(logits, labels):
    logits = np.asarray(logits, dtype=float)
    lse = _lse(logits, axis=-1)
    picked = np.take_along_axis(logits, np.asarray(labels)[:, None], axis=-1)[:, 0]
    softmax = np.exp(logits - lse[:, None])
    target = np.eye(logits.shape[-1])[labels]
    batch = logits.shape[0]
    return float(np.mean(lse - picked)), (softmax - target) / batch''',
        '''def softmax_cross_entropy(logits, labels):
    b = logits.shape[0]
    stable = logits - logits.max(1)[:, None]
    e = np.exp(stable)
    denom = e.sum(1)
    prob = e / denom[:, None]
    idx = (range(b), labels)
    ce = np.sum(np.log(denom) - stable[idx]) / b
    grad = prob.copy()
    grad[idx] = grad[idx] - 1
    grad = grad / b
    return ce, grad''',
        '''def softmax_cross_entropy(logits, labels):
    log_softmax = logits - logits.max(axis=-1, keepdims=True)
    log_softmax = log_softmax - np.log(np.exp(log_softmax).sum(axis=-1, keepdims=True))
    mask = np.arange(logits.shape[1])[None, :] == np.asarray(labels)[:, None]
    value = -(log_softmax * mask).sum() / logits.shape[0]
    gradient = (np.exp(log_softmax) - mask) / logits.shape[0]
    return value, gradient''',
    ],
    "mlp_forward_backward": [
        '''def mlp_forward_backward(X, y, params):
    W1, b1 = params["W1"], params["b1"]
    W2, b2 = params["W2"], params["b2"]
    pre = X @ W1.T + b1
    hidden = 1 / (1 + np.exp(-pre))
    scores = hidden @ W2.T + b2
    loss, dscores = softmax_cross_entropy(scores, y)
    grads = {"W2": dscores.T @ hidden, "b2": dscores.sum(0)}
    dhidden = dscores @ W2
    dpre = dhidden * hidden * (1 - hidden)
    grads["W1"] = dpre.T @ X
    grads["b1"] = dpre.sum(0)
    return loss, grads''',
        '''def mlp_forward_backward(X, y, params):
    cache = {}
    cache["a1"] = linear_forward(X, params["W1"], params["b1"])
    cache["h1"] = F.sigmoid(cache["a1"])
    cache["a2"] = linear_forward(cache["h1"], params["W2"], params["b2"])
    loss, g = softmax_cross_entropy(cache["a2"], y)
    out = {}
    g, out["W2"], out["b2"] = linear_backward(g, cache["h1"], params["W2"])
    g = sigmoid_backward(g, cache["a1"])
    g, out["W1"], out["b1"] = linear_backward(g, X, params["W1"])
    return loss, out''',
        '''def mlp_forward_backward(X, y, params):
    layers = [("W1", "b1"), ("W2", "b2")]
    inputs, pre_acts = [], []
    h = X
    for i, (w_name, b_name) in enumerate(layers):
        inputs.append(h)
        a = h @ params[w_name].T + params[b_name]
        pre_acts.append(a)
        h = F.sigmoid(a) if i < len(layers) - 1 else a
    loss, delta = softmax_cross_entropy(h, y)
    grads = {}
    for i in reversed(range(len(layers))):
        w_name, b_name = layers[i]
        if i < len(layers) - 1:
            s = F.sigmoid(pre_acts[i])
            delta = delta * s * (1.0 - s)
        grads[w_name] = delta.T @ inputs[i]
        grads[b_name] = np.sum(delta, axis=0)
        delta = delta @ params[w_name]
    return loss, grads''',
        '''def mlp_forward_backward(X, y, params):
    z1 = np.einsum("ni,hi->nh", X, params["W1"]) + params["b1"]
    s1 = F.sigmoid(z1)
    z2 = np.einsum("nh,ch->nc", s1, params["W2"]) + params["b2"]
    value, e2 = softmax_cross_entropy(z2, y)
    dW2 = np.einsum("nc,nh->ch", e2, s1)
    db2 = e2.sum(axis=0)
    e1 = np.einsum("nc,ch->nh", e2, params["W2"]) * s1 * (1 - s1)
    return value, {"W1": np.einsum("nh,ni->hi", e1, X), "b1": e1.sum(axis=0), "W2": dW2, "b2": db2}''',
        '''def mlp_forward_backward(X, y, params):
    def forward(p):
        hid = F.sigmoid(linear_forward(X, p["W1"], p["b1"]))
        return hid, linear_forward(hid, p["W2"], p["b2"])

    hid, logits = forward(params)
    loss, dlogits = softmax_cross_entropy(logits, y)
    dW2 = np.dot(dlogits.T, hid)
    db2 = np.sum(dlogits, axis=0)
    dhid = np.dot(dlogits, params["W2"])
    dz = dhid * hid * (1.0 - hid)
    dW1 = np.dot(dz.T, X)
    db1 = np.sum(dz, axis=0)
    return loss, dict(W1=dW1, b1=db1, W2=dW2, b2=db2)''',
    ],
}

# short exercises, where honest answers are the same few tokens: never compared
SHORT = {
    "perceptron_predict": [
        '''def perceptron_predict(X, w):
    X = np.asarray(X, dtype=float)
    return (X @ np.asarray(w)[1:] + w[0] >= 0).astype(int)''',
        '''def perceptron_predict(X, w):
    scores = np.dot(np.asarray(X, float), w[1:]) + w[0]
    return np.array([1 if s >= 0 else 0 for s in scores])''',
        '''def perceptron_predict(X, w):
    Xb = np.hstack([np.ones((len(X), 1)), X])
    return np.where(Xb @ w >= 0, 1, 0)''',
        '''def perceptron_predict(X, w):
    w = np.asarray(w, dtype=float)
    X = np.asarray(X, dtype=float)
    return (w[0] + X @ w[1:] >= 0).astype(int)''',
        '''def perceptron_predict(X, w):
    out = []
    for row in X:
        out.append(int(w[0] + sum(wi * xi for wi, xi in zip(w[1:], row)) >= 0))
    return np.array(out)''',
    ],
    "perceptron_update": [
        '''def perceptron_update(w, x, y, lr=1.0):
    ones_x = np.append(1.0, x)
    fired = 1 if np.sum(np.multiply(w, ones_x)) >= 0 else 0
    return np.add(w, lr * (y - fired) * ones_x)''',
        '''def perceptron_update(w, x, y, lr=1.0):
    xt = np.r_[1.0, x]
    pred = float(np.dot(w, xt) >= 0)
    return np.asarray(w, float) + lr * (y - pred) * xt''',
        '''def perceptron_update(w, x, y, lr=1.0):
    w = np.array(w, dtype=float)
    y_hat = int(w[0] + np.dot(w[1:], x) >= 0)
    w[0] += lr * (y - y_hat)
    w[1:] += lr * (y - y_hat) * np.asarray(x)
    return w''',
        '''def perceptron_update(w, x, y, lr=1.0):
    x_aug = np.insert(np.asarray(x, dtype=float), 0, 1.0)
    error = y - np.heaviside(x_aug @ w, 1.0)
    return w + lr * error * x_aug''',
        '''def perceptron_update(w, x, y, lr=1.0):
    new = [float(v) for v in w]
    act = new[0] + sum(a * b for a, b in zip(new[1:], x))
    delta = lr * (y - (1 if act >= 0 else 0))
    return np.array([new[0] + delta] + [wi + delta * xi for wi, xi in zip(new[1:], x)])''',
    ],
    "sigmoid_solution": [
        "def sigmoid(x):\n    return 1.0 / (1.0 + np.exp(-x))",
        "def sigmoid(x):\n    return np.exp(-np.logaddexp(0, -x))",
        "def sigmoid(x):\n    return 0.5 * (1 + np.tanh(x / 2))",
        "def sigmoid(z):\n    e = np.exp(-z)\n    return 1 / (1 + e)",
        "def sigmoid(x):\n    x = np.asarray(x, float)\n    return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))",
    ],
    "relu_solution": [
        "def relu(x):\n    return np.maximum(x, 0.0)",
        "def relu(x):\n    return np.where(x > 0, x, 0.0)",
        "def relu(x):\n    return x * (x > 0)",
        "def relu(x):\n    y = np.array(x, dtype=float)\n    y[y < 0] = 0\n    return y",
        "def relu(v):\n    return np.clip(v, 0, None)",
    ],
}

# copies of the first honest solution of an exercise: names renamed, reformatted, commented
DISGUISED = {
    "train_perceptron": '''def train_perceptron(X, y, w_init, lr=1.0, epochs=10):
    """My perceptron."""
    data = np.asarray(X, dtype=float)   # the inputs
    weights = np.asarray(w_init, dtype=float).copy()
    errs = []
    for _ in range(epochs):
        c = 0
        for row, t in zip(data, y):
            # predict, then correct
            p = int(weights[0] + np.dot(weights[1:], row) >= 0)
            if p != t:
                c += 1
                weights[0] += lr * (t - p)
                weights[1:] += lr * (t - p) * row
        errs.append(c)
    return (weights, np.array(errs))''',
    "softmax_cross_entropy": '''def softmax_cross_entropy(logits, labels):
    count = len(labels)
    shifted = logits - np.max(logits,
                              axis=1, keepdims=True)
    probs = np.exp(shifted); probs /= probs.sum(axis=1, keepdims=True)
    value = -np.mean(np.log(probs[np.arange(count), labels]))
    target = np.zeros_like(probs)
    target[np.arange(count), labels] = 1.0
    return value, (probs - target) / count''',
}


def rename_reference(code):
    """The reference with every local name renamed and the layout changed (a disguised copy)."""
    import ast

    tree = ast.parse(code)
    params = {a.arg for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) for a in node.args.args}
    functions = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    local = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    mapping = {name: f"my_{name}_var" for name in local - params - functions}

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            node.id = mapping.get(node.id, node.id)
            return node

    return "# my own work\n" + ast.unparse(Rename().visit(tree)).replace("    ", "\t") + "\n\n\n"
