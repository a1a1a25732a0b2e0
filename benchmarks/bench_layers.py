"""How far dlcourse's layers are from PyTorch on the CPU: time ratios, same shapes, same dtype.

Run from the repository root (PyTorch must be installed; it is a test/benchmark
dependency only):

    python benchmarks/bench_layers.py            # everything, float32 and float64
    python benchmarks/bench_layers.py --quick    # fewer repeats, no MLP epoch
    python benchmarks/bench_layers.py --threads 1   # one thread on both sides
    python benchmarks/bench_layers.py --threads 1 --clock cpu   # CPU time, for a busy machine

Measured, in one process, with PyTorch limited to the number of threads that
NumPy's BLAS uses (printed first):

1. Conv2d forward + backward: 64x3x32x32 batch, 16 filters of 3x3, padding 1
   (float32 and float64), input gradient included on both sides; then, in
   float32, every other convolution shape the chapters train: a CNN's second
   layer (32 filters of 3x3x16 on a 64x16x14x14 batch), LeNet-5's second layer
   (16 filters of 5x5x6 on 14x14, no padding) and the two layers of the digits
   LeNet (batches of 32 on 8x8 and 4x4 maps). Each line also shows the time of
   the convolution's three matrix products alone (the GEMM ceiling: no im2col
   implementation can beat it) as a ratio to PyTorch's time.
2. MaxPool2d 2x2 forward + backward on that convolution's output.
3. One epoch of a 784-256-128-10 ReLU MLP trained with Adam and CrossEntropyLoss
   on 60,000 random samples in batches of 128 (float32). Neither side computes
   the gradient with respect to the images (torch: they do not require grad;
   dlcourse: ``backward(..., needs_input_grad=False)``, as ``train.fit`` does).
4. One epoch of the digits LeNet (``dlcourse.models.LeNet``: two 3x3
   convolutions, two poolings, two dense layers) with Adam on the 1347
   training images of the 8x8 digits in batches of 32 (float32), against the
   same network in PyTorch, both in the same batch order.

Each time is the median of several repeats, the two libraries taking turns so
that a change in machine load hits both (each turn starts with one untimed call,
so that neither pays for the other's still-spinning worker threads). The ratio is dlcourse time / PyTorch
time (below 1: dlcourse is faster). The float32 GEMM throughput of the
convolution's own matrix products is printed as the practical ceiling: the
convolution cannot run faster than its three matrix products.
"""

import argparse
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from dlcourse import nn
from dlcourse.optim import Adam

TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64}


def blas_threads():
    """Threads of the BLAS library NumPy is linked against (OpenBLAS or MKL), and its name.

    For OpenBLAS the name includes the kernels it chose for this processor
    (``architecture``): the matrix products, hence the convolutions, run at the
    speed of those kernels (e.g. "Haswell" kernels use 256-bit AVX2 even on a
    processor with AVX-512; ``OPENBLAS_CORETYPE`` set before NumPy is imported
    overrides the choice).
    """
    pools = [p for p in threadpool_info() if p["user_api"] == "blas"]
    pool = next((p for p in pools if "/numpy" in p["filepath"] or "\\numpy" in p["filepath"]), pools[0])
    name = f"{pool['internal_api']} {pool.get('version') or ''}".strip()
    if pool.get("architecture"):
        name += f" ({pool['architecture']} kernels)"
    return pool["num_threads"], name


CLOCK = time.perf_counter


def race(ours, theirs, repeats, settle=True):
    """Median seconds of ``ours()`` and ``theirs()``, taking turns after one warm-up each.

    With ``settle``, each turn first runs its function once untimed: PyTorch's
    OpenMP threads keep spinning for a while after a call and OpenBLAS's do too,
    so the first call after the other library's would pay for that.
    """
    ours(), theirs()
    times_ours, times_theirs = [], []
    for _ in range(repeats):
        for function, times in ((ours, times_ours), (theirs, times_theirs)):
            if settle:
                function()
            start = CLOCK()
            function()
            times.append(CLOCK() - start)
    return statistics.median(times_ours), statistics.median(times_theirs)


def report(name, ours, theirs):
    print(f"{name:<44} dlcourse {ours * 1e3:9.2f} ms   torch {theirs * 1e3:9.2f} ms   "
          f"ratio {ours / theirs:5.2f}")


