"""utils.data: the real files load and verify; every kind of bad input raises our clear error."""

from __future__ import annotations

import gzip
import http.client
import http.server
import os
import shutil
import socket
import struct
import threading
from pathlib import Path

import numpy as np
import pytest

from utils import data
from utils.data import (
    CLASS_NAMES,
    FILES,
    FashionMNISTError,
    candidate_dirs,
    download_fashion_mnist,
    load_fashion_mnist,
    load_splits,
    locate_fashion_mnist,
    read_idx,
    train_val_split,
)


@pytest.fixture(scope="module")
def real_dir() -> Path:
    """The folder with the real files that the loader finds on this machine (make data puts them
    there).
    """
    try:
        return locate_fashion_mnist(download=False)
    except FashionMNISTError as e:
        pytest.fail(
            f"the real Fashion-MNIST files are needed for these tests; run `make data` ({e})"
        )


@pytest.fixture(scope="module")
def real(real_dir):
    return load_fashion_mnist(real_dir)


def copy_real(real_dir: Path, dest: Path) -> Path:
    """Link the four real files into `dest`, a folder of our own."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in FILES.values():
        os.symlink(real_dir / f.filename, dest / f.filename)
    return dest


def replace_file(folder: Path, name: str, raw: bytes) -> Path:
    """Put a gzipped file with these decompressed bytes in place of one of the four."""
    path = folder / FILES[name].filename
    path.unlink(missing_ok=True)
    path.write_bytes(gzip.compress(raw, compresslevel=1))
    return path


def decompressed(real_dir: Path, name: str) -> bytearray:
    return bytearray(gzip.decompress((real_dir / FILES[name].filename).read_bytes()))


def assert_clear_error(excinfo, filename: str, *words: str) -> None:
    message = str(excinfo.value)
    assert filename in message, message
    for word in words:
        assert word in message, message
    assert "apt-get install dataset-fashion-mnist" in message, message  # what to do


# The real data
# -------------------------------------------------------------------------------------


def test_real_data_has_the_keras_contract(real):
    (x_train, y_train), (x_test, y_test) = real
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == (
        (60000, 28, 28),
        (60000,),
        (10000, 28, 28),
        (10000,),
    )
    assert all(
        a.dtype == np.uint8 and a.flags.writeable for a in (x_train, y_train, x_test, y_test)
    )
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert y_test[:10].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]
    assert x_train.max() == 255 and x_train.min() == 0
    assert abs(x_train.mean() / 255 - 0.2860) < 1e-4


def test_class_names():
    assert len(CLASS_NAMES) == 10
    assert (
        CLASS_NAMES[0] == "T-shirt/top"
        and CLASS_NAMES[6] == "Shirt"
        and CLASS_NAMES[9] == "Ankle boot"
    )


def test_train_val_split_is_the_books_split(real):
    (x, y), _ = real
    (x_train, y_train), (x_val, y_val) = train_val_split(x, y)
    assert x_train.shape == (48000, 28, 28) and x_val.shape == (12000, 28, 28)
    assert y_train.shape == (48000,) and y_val.shape == (12000,)
    # train_test_split(test_size=0.2, random_state=42) on the training set starts like this:
    assert y_val[:10].tolist() == [8, 8, 7, 4, 8, 4, 1, 0, 4, 5]
    assert y_train[:10].tolist() == [7, 3, 5, 8, 6, 9, 3, 3, 9, 9]
    (_, y_train_again), _ = train_val_split(x, y)
    assert np.array_equal(y_train, y_train_again)


def test_load_splits_scales_and_splits_like_the_books(real):
    (x_full, y_full), (x_test_raw, y_test_raw) = real
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = load_splits()
    assert [a.shape for a in (x_train, x_val, x_test)] == [
        (48000, 28, 28),
        (12000, 28, 28),
        (10000, 28, 28),
    ]
    assert {a.dtype for a in (x_train, x_val, x_test)} == {np.dtype("float32")}
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    (_, y_train_expected), (x_val_expected, y_val_expected) = train_val_split(x_full, y_full)
    assert np.array_equal(y_train, y_train_expected) and np.array_equal(y_val, y_val_expected)
    assert np.array_equal(x_val, x_val_expected.astype(np.float32) / 255)
    assert np.array_equal(y_test, y_test_raw) and np.array_equal(
        x_test * 255, x_test_raw.astype(np.float32)
    )


def test_train_val_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="10 rows but y has 9"):
        train_val_split(np.zeros((10, 28, 28)), np.zeros(9))


# Where it looks
# ------------------------------------------------------------------------------------


def test_search_order(monkeypatch, tmp_path):
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    assert candidate_dirs() == [tmp_path / "env"]  # FASHION_MNIST_DIR: only there
    assert candidate_dirs(tmp_path / "given") == [tmp_path / "given"]  # data_dir: only there
    monkeypatch.delenv("FASHION_MNIST_DIR")
    assert candidate_dirs() == [
        tmp_path / "keras" / "datasets" / "fashion-mnist",
        Path("/usr/share/datasets/fashion-mnist"),
    ]


def test_first_complete_folder_wins(monkeypatch, tmp_path, real_dir):
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    cache_dir = tmp_path / "keras" / "datasets" / "fashion-mnist"
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    cache_dir.mkdir(parents=True)
    (cache_dir / FILES["train-images-idx3-ubyte"].filename).touch()  # incomplete: skipped
    monkeypatch.setattr(data, "DEBIAN_DIR", copy_real(real_dir, tmp_path / "debian"))
    assert locate_fashion_mnist(download=False) == tmp_path / "debian"
    copy_real(real_dir, tmp_path / "env")
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "env"))
    assert locate_fashion_mnist(download=False) == tmp_path / "env"


@pytest.mark.parametrize("problem", ["no such folder", "a file", "incomplete"])
def test_a_wrong_fashion_mnist_dir_is_an_error_naming_it(monkeypatch, tmp_path, real_dir, problem):
    """An explicit FASHION_MNIST_DIR is never silently passed over for another copy (the real one
    exists).
    """
    target = tmp_path / "my-copy"
    if problem == "a file":
        target.write_text("not a folder")
    elif problem == "incomplete":
        target.mkdir()
        os.symlink(
            real_dir / FILES["train-images-idx3-ubyte"].filename,
            target / FILES["train-images-idx3-ubyte"].filename,
        )
    monkeypatch.setenv("FASHION_MNIST_DIR", str(target))
    with pytest.raises(FashionMNISTError) as excinfo:
        load_fashion_mnist()
    message = str(excinfo.value)
    assert message.startswith(f"FASHION_MNIST_DIR={target}: "), message
    expected = {
        "no such folder": "no such folder",
        "a file": "not a folder",
        "incomplete": "missing train-labels-idx1-ubyte(.gz) (or fashion-mnist_train.csv); "
        "t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz) (or fashion-mnist_test.csv)",
    }
    assert expected[problem] in message, message
    assert "unset it" in message


def test_data_dir_is_the_only_place_looked(tmp_path):
    with pytest.raises(FashionMNISTError, match=r"missing train-images-idx3-ubyte\(.gz\)"):
        load_fashion_mnist(tmp_path)


def test_nothing_anywhere_and_no_network(monkeypatch, tmp_path):
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "no-debian-package")
    monkeypatch.setattr(data, "BASE_URL", f"http://127.0.0.1:{unused_port()}/")
    with pytest.raises(FashionMNISTError) as excinfo:
        load_fashion_mnist()
    message = str(excinfo.value)
    assert (
        "not found" in message
        and "download" in message
        and "apt-get install dataset-fashion-mnist" in message
    )
    assert list((tmp_path / "keras" / "datasets" / "fashion-mnist").iterdir()) == []


# Bad files
# -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(FILES))
def test_truncated_copy_of_each_file(tmp_path, real_dir, name):
    folder = copy_real(real_dir, tmp_path / "data")
    original = (real_dir / FILES[name].filename).read_bytes()
    target = folder / FILES[name].filename
    target.unlink()
    target.write_bytes(original[: len(original) // 2])
    with pytest.raises(FashionMNISTError) as excinfo:
        load_fashion_mnist(folder)
    assert_clear_error(excinfo, FILES[name].filename, "truncated or corrupt")


@pytest.mark.parametrize("name", list(FILES))
def test_altered_copy_of_each_file(tmp_path, real_dir, name):
    folder = copy_real(real_dir, tmp_path / "data")
    raw = decompressed(real_dir, name)
    raw[-1] = (raw[-1] + 1) % 256  # one pixel or one label changed, valid gzip and header
    replace_file(folder, name, bytes(raw))
    with pytest.raises(FashionMNISTError) as excinfo:
        load_fashion_mnist(folder)
    assert_clear_error(excinfo, FILES[name].filename, "SHA-256", "not the original")


def test_corrupt_gzip_stream(tmp_path, real_dir):
    folder = copy_real(real_dir, tmp_path / "data")
    target = folder / FILES["t10k-labels-idx1-ubyte"].filename
    packed = bytearray(target.read_bytes())
    target.unlink()
    packed[len(packed) // 2 : len(packed) // 2 + 64] = bytes(64)  # damage in the middle
    target.write_bytes(bytes(packed))
    with pytest.raises(FashionMNISTError) as excinfo:
        load_fashion_mnist(folder)
    assert_clear_error(excinfo, target.name, "corrupt")


def test_not_gzip_at_all(tmp_path, real_dir):
    folder = copy_real(real_dir, tmp_path / "data")
    target = folder / FILES["train-labels-idx1-ubyte"].filename
    target.unlink()
    target.write_text("<html>404 Not Found</html>")
    with pytest.raises(FashionMNISTError) as excinfo:
        load_fashion_mnist(folder)
    assert_clear_error(excinfo, target.name, "not a readable gzip file")


def test_wrong_magic_number(tmp_path, real_dir):
    folder = copy_real(real_dir, tmp_path / "data")
    raw = decompressed(real_dir, "t10k-labels-idx1-ubyte")
    raw[:4] = struct.pack(">I", 2051)  # an images magic number on a labels file
    replace_file(folder, "t10k-labels-idx1-ubyte", bytes(raw))
    with pytest.raises(FashionMNISTError) as excinfo:
        load_fashion_mnist(folder)
    assert_clear_error(excinfo, "t10k-labels-idx1-ubyte.gz", "magic number 2051, expected 2049")


def test_image_and_label_counts_disagree(tmp_path, real_dir):
    folder = copy_real(real_dir, tmp_path / "data")
    raw = decompressed(real_dir, "train-labels-idx1-ubyte")
    shorter = struct.pack(">II", 2049, 59_999) + bytes(raw[8:-1])  # consistent on its own
    replace_file(folder, "train-labels-idx1-ubyte", shorter)
    with pytest.raises(FashionMNISTError) as excinfo:
        load_fashion_mnist(folder)
    assert_clear_error(excinfo, "train-labels-idx1-ubyte.gz", "60,000 images", "59,999 labels")


def test_data_shorter_than_header_says(tmp_path, real_dir):
    folder = copy_real(real_dir, tmp_path / "data")
    raw = decompressed(real_dir, "t10k-labels-idx1-ubyte")
    replace_file(folder, "t10k-labels-idx1-ubyte", bytes(raw[:-100]))
    with pytest.raises(FashionMNISTError) as excinfo:
        load_fashion_mnist(folder)
    assert_clear_error(
        excinfo, "t10k-labels-idx1-ubyte.gz", "9,908 bytes", "declares 10,000 labels"
    )


# Uncompressed IDX files and Kaggle's CSV files
# --------------------------------------------------------


def test_uncompressed_idx_files_load_the_same(tmp_path, real_dir, real):
    folder = tmp_path / "plain"
    folder.mkdir()
    for name in FILES:
        (folder / name).write_bytes(bytes(decompressed(real_dir, name)))
    loaded = load_fashion_mnist(folder)
    for got, expected in zip((*loaded[0], *loaded[1]), (*real[0], *real[1])):
        assert np.array_equal(got, expected)


def test_truncated_uncompressed_file(tmp_path, real_dir):
    folder = copy_real(real_dir, tmp_path / "data")
    (folder / FILES["t10k-images-idx3-ubyte"].filename).unlink()
    raw = decompressed(real_dir, "t10k-images-idx3-ubyte")
    (folder / "t10k-images-idx3-ubyte").write_bytes(bytes(raw[: len(raw) // 3]))
    with pytest.raises(FashionMNISTError) as excinfo:
        load_fashion_mnist(folder)
    assert_clear_error(excinfo, "t10k-images-idx3-ubyte", "truncated", "declares 10,000 images")


def test_gzipped_content_under_the_uncompressed_name_is_read(tmp_path, real_dir, real):
    folder = copy_real(real_dir, tmp_path / "data")
    (folder / FILES["t10k-labels-idx1-ubyte"].filename).unlink()
    shutil.copy(
        real_dir / FILES["t10k-labels-idx1-ubyte"].filename, folder / "t10k-labels-idx1-ubyte"
    )
    assert np.array_equal(load_fashion_mnist(folder)[1][1], real[1][1])


def kaggle_csv(images: np.ndarray, labels: np.ndarray, seed: int = 0) -> str:
    """The text of a Kaggle-style CSV of these examples, in a shuffled order (as Kaggle's files
    are).
    """
    order = np.random.default_rng(seed).permutation(len(labels))
    rows = np.concatenate([labels[order, None], images[order].reshape(len(order), -1)], axis=1)
    body = "\n".join(",".join(map(str, row)) for row in rows.tolist())
    return ",".join(data.KAGGLE_COLUMNS) + "\n" + body + "\n"


@pytest.fixture(scope="module")
def test_csv_text(real) -> str:
    return kaggle_csv(*real[1])


def test_stored_order_is_the_content_rank_of_the_real_files(real):
    """fashion_mnist_order.npz holds what `python -m tools.data --write-order` computes from the IDX
    files.
    """
    with np.load(data.ORDER_FILE) as stored:
        for split, (images, labels) in zip(("train", "test"), real):
            assert np.array_equal(stored[split], data.content_rank(images, labels))


def test_kaggle_csv_files_load_byte_identical(tmp_path, real):
    folder = tmp_path / "kaggle"
    folder.mkdir()
    for split, (images, labels) in zip(("train", "test"), real):
        (folder / data.KAGGLE_CSV[split]).write_text(kaggle_csv(images, labels, seed=1))
    loaded = load_fashion_mnist(folder)
    for got, expected in zip((*loaded[0], *loaded[1]), (*real[0], *real[1])):
        assert got.dtype == np.uint8 and np.array_equal(got, expected)


def test_one_split_as_csv_the_other_as_idx(tmp_path, real_dir, real, test_csv_text):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in SPLITS_TRAIN:
        os.symlink(real_dir / FILES[name].filename, folder / FILES[name].filename)
    (folder / "fashion-mnist_test.csv").write_text(test_csv_text)
    (x_test, y_test) = load_fashion_mnist(folder)[1]
    assert np.array_equal(x_test, real[1][0]) and np.array_equal(y_test, real[1][1])


SPLITS_TRAIN = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")


def _cut_mid_row(text: str) -> str:  # a copy that stopped inside its last row
    return text[: len(text) - 1000]


def _drop_last_row(text: str) -> str:
    return text.rstrip("\n").rsplit("\n", 1)[0] + "\n"


def _alter_one_pixel(text: str) -> str:
    head, last = text.rstrip("\n").rsplit("\n", 1)
    cells = last.split(",")
    cells[400] = str((int(cells[400]) + 1) % 256)
    return head + "\n" + ",".join(cells) + "\n"


def _wrong_header(text: str) -> str:
    return text.replace("label,pixel1,", "class,pixel1,", 1)


def _value_out_of_range(text: str) -> str:
    head, last = text.rstrip("\n").rsplit("\n", 1)
    return head + "\n" + ",".join(last.split(",")[:-1] + ["300"]) + "\n"


@pytest.mark.parametrize(
    "damage, words",
    [
        (_cut_mid_row, ("empty or non-integer cells", "line 10,001")),
        (lambda text: text[: len(text) // 2], ("rows, but the test set has 10,000",)),
        (_drop_last_row, ("9,999 rows", "10,000")),
        (_alter_one_pixel, ("SHA-256", "not the original Fashion-MNIST test set")),
        (_wrong_header, ("header is not Kaggle's",)),
        (_value_out_of_range, ("outside 0-255",)),
        (lambda text: "\x00\x01binary" * 10, ("",)),
    ],
)
def test_broken_kaggle_csv(tmp_path, real_dir, test_csv_text, damage, words):
    folder = tmp_path / "broken"
    folder.mkdir()
    for name in SPLITS_TRAIN:
        os.symlink(real_dir / FILES[name].filename, folder / FILES[name].filename)
    (folder / "fashion-mnist_test.csv").write_text(damage(test_csv_text))
    with pytest.raises(FashionMNISTError) as excinfo:
        load_fashion_mnist(folder)
    assert_clear_error(excinfo, "fashion-mnist_test.csv", *words)


def test_read_kaggle_csv_rejects_an_unknown_split(tmp_path):
    with pytest.raises(ValueError, match="split must be"):
        data.read_kaggle_csv(tmp_path / "x.csv", "validation")


def test_read_idx_small_files(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(struct.pack(">IIII", 2051, 2, 28, 28) + images.tobytes()))
    assert np.array_equal(read_idx(path, "images"), images)
    path.write_bytes(gzip.compress(struct.pack(">IIII", 2051, 2, 27, 29) + images.tobytes()))
    with pytest.raises(FashionMNISTError, match="27x29, expected 28x28"):
        read_idx(path, "images")
    with pytest.raises(ValueError, match="kind must be"):
        read_idx(path, "pictures")


# Downloads
# -----------------------------------------------------------------------------------------


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FileServer:
    """A local HTTP server for the four files; `cut_after` bytes, when set, ends every response
    early.
    """

    def __init__(self, folder: Path, cut_after: int | None = None):
        server_self = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                path = folder / self.path.lstrip("/")
                if not path.is_file():
                    self.send_error(404)
                    return
                body = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(
                    body if server_self.cut_after is None else body[: server_self.cut_after]
                )
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.cut_after = cut_after
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_download_verifies_and_renames(tmp_path, real_dir):
    dest = tmp_path / "cache"
    with FileServer(real_dir) as server:
        assert download_fashion_mnist(dest, base_url=server.url) == dest
    assert sorted(p.name for p in dest.iterdir()) == sorted(f.filename for f in FILES.values())
    (x_train, _), (x_test, _) = load_fashion_mnist(dest)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)


def test_interrupted_download_leaves_nothing_acceptable(tmp_path, real_dir):
    dest = tmp_path / "cache"
    with (
        FileServer(real_dir, cut_after=4096) as server,
        pytest.raises((FashionMNISTError, OSError, http.client.HTTPException)),
    ):
        download_fashion_mnist(dest, base_url=server.url)
    assert list(dest.iterdir()) == []  # no partial file, under its own name or a temporary one
    with pytest.raises(FashionMNISTError, match="missing"):
        load_fashion_mnist(dest)


def test_interrupted_download_through_the_loader_is_a_clear_error(monkeypatch, tmp_path, real_dir):
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "no-debian-package")
    with FileServer(real_dir, cut_after=4096) as server:
        monkeypatch.setattr(data, "BASE_URL", server.url)
        with pytest.raises(
            FashionMNISTError, match="download of .* failed: the file received is truncated"
        ):
            load_fashion_mnist()


def test_download_of_a_wrong_file_is_rejected(tmp_path, real_dir):
    served = copy_real(real_dir, tmp_path / "served")
    raw = decompressed(real_dir, "t10k-labels-idx1-ubyte")
    raw[8] = (raw[8] + 1) % 10
    replace_file(served, "t10k-labels-idx1-ubyte", bytes(raw))
    dest = tmp_path / "cache"
    with FileServer(served) as server, pytest.raises(FashionMNISTError, match="SHA-256"):
        download_fashion_mnist(dest, base_url=server.url)
    assert FILES["t10k-labels-idx1-ubyte"].filename not in [p.name for p in dest.iterdir()]
    assert not [p for p in dest.iterdir() if p.name.endswith(".part")]


def test_download_fills_in_only_missing_files(tmp_path, real_dir):
    dest = tmp_path / "cache"
    dest.mkdir()
    shutil.copy(real_dir / FILES["train-images-idx3-ubyte"].filename, dest)
    served = tmp_path / "served"
    copy_real(real_dir, served)
    (
        served / FILES["train-images-idx3-ubyte"].filename
    ).unlink()  # the server lacks it: not fetched
    with FileServer(served) as server:
        download_fashion_mnist(dest, base_url=server.url)
    assert len(load_fashion_mnist(dest)[0][0]) == 60000


def test_loading_is_fast(real_dir):
    """Decompress, verify and parse all four files: about 0.6 s on a 2-core machine; 5 s leaves room
    for load.
    """
    import time

    start = time.perf_counter()
    load_fashion_mnist(real_dir)
    assert time.perf_counter() - start < 5.0
