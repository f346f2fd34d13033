"""utils.plots: the image grid."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from utils.plots import plot_image_grid


def test_grid_layout_titles_and_row_labels():
    images = np.random.default_rng(0).integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    fig = plot_image_grid(images, titles=[f"t{i}" for i in range(7)], ncols=4, row_labels=["a", "b"])
    axes = fig.axes
    assert len(axes) == 8  # 2 rows x 4 columns, the last one blank
    assert [ax.get_title() for ax in axes[:7]] == [f"t{i}" for i in range(7)]
    assert not axes[7].axison and not axes[7].images
    assert np.array_equal(axes[3].images[0].get_array(), images[3])
    assert axes[0].get_ylabel() == "a" and axes[4].get_ylabel() == "b"
    plt.close(fig)


def test_grid_never_wider_than_the_images():
    fig = plot_image_grid(np.zeros((3, 5, 5)), ncols=10)
    assert len(fig.axes) == 3
    plt.close(fig)


@pytest.mark.parametrize("kwargs, message", [
    ({"images": np.zeros((28, 28))}, "shape \\(n, height, width\\)"),
    ({"images": np.zeros((2, 28, 28)), "titles": ["one"]}, "2 images but 1 titles"),
    ({"images": np.zeros((2, 28, 28)), "row_labels": ["a", "b"]}, "1 rows but 2 row labels"),
])
def test_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_image_grid(**kwargs)
