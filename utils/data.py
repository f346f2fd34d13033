"""Fashion-MNIST: find the original data, verify it and parse it into NumPy arrays.

`load_fashion_mnist()` has the same contract as `keras.datasets.fashion_mnist.load_data()`, but it
works offline, checks every byte against the published data, and explains what is wrong when a file
is missing, truncated, corrupt or not Fashion-MNIST at all.

A folder holds the data in one of the forms learners have it, for each split (train, test):
  - the two IDX files as published, gzipped (`train-images-idx3-ubyte.gz`, ...) or uncompressed
    (`train-images-idx3-ubyte`, ...);
  - the CSV file of Kaggle's Fashion-MNIST page (`fashion-mnist_train.csv`,
  `fashion-mnist_test.csv`:
    a header, then one image per row, the label and then 784 pixels). Its rows are put back in the
    order of the IDX files (from `fashion_mnist_order.npz`, see `content_rank`) and then checked
    against the same SHA-256 as the IDX files, so every form gives byte-identical arrays.

Where it looks, in order (the first folder that holds both splits is used):
  1. `data_dir`, when given (then nowhere else);
  2. the folder named by the environment variable `FASHION_MNIST_DIR`, when set (then nowhere else:
     a wrong or incomplete folder there is an error naming it, never a silent fall-back);
  3. the Keras cache, `~/.keras/datasets/fashion-mnist/` (or under `$KERAS_HOME`);
  4. Debian's package `dataset-fashion-mnist`: `/usr/share/datasets/fashion-mnist/`;
  5. a download of the missing files from Keras' public URLs into the Keras cache.

`python -m tools.data` checks the copy that would be used (`--no-download` only looks).
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import struct
import tempfile
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CLASS_NAMES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
ENV_VAR = "FASHION_MNIST_DIR"

KAGGLE_CSV = {"train": "fashion-mnist_train.csv", "test": "fashion-mnist_test.csv"}
KAGGLE_COLUMNS = ["label"] + [f"pixel{i}" for i in range(1, 785)]
ORDER_FILE = Path(__file__).with_name("fashion_mnist_order.npz")  # see content_rank

IMAGES_MAGIC = 2051  # IDX: unsigned bytes, 3 dimensions (count, rows, cols)
LABELS_MAGIC = 2049  # IDX: unsigned bytes, 1 dimension (count)
IMAGE_SIDE = 28
HEADER_SIZE = {"images": 16, "labels": 8}  # magic, count (, rows, cols): 4 bytes each
ITEM_SIZE = {"images": IMAGE_SIDE * IMAGE_SIDE, "labels": 1}

HOW_TO_FIX = (
    "Delete the file and load again (a missing file in the Keras cache is downloaded anew), "
    "install Debian's package with `apt-get install dataset-fashion-mnist`, "
    f"or point {ENV_VAR} at a folder holding good copies of the four files."
)


@dataclass(frozen=True)
class IdxFile:
    """One of the four published files: its name and what its decompressed bytes must be."""

    name: str
    kind: str  # "images" or "labels"
    count: int
    size: int
    sha256: str

    @property
    def filename(self) -> str:
        """The gzipped file's name on disk and in the download URL (uncompressed, it is `name`)."""
        return self.name + ".gz"


FILES: dict[str, IdxFile] = {
    f.name: f
    for f in (
        IdxFile(
            "train-images-idx3-ubyte",
            "images",
            60_000,
            47_040_016,
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        ),
        IdxFile(
            "train-labels-idx1-ubyte",
            "labels",
            60_000,
            60_008,
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        ),
        IdxFile(
            "t10k-images-idx3-ubyte",
            "images",
            10_000,
            7_840_016,
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        ),
        IdxFile(
            "t10k-labels-idx1-ubyte",
            "labels",
            10_000,
            10_008,
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        ),
    )
}
SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class FashionMNISTError(Exception):
    """Fashion-MNIST could not be found, or a file is not the original data."""


