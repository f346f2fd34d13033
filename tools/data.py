"""Check the copy of Fashion-MNIST the notebooks would use: `python -m tools.data [--no-download]`.

`--write-order` (re)writes `utils/fashion_mnist_order.npz` from the verified IDX files: the rank of
every example when sorted by content, which puts Kaggle's CSV rows back in the IDX files' order.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from utils.data import (
    ORDER_FILE,
    FashionMNISTError,
    content_rank,
    load_fashion_mnist,
    locate_fashion_mnist,
)


def main(argv: list[str] | None = None) -> int:
    """Verify the copy of Fashion-MNIST that would be used; exit 1 with the reason if there is none.
    """
    parser = argparse.ArgumentParser(prog="python -m tools.data", description=main.__doc__)
    parser.add_argument("--data-dir", help="look only in this folder")
    parser.add_argument("--no-download", action="store_true", help="only look, never download")
    parser.add_argument(
        "--write-order",
        action="store_true",
        help=f"write {ORDER_FILE.name} (the IDX files' order by content) from the verified copy",
    )
    args = parser.parse_args(argv)
    try:
        folder = locate_fashion_mnist(args.data_dir, download=not args.no_download)
        (x_train, y_train), (x_test, y_test) = load_fashion_mnist(folder)
    except FashionMNISTError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.write_order:  # uint16: 60,000 < 2**16
        np.savez_compressed(
            ORDER_FILE,
            train=content_rank(x_train, y_train).astype(np.uint16),
            test=content_rank(x_test, y_test).astype(np.uint16),
        )
        print(f"wrote {ORDER_FILE}")
    print(
        f"Fashion-MNIST verified in {folder}: {len(x_train):,} training and {len(x_test):,} test "
        f"images"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
