"""Plotting helpers that keep matplotlib plumbing out of the notebooks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def plot_image_grid(images: np.ndarray, titles: Sequence[str] | None = None, ncols: int = 10,
                    size: float = 1.2, row_labels: Sequence[str] | None = None):
    """Return a matplotlib Figure showing grey-scale images in a grid, with optional titles.

    `images` has shape (n, height, width). `row_labels`, when given, names each row on its left.
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (n, height, width), not {images.shape}")
    n = len(images)
    if titles is not None and len(titles) != n:
        raise ValueError(f"{n} images but {len(titles)} titles")
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    if row_labels is not None and len(row_labels) != nrows:
        raise ValueError(f"{nrows} rows but {len(row_labels)} row labels")
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.1), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        ax.imshow(images[i], cmap="binary")
        if titles is not None:
            ax.set_title(titles[i], fontsize=8)
    if row_labels is not None:
        for ax, label in zip(axes[:, 0], row_labels):
            ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout()
    return fig