def _file_error(path: Path, problem: str) -> FashionMNISTError:
    return FashionMNISTError(f"{path}: {problem}. {HOW_TO_FIX}")


def keras_cache_dir() -> Path:
    """Return the folder where Keras caches Fashion-MNIST (`$KERAS_HOME` or `~/.keras`)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets" / "fashion-mnist"


def candidate_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Return the folders `load_fashion_mnist` searches, in order."""
    if data_dir is not None:
        return [Path(data_dir)]
    if os.environ.get(ENV_VAR):
        return [Path(os.environ[ENV_VAR])]
    return [keras_cache_dir(), DEBIAN_DIR]


def _idx_path(folder: Path, f: IdxFile) -> Path | None:
    """Return the file for `f` in `folder`: gzipped if there, else uncompressed, else None."""
    for path in (folder / f.filename, folder / f.name):
        if path.is_file():
            return path
    return None


def _split_source(folder: Path, split: str) -> tuple[str, list[Path]] | None:
    """Return ("idx", [images, labels]) or ("csv", [file]) for one split in `folder`, or None."""
    paths = [_idx_path(folder, FILES[name]) for name in SPLITS[split]]
    if all(paths):
        return "idx", [p for p in paths if p is not None]
    csv = folder / KAGGLE_CSV[split]
    return ("csv", [csv]) if csv.is_file() else None


def _has_all_files(folder: Path) -> bool:
    return all(_split_source(folder, split) is not None for split in SPLITS)


def _missing(folder: Path) -> str:
    """Say what `folder` lacks, split by split."""
    if not folder.exists():
        return "no such folder"
    if not folder.is_dir():
        return "not a folder"
    lacks = []
    for split, names in SPLITS.items():
        if _split_source(folder, split) is None:
            idx = " and ".join(
                f"{name}(.gz)" for name in names if _idx_path(folder, FILES[name]) is None
            )
            lacks.append(f"{idx} (or {KAGGLE_CSV[split]})")
    return "missing " + "; ".join(lacks)


def _open_idx(path: Path):
    """Open an IDX file for reading: a `.gz` name is gunzipped; another name is, when its content is
    gzip.
    """
    if path.suffix != ".gz":
        with open(path, "rb") as f:
            if f.read(2) != b"\x1f\x8b":
                return open(path, "rb")
    return gzip.open(path, "rb")


def _read_header(path: Path, kind: str) -> int:
    """Check an IDX file's header; return the item count it declares."""
    expected_magic = IMAGES_MAGIC if kind == "images" else LABELS_MAGIC
    header_size = HEADER_SIZE[kind]
    try:
        with _open_idx(path) as f:
            header = f.read(header_size)
    except (OSError, EOFError, zlib.error) as e:
        raise _file_error(path, f"not a readable gzip file ({e})") from e
    if len(header) < header_size:
        raise _file_error(path, f"too short to hold an IDX header ({len(header)} bytes)")
    magic, count = struct.unpack(">II", header[:8])
    if magic != expected_magic and path.suffix != ".gz" and header[:5].lstrip().startswith(b"<"):
        raise _file_error(path, "neither a gzip file nor an IDX file (it looks like HTML or XML)")
    if magic != expected_magic:
        raise _file_error(
            path, f"wrong IDX magic number {magic}, expected {expected_magic} for {kind}"
        )
    if kind == "images":
        rows, cols = struct.unpack(">II", header[8:16])
        if (rows, cols) != (IMAGE_SIDE, IMAGE_SIDE):
            raise _file_error(path, f"images are {rows}x{cols}, expected {IMAGE_SIDE}x{IMAGE_SIDE}")
    return count