def bench_conv(dtype, repeats, rng, channels=(3, 16), size=32, kernel=3, padding=1, batch=64):
    c_in, c_out = channels
    out = size + 2 * padding - kernel + 1
    x = rng.normal(size=(batch, c_in, size, size)).astype(dtype)
    layer = nn.Conv2d(c_in, c_out, kernel, padding=padding, rng=rng, dtype=dtype)
    grad = rng.normal(size=(batch, c_out, out, out)).astype(dtype)
    ref = torch.nn.Conv2d(c_in, c_out, kernel, padding=padding, dtype=TORCH_DTYPES[dtype])
    x_t = torch.tensor(x, requires_grad=True)
    grad_t = torch.tensor(grad)

    def ours():
        layer(x)
        layer.backward(grad)

    def theirs():
        ref(x_t).backward(grad_t)
        x_t.grad = None

    return race(ours, theirs, repeats)


def bench_max_pool(dtype, repeats, rng):
    x = rng.normal(size=(64, 16, 32, 32)).astype(dtype)
    grad = rng.normal(size=(64, 16, 16, 16)).astype(dtype)
    layer = nn.MaxPool2d(2)
    x_t = torch.tensor(x, requires_grad=True)
    grad_t = torch.tensor(grad)

    def ours():
        layer(x)
        layer.backward(grad)

    def theirs():
        torch.nn.functional.max_pool2d(x_t, 2).backward(grad_t)
        x_t.grad = None

    return race(ours, theirs, repeats)


def bench_mlp_epoch(repeats, rng, samples=60_000, batch=128):
    dtype = np.float32
    images = rng.normal(size=(samples, 784)).astype(dtype)
    labels = rng.integers(0, 10, size=samples)
    model = nn.Sequential(nn.Linear(784, 256, rng=rng, dtype=dtype), nn.ReLU(),
                          nn.Linear(256, 128, rng=rng, dtype=dtype), nn.ReLU(),
                          nn.Linear(128, 10, rng=rng, dtype=dtype))
    criterion = nn.CrossEntropyLoss()
    optimizer = Adam(model.parameters(), lr=1e-3)
    ref = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                              torch.nn.ReLU(), torch.nn.Linear(128, 10))
    ref_criterion = torch.nn.CrossEntropyLoss()
    ref_optimizer = torch.optim.Adam(ref.parameters(), lr=1e-3)
    images_t, labels_t = torch.from_numpy(images), torch.from_numpy(labels)

    def ours():
        for start in range(0, samples, batch):
            optimizer.zero_grad()
            criterion(model(images[start:start + batch]), labels[start:start + batch])
            model.backward(criterion.backward(), needs_input_grad=False)
            optimizer.step()

    def theirs():
        for start in range(0, samples, batch):
            ref_optimizer.zero_grad()
            ref_criterion(ref(images_t[start:start + batch]), labels_t[start:start + batch]).backward()
            ref_optimizer.step()

    return race(ours, theirs, repeats, settle=False)   # epochs take seconds: no need to settle


def gemm_ceiling(repeats, rng, channels=(3, 16), size=32, kernel=3, padding=1, batch=64):
    """FLOPs and GFLOP/s of the float32 matrix products a convolution needs.

    Forward: W_2d (O, C*k*k) @ columns (C*k*k, H_out*W_out) for every image;
    backward: two products of the same size (dW and the columns' gradient).
    """
    (c, o), pixels = channels, (size + 2 * padding - kernel + 1) ** 2
    k = c * kernel * kernel
    weight = rng.normal(size=(o, k)).astype(np.float32)
    cols = rng.normal(size=(batch, k, pixels)).astype(np.float32)
    runs = []
    for _ in range(repeats):
        start = CLOCK()
        np.matmul(weight, cols)
        runs.append(CLOCK() - start)
    flops = 2 * batch * o * k * pixels
    return flops, flops / statistics.median(runs) / 1e9


