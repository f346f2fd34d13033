"""Check the copy of Fashion-MNIST the notebooks would use: `python -m tools.data [--no-download]`."""

from __future__ import annotations

import argparse
import sys

from utils.data import FashionMNISTError, load_fashion_mnist, locate_fashion_mnist


def main(argv: list[str] | None = None) -> int:
    """Verify the copy of Fashion-MNIST that would be used; exit 1 with the reason if there is none."""
    parser = argparse.ArgumentParser(prog="python -m tools.data", description=main.__doc__)
    parser.add_argument("--data-dir", help="look only in this folder")
    parser.add_argument("--no-download", action="store_true", help="only look, never download")
    args = parser.parse_args(argv)
    try:
        folder = locate_fashion_mnist(args.data_dir, download=not args.no_download)
        (x_train, _), (x_test, _) = load_fashion_mnist(folder)
    except FashionMNISTError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"Fashion-MNIST verified in {folder}: {len(x_train):,} training and {len(x_test):,} test images")
    return 0


if __name__ == "__main__":
    sys.exit(main())