def read_idx(path: str | os.PathLike, kind: str, sha256: str | None = None) -> np.ndarray:
    """Return the uint8 array stored in an IDX file, gzipped or not, after checking its header and
    length.

    `kind` is "images" (returns shape (n, 28, 28)) or "labels" (shape (n,)). When `sha256` is given,
    the decompressed bytes must have that SHA-256.
    """
    if kind not in ("images", "labels"):
        raise ValueError(f"kind must be 'images' or 'labels', not {kind!r}")
    path = Path(path)
    count = _read_header(path, kind)
    try:
        with _open_idx(path) as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise _file_error(path, f"truncated or corrupt gzip data ({e})") from e
    header_size = HEADER_SIZE[kind]
    expected_size = header_size + count * ITEM_SIZE[kind]
    if len(raw) != expected_size:
        if path.suffix != ".gz" and len(raw) < expected_size:
            raise _file_error(
                path,
                f"truncated: holds {len(raw):,} bytes, but its header "
                f"declares {count:,} {kind} ({expected_size:,} bytes)",
            )
        raise _file_error(
            path,
            f"holds {len(raw):,} bytes once decompressed, but its header "
            f"declares {count:,} {kind} ({expected_size:,} bytes)",
        )
    if sha256 is not None:
        digest = hashlib.sha256(raw).hexdigest()
        if digest != sha256:
            raise _file_error(
                path,
                f"SHA-256 of the decompressed data is {digest}, expected {sha256}: "
                "this is not the original Fashion-MNIST file",
            )
    data = np.frombuffer(
        raw, dtype=np.uint8, offset=header_size
    ).copy()  # writable, like Keras' arrays
    return data.reshape(count, IMAGE_SIDE, IMAGE_SIDE) if kind == "images" else data


def _check_idx_pair(images: Path, labels: Path) -> None:
    """Check the headers of a split's two IDX files and that images and labels agree in number."""
    n_images, n_labels = _read_header(images, "images"), _read_header(labels, "labels")
    if n_images != n_labels:
        raise FashionMNISTError(
            f"{images} declares {n_images:,} images but {labels} declares {n_labels:,} labels: "
            f"the two files do not belong together. {HOW_TO_FIX}"
        )


def _row_keys(rows: np.ndarray) -> list[bytes]:
    return [hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in rows]


