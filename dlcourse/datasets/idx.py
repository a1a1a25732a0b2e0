"""Reading and writing IDX files, the format MNIST is distributed in.

An IDX file is a tiny header followed by the raw array, all big-endian::

    bytes 0-1   0x00 0x00
    byte  2     type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                           0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    next 4*d    the size of each dimension, unsigned 32-bit big-endian
    rest        the values, row-major (C order), big-endian

MNIST's four files are ``train-images-idx3-ubyte`` (60000, 28, 28),
``train-labels-idx1-ubyte`` (60000,), ``t10k-images-idx3-ubyte`` (10000, 28, 28)
and ``t10k-labels-idx1-ubyte`` (10000,), often gzipped (``.gz``). The course
does not download them; an instructor who has them can load them with
:func:`load_mnist` and train :class:`dlcourse.models.LeNet5` (chapter on CNNs).
"""

import gzip
import os
import struct

import numpy as np

# type code -> big-endian NumPy dtype
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF = {(dtype.kind, dtype.itemsize): code for code, dtype in IDX_DTYPES.items()}

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path):
    with open(path, "rb") as handle:
        raw = handle.read()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ValueError(f"{path}: corrupted gzip stream ({error})") from None
    return raw


def read_idx(path):
    """Read an IDX file (plain or gzip-compressed) into a NumPy array.

    Returns an array of the stored shape whose dtype is the stored type in the
    machine's native byte order (e.g. ``uint8`` for MNIST images).
    Raises ``ValueError`` naming the problem if the header or the length is wrong.
    """
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"{path}: not an IDX file, only {len(raw)} bytes (the header needs 4)")
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0:
        raise ValueError(
            f"{path}: not an IDX file, magic number starts with {raw[:2].hex()} instead of 0000"
        )
    if code not in IDX_DTYPES:
        allowed = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02X}; allowed codes are {allowed}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"{path}: truncated header, {ndim} dimensions need {header} bytes but the file has {len(raw)}"
        )
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(
            f"{path}: data of {len(raw) - header} bytes does not match shape {shape} of "
            f"{dtype.newbyteorder('=').name} ({expected} bytes expected); the file is corrupted"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def write_idx(path, array):
    """Write ``array`` as an IDX file; gzip-compress it when ``path`` ends with ``.gz``.

    The array's dtype must be one IDX can store: uint8, int8, int16, int32,
    float32 or float64. Returns ``path``.
    """
    array = np.asarray(array)
    code = _CODE_OF.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise TypeError(
            f"IDX cannot store dtype {array.dtype}; use uint8, int8, int16, int32, float32 or float64"
        )
    if array.ndim > 255 or any(size >= 2**32 for size in array.shape):
        raise ValueError(f"shape {array.shape} is too large for an IDX header")
    header = struct.pack(f">HBB{array.ndim}I", 0, code, array.ndim, *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    if str(path).endswith(".gz"):
        payload = gzip.compress(payload)
    with open(path, "wb") as handle:
        handle.write(payload)
    return path


def _find(directory, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx")):
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def load_mnist(directory, normalize=True):
    """Load the four MNIST IDX files found in ``directory``.

    Returns ``(x_train, y_train), (x_test, y_test)``: images of shape
    ``(N, 1, 28, 28)`` (float64 in [0, 1] when ``normalize``, else uint8, the
    layout ``Conv2d`` expects) and labels as int64 of shape ``(N,)``.
    Each file may be plain or gzipped (``<name>.gz``).
    """
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"MNIST directory {directory!r} does not exist")
    paths = {key: _find(directory, stem) for key, stem in MNIST_FILES.items()}
    missing = [MNIST_FILES[key] for key, path in paths.items() if path is None]
    if missing:
        raise FileNotFoundError(
            f"MNIST files missing in {directory!r}: {', '.join(missing)} "
            f"(expected {', '.join(MNIST_FILES.values())}, each optionally ending in .gz)"
        )
    splits = []
    for images_key, labels_key in (("train_images", "train_labels"), ("test_images", "test_labels")):
        images, labels = read_idx(paths[images_key]), read_idx(paths[labels_key])
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"{paths[images_key]} has shape {images.shape} and {paths[labels_key]} "
                f"has shape {labels.shape}; expected (N, rows, cols) images and (N,) labels"
            )
        images = images[:, None, :, :]
        if normalize:
            images = images.astype(np.float64) / 255.0
        splits.append((images, labels.astype(np.int64)))
    return tuple(splits)
