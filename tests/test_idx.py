import gzip
import struct

import numpy as np
import pytest

from dlcourse.datasets.idx import MNIST_FILES, load_mnist, read_idx, write_idx


def test_reads_a_hand_written_mnist_style_header(tmp_path):
    # magic 0x00000803: unsigned bytes, 3 dimensions (2, 2, 3)
    values = np.arange(12, dtype=np.uint8)
    raw = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 2, 2, 3) + values.tobytes()
    path = tmp_path / "images-idx3-ubyte"
    path.write_bytes(raw)
    array = read_idx(path)
    assert array.dtype == np.uint8
    np.testing.assert_array_equal(array, values.reshape(2, 2, 3))


def test_labels_file_header_is_magic_2049(tmp_path):
    path = tmp_path / "labels"
    write_idx(path, np.array([7, 2, 1], dtype=np.uint8))
    raw = path.read_bytes()
    assert struct.unpack(">I", raw[:4])[0] == 2049
    assert struct.unpack(">I", raw[4:8])[0] == 3
    assert raw[8:] == bytes([7, 2, 1])


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip_keeps_values_shape_and_dtype(tmp_path, dtype, suffix):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((3, 4, 5)) * 50).astype(dtype)
    path = tmp_path / f"data-idx3{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)


def test_big_endian_on_disk(tmp_path):
    path = tmp_path / "ints"
    write_idx(path, np.array([1, 256], dtype=np.int32))
    assert path.read_bytes()[8:] == b"\x00\x00\x00\x01\x00\x00\x01\x00"


def test_gzip_is_detected_by_content_not_name(tmp_path):
    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    plain = tmp_path / "plain"
    write_idx(plain, array)
    hidden = tmp_path / "no-suffix"
    hidden.write_bytes(gzip.compress(plain.read_bytes()))
    np.testing.assert_array_equal(read_idx(hidden), array)


def test_truncated_data_is_a_clear_error(tmp_path):
    path = tmp_path / "broken"
    write_idx(path, np.zeros((4, 5), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(ValueError, match=r"17 bytes does not match shape \(4, 5\)"):
        read_idx(path)


def test_bad_magic_and_bad_type_code(tmp_path):
    path = tmp_path / "bad"
    path.write_bytes(b"\x12\x34\x08\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(ValueError, match="magic number starts with 1234"):
        read_idx(path)
    path.write_bytes(b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(ValueError, match="unknown IDX type code 0x07"):
        read_idx(path)
    path.write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match="only 2 bytes"):
        read_idx(path)
    path.write_bytes(b"\x00\x00\x08\x03" + b"\x00\x00\x00\x02")
    with pytest.raises(ValueError, match="truncated header"):
        read_idx(path)


def test_corrupted_gzip_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.gz"
    write_idx(path, np.zeros(100, dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:12])
    with pytest.raises(ValueError, match="corrupted gzip"):
        read_idx(path)


def test_unsupported_dtype_is_rejected(tmp_path):
    with pytest.raises(TypeError, match="IDX cannot store dtype int64"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))


def _write_fake_mnist(directory, n_train=5, n_test=3, gz=False):
    rng = np.random.default_rng(1)
    suffix = ".gz" if gz else ""
    data = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for key, array in data.items():
        write_idx(directory / (MNIST_FILES[key] + suffix), array)
    return data


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_shapes_and_scaling(tmp_path, gz):
    data = _write_fake_mnist(tmp_path, gz=gz)
    (x_train, y_train), (x_test, y_test) = load_mnist(tmp_path)
    assert x_train.shape == (5, 1, 28, 28) and x_test.shape == (3, 1, 28, 28)
    assert x_train.dtype == np.float64 and 0.0 <= x_train.min() and x_train.max() <= 1.0
    np.testing.assert_allclose(x_train[:, 0] * 255.0, data["train_images"])
    np.testing.assert_array_equal(y_test, data["test_labels"])
    assert y_train.dtype == np.int64
    (raw_train, _), _ = load_mnist(tmp_path, normalize=False)
    assert raw_train.dtype == np.uint8


def test_load_mnist_names_the_missing_files(tmp_path):
    _write_fake_mnist(tmp_path)
    (tmp_path / MNIST_FILES["test_labels"]).unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte") as info:
        load_mnist(tmp_path)
    assert "train-images-idx3-ubyte" in str(info.value)  # the full list of expected names
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")


def test_load_mnist_rejects_mismatched_lengths(tmp_path):
    _write_fake_mnist(tmp_path)
    write_idx(tmp_path / MNIST_FILES["train_labels"], np.zeros(4, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"shape \(5, 28, 28\).*shape \(4,\)"):
        load_mnist(tmp_path)