def content_rank(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Return, for each example, its position when all examples are sorted by content.

    An example's content is its label and its 784 pixels; the sort key is a hash of them, so the
    order depends on nothing but the data. `fashion_mnist_order.npz` stores this rank for the
    original IDX files: with it, the same examples in any other order (Kaggle's CSV files) are put
    back into the IDX files' order, `sorted_by_content[rank]`. Identical examples are
    interchangeable.
    """
    rows = np.concatenate([labels.reshape(-1, 1), images.reshape(len(images), -1)], axis=1).astype(
        np.uint8
    )
    keys = _row_keys(rows)
    order = np.array(sorted(range(len(rows)), key=keys.__getitem__), dtype=np.int64)
    rank = np.empty(len(rows), dtype=np.int64)
    rank[order] = np.arange(len(rows))
    return rank


def _original_rank(split: str) -> np.ndarray:
    with np.load(ORDER_FILE) as stored:
        return stored[split].astype(np.int64)


def read_kaggle_csv(path: str | os.PathLike, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (images, labels) from a CSV file of Kaggle's Fashion-MNIST page, in the IDX files'
    order.

    `split` is "train" (`fashion-mnist_train.csv`) or "test". The file must have Kaggle's header
    (`label,pixel1,...,pixel784`) and one row per image; once in the IDX files' order, images and
    labels must have the same SHA-256 as the published IDX data.
    """
    import pandas as pd

    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    path = Path(path)
    images_file, labels_file = (FILES[name] for name in SPLITS[split])
    try:
        frame = pd.read_csv(path, low_memory=False)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as e:
        raise _file_error(path, f"not a readable CSV file ({str(e).strip()})") from e
    columns = [str(c) for c in frame.columns]
    if columns != KAGGLE_COLUMNS:
        raise _file_error(
            path,
            f"its header is not Kaggle's `label,pixel1,...,pixel784` "
            f"({len(columns)} columns, starting {','.join(columns[:3])})",
        )
    if len(frame) != labels_file.count:
        raise _file_error(
            path, f"holds {len(frame):,} rows, but the {split} set has {labels_file.count:,}"
        )
    values = frame.to_numpy()
    if (
        values.dtype.kind not in "iu"
    ):  # an empty cell (a row cut short) or text makes the column float/object
        bad = frame.apply(pd.to_numeric, errors="coerce").isna().any(axis=1).to_numpy()
        row = int(np.argmax(bad)) + 2 if bad.any() else None  # +2: the header is line 1
        where = f" (line {row:,})" if row is not None else ""
        raise _file_error(path, f"has empty or non-integer cells{where}")
    if values.min() < 0 or values.max() > 255 or values[:, 0].max() > 9:
        raise _file_error(path, "has values outside 0-255, or labels outside 0-9")
    labels, images = values[:, 0].astype(np.uint8), values[:, 1:].astype(np.uint8)
    order = np.argsort(content_rank(images, labels), kind="stable")  # sorted by content
    rank = _original_rank(split)
    labels, images = labels[order][rank], images[order][rank]  # the IDX files' order
    for f, array in ((images_file, images), (labels_file, labels)):
        header = (
            struct.pack(">II", LABELS_MAGIC, f.count)
            if f.kind == "labels"
            else struct.pack(">IIII", IMAGES_MAGIC, f.count, IMAGE_SIDE, IMAGE_SIDE)
        )
        digest = hashlib.sha256(header + array.tobytes()).hexdigest()
        if digest != f.sha256:
            raise _file_error(
                path,
                f"its {f.kind}, put in the IDX files' order, have SHA-256 {digest}, "
                f"expected {f.sha256} ({f.name}): this is not the original "
                f"Fashion-MNIST {split} set",
            )
    return images.reshape(-1, IMAGE_SIDE, IMAGE_SIDE), labels


def _read_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    source = _split_source(folder, split)
    if source is None:
        raise FashionMNISTError(f"{folder}: {_missing(folder)}. {HOW_TO_FIX}")
    kind, paths = source
    if kind == "csv":
        return read_kaggle_csv(paths[0], split)
    images, labels = paths
    _check_idx_pair(images, labels)
    images_file, labels_file = (FILES[name] for name in SPLITS[split])
    return read_idx(images, "images", images_file.sha256), read_idx(
        labels, "labels", labels_file.sha256
    )


def _fetch(url: str, dest: Path) -> None:
    """Download `url` into `dest` (the caller makes `dest` a temporary file)."""
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
        while chunk := response.read(1 << 20):
            out.write(chunk)


def download_fashion_mnist(
    dest_dir: str | os.PathLike | None = None, base_url: str | None = None
) -> Path:
    """Download the files missing from `dest_dir` (default: the Keras cache); return the folder.

    `base_url` defaults to `BASE_URL`, Keras' public copy of the files.

    Each file goes to a temporary name first and is renamed into place only after it verifies, so an
    interrupted download never leaves a file that the loader would accept.
    """
    dest = Path(dest_dir) if dest_dir is not None else keras_cache_dir()
    base_url = base_url or BASE_URL
    dest.mkdir(parents=True, exist_ok=True)
    for f in FILES.values():
        target = dest / f.filename
        if target.is_file():
            continue
        fd, tmp_name = tempfile.mkstemp(prefix=f.filename + ".", suffix=".part", dir=dest)
        os.close(fd)
        tmp = Path(tmp_name)
        url = base_url + f.filename
        try:
            _fetch(url, tmp)
            read_idx(tmp, f.kind, f.sha256)  # raises unless the download is complete and genuine
            os.replace(tmp, target)
        except FashionMNISTError as e:
            problem = str(e).removeprefix(f"{tmp}: ").removesuffix(f" {HOW_TO_FIX}").rstrip(".")
            raise FashionMNISTError(
                f"the download of {url} failed: the file received is {problem}. Nothing was kept; "
                "try again, or install Debian's package with `apt-get install "
                "dataset-fashion-mnist`."
            ) from e
        finally:
            tmp.unlink(missing_ok=True)
    return dest


def locate_fashion_mnist(data_dir: str | os.PathLike | None = None, download: bool = True) -> Path:
    """Return the folder holding both splits, downloading them into the Keras cache if needed."""
    searched = candidate_dirs(data_dir)
    for folder in searched:
        if _has_all_files(folder):
            return folder
    if data_dir is not None:
        raise FashionMNISTError(
            f"{data_dir}: {_missing(Path(data_dir))}. "
            "Put the four Fashion-MNIST IDX files there (gzipped or not), or Kaggle's "
            f"{KAGGLE_CSV['train']} and {KAGGLE_CSV['test']}, or call "
            "load_fashion_mnist() without data_dir to search the usual places."
        )
    if os.environ.get(ENV_VAR):
        raise FashionMNISTError(
            f"{ENV_VAR}={os.environ[ENV_VAR]}: {_missing(searched[0])}. "
            "Point it at a folder holding the four Fashion-MNIST IDX files (gzipped "
            f"or not) or Kaggle's {KAGGLE_CSV['train']} and {KAGGLE_CSV['test']}, "
            "or unset it to search the usual places."
        )
    looked = ", ".join(str(d) for d in searched)
    if not download:
        raise FashionMNISTError(f"Fashion-MNIST not found (looked in: {looked}). {HOW_TO_FIX}")
    try:
        return download_fashion_mnist()
    except (OSError, http.client.HTTPException) as e:  # no network, refused, cut off, timed out
        raise FashionMNISTError(
            f"Fashion-MNIST not found (looked in: {looked}) and the download from {BASE_URL} "
            f"failed ({e}). Without internet, install Debian's package: "
            f"`apt-get install dataset-fashion-mnist` (or `make data`), or set {ENV_VAR}."
        ) from e


def load_fashion_mnist(
    data_dir: str | os.PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return `(x_train, y_train), (x_test, y_test)` as uint8 arrays, verified against the
    originals.

    Shapes are (60000, 28, 28), (60000,), (10000, 28, 28) and (10000,), as from
    `keras.datasets.fashion_mnist.load_data()`, in the same order whatever form the files have.
    Raises `FashionMNISTError` on any problem.
    """
    folder = locate_fashion_mnist(data_dir)
    for split in SPLITS:  # the cheap header checks of both splits before the long reads
        kind, paths = _split_source(folder, split) or ("", [])
        if kind == "idx":
            _check_idx_pair(*paths)
    return _read_split(folder, "train"), _read_split(folder, "test")


def train_val_split(
    x: np.ndarray, y: np.ndarray, val_size: float = 0.2, seed: int = 42
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return `(x_train, y_train), (x_val, y_val)`: the books' 48,000/12,000 split by default.

    It is scikit-learn's `train_test_split(x, y, test_size=0.2, random_state=42)`, so validation
    numbers here compare with the reference books' numbers.
    """
    from sklearn.model_selection import train_test_split

    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} rows but y has {len(y)}")
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=val_size, random_state=seed)
    return (x_train, y_train), (x_val, y_val)


Split = tuple[np.ndarray, np.ndarray]


def load_splits(data_dir: str | os.PathLike | None = None) -> tuple[Split, Split, Split]:
    """Return (x_train, y_train), (x_val, y_val), (x_test, y_test), images as float32 in [0, 1].

    Images keep their (n, 28, 28) shape; the 60,000 training images are split 48,000 / 12,000 by
    `train_val_split` (the reference books' split); the 10,000 test images are left whole.
    """
    (x_full, y_full), (x_test, y_test) = load_fashion_mnist(data_dir)
    train, val = train_val_split(x_full.astype(np.float32) / 255, y_full)
    return train, val, (x_test.astype(np.float32) / 255, y_test)