def report_conv(name, repeats, rng, **shape):
    """One float32 convolution shape: the race, and its GEMM ceiling against torch."""
    ours, theirs = bench_conv(np.float32, repeats, rng, **shape)
    report(name, ours, theirs)
    flops, gflops = gemm_ceiling(max(repeats, 10), rng, **shape)
    ceiling = 3 * flops / gflops / 1e9
    print(f"{'':44} GEMMs alone {ceiling * 1e3:7.2f} ms ({gflops:5.1f} GFLOP/s) = {ceiling / theirs:4.2f} x torch; "
          f"dlcourse {3 * flops / ours / 1e9:5.1f}, torch {3 * flops / theirs / 1e9:5.1f} GFLOP/s")


def bench_lenet_epoch(repeats, rng, batch=32):
    from dlcourse.datasets import load_digits_split
    from dlcourse.models import LeNet

    images, _, labels, _ = load_digits_split(seed=0, dtype=np.float32)
    order = rng.permutation(len(images))
    images, labels = np.ascontiguousarray(images[order]), labels[order]
    model = LeNet(rng=rng, dtype=np.float32)
    criterion = nn.CrossEntropyLoss()
    optimizer = Adam(model.parameters(), lr=3e-3)
    ref = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    ref_criterion = torch.nn.CrossEntropyLoss()
    ref_optimizer = torch.optim.Adam(ref.parameters(), lr=3e-3)
    images_t, labels_t = torch.from_numpy(images), torch.from_numpy(labels)

    def ours():
        for start in range(0, len(images), batch):
            optimizer.zero_grad()
            criterion(model(images[start:start + batch]), labels[start:start + batch])
            model.backward(criterion.backward(), needs_input_grad=False)
            optimizer.step()

    def theirs():
        for start in range(0, len(images), batch):
            ref_optimizer.zero_grad()
            ref_criterion(ref(images_t[start:start + batch]), labels_t[start:start + batch]).backward()
            ref_optimizer.step()

    return race(ours, theirs, repeats)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats per measurement")
    parser.add_argument("--quick", action="store_true", help="5 repeats and no MLP epoch")
    parser.add_argument("--mlp-repeats", type=int, default=3, help="timed epochs per library")
    parser.add_argument("--threads", type=int, default=None,
                        help="limit NumPy's BLAS and torch to this many threads (default: BLAS's own count)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall time (default), or the process's CPU time: steadier on a busy "
                             "machine, meaningful with --threads 1 (idle threads may spin)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    repeats = 5 if args.quick else args.repeats
    rng = np.random.default_rng(args.seed)
    if args.threads is not None:
        threadpool_limits(limits=args.threads, user_api="blas")

    threads, blas = blas_threads()
    torch.set_num_threads(threads)
    print(f"NumPy {np.__version__} with {blas} on {threads} thread(s); "
          f"torch {torch.__version__} set to {torch.get_num_threads()} thread(s)")
    print(f"{args.clock} times: median of {repeats} repeats; ratio = dlcourse / torch\n")

    report_conv("Conv2d 3->16 3x3 pad 1, fwd+bwd, float32", repeats, rng)
    report("Conv2d 3->16 3x3 pad 1, fwd+bwd, float64", *bench_conv(np.float64, repeats, rng))
    report_conv("Conv2d 16->32 3x3 pad 1 on 14x14, float32", repeats, rng, channels=(16, 32), size=14)
    report_conv("Conv2d 6->16 5x5 on 14x14 (LeNet-5), float32", repeats, rng, channels=(6, 16), size=14,
                kernel=5, padding=0)
    report_conv("Conv2d 1->16 3x3 pad 1, 32x1x8x8, float32", repeats, rng, channels=(1, 16), size=8, batch=32)
    report_conv("Conv2d 16->32 3x3 pad 1, 32x16x4x4, float32", repeats, rng, channels=(16, 32), size=4,
                batch=32)
    for dtype in (np.float32, np.float64):
        report(f"MaxPool2d 2x2 on 64x16x32x32, fwd+bwd, {np.dtype(dtype).name}",
               *bench_max_pool(dtype, repeats, rng))
    report("LeNet on the digits + Adam, 1 epoch, float32", *bench_lenet_epoch(repeats, rng))
    if not args.quick:
        report("MLP 784-256-128-10 + Adam, 1 epoch, float32", *bench_mlp_epoch(args.mlp_repeats, rng))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
