"""utils.plots: the image grid, training curves, decision boundaries."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex

from utils.plots import (
    best_epoch,
    format_history,
    plot_decision_boundary,
    plot_history,
    plot_image_grid,
    plot_predictions,
)


def test_grid_layout_titles_and_row_labels():
    images = np.random.default_rng(0).integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    fig = plot_image_grid(
        images, titles=[f"t{i}" for i in range(7)], ncols=4, row_labels=["a", "b"]
    )
    axes = fig.axes
    assert len(axes) == 8  # 2 rows x 4 columns, the last one blank
    assert [ax.get_title() for ax in axes[:7]] == [f"t{i}" for i in range(7)]
    assert not axes[7].axison and not axes[7].images
    assert np.array_equal(axes[3].images[0].get_array(), images[3])
    assert axes[0].get_ylabel() == "a" and axes[4].get_ylabel() == "b"
    plt.close(fig)


def test_two_line_titles_never_touch_the_row_above():
    titles = ["true: Shirt\npred: T-shirt/top 0.99"] * 10
    fig = plot_image_grid(np.zeros((10, 28, 28)), titles=titles, ncols=5, size=2.0)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    first_row_bottom = min(ax.get_window_extent(renderer).y0 for ax in fig.axes[:5])
    second_row_titles_top = max(ax.title.get_window_extent(renderer).y1 for ax in fig.axes[5:])
    assert second_row_titles_top < first_row_bottom
    assert fig.axes[0].title.get_fontsize() == 10  # larger images get larger titles
    plt.close(fig)


def test_grid_never_wider_than_the_images():
    fig = plot_image_grid(np.zeros((3, 5, 5)), ncols=10)
    assert len(fig.axes) == 3
    plt.close(fig)


def test_signed_grid_shares_one_symmetric_scale():
    weights = np.stack([np.full((10, 10), -0.5), np.linspace(-1, 1, 100).reshape(10, 10)])
    weights[1, 0, 0] = 50.0  # one outlier does not set the scale
    fig = plot_image_grid(weights, signed=True)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2 and len(fig.axes) == 3  # two images and the colour bar
    low, high = images[0].get_clim()
    assert low == -high and 0.9 < high < 1.0  # symmetric: white is 0 in every image
    assert all(image.get_clim() == (low, high) for image in images)
    assert all(image.get_cmap().name == "RdBu_r" for image in images)
    plt.close(fig)
    plain = plot_image_grid(weights)
    assert plain.axes[0].images[0].get_cmap().name == "binary" and len(plain.axes) == 2
    plt.close(plain)


def test_predictions_right_blue_wrong_red():
    probabilities = np.array([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]])
    labels = np.array([1, 2])  # the first is right, the second wrong
    fig = plot_predictions(np.zeros((2, 8, 8)), probabilities, labels, ["a", "b", "c"], ncols=2)
    image_axes, bar_axes = fig.axes[0::2], fig.axes[1::2]
    assert image_axes[0].xaxis.label.get_text() == "b 80%\n(true: b)"
    assert to_hex(image_axes[0].xaxis.label.get_color()) == to_hex("tab:blue")
    assert image_axes[1].xaxis.label.get_text() == "a 70%\n(true: c)"
    assert to_hex(image_axes[1].xaxis.label.get_color()) == to_hex("tab:red")
    heights = [patch.get_height() for patch in bar_axes[1].patches]
    assert heights == pytest.approx([0.7, 0.2, 0.1])
    colours = [to_hex(patch.get_facecolor()) for patch in bar_axes[1].patches]
    assert colours == [to_hex("tab:red"), to_hex("lightgrey"), to_hex("tab:blue")]
    plt.close(fig)


def test_predictions_bad_input():
    with pytest.raises(ValueError, match="probabilities"):
        plot_predictions(
            np.zeros((2, 8, 8)), np.zeros((2, 4)), np.zeros(2, dtype=int), ["a", "b", "c"]
        )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"images": np.zeros((28, 28))}, "shape \\(n, height, width\\)"),
        ({"images": np.zeros((2, 28, 28)), "titles": ["one"]}, "2 images but 1 titles"),
        ({"images": np.zeros((2, 28, 28)), "row_labels": ["a", "b"]}, "1 rows but 2 row labels"),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_image_grid(**kwargs)


HISTORY = {
    "loss": [1.0, 0.6, 0.5, 0.45],
    "accuracy": [0.6, 0.8, 0.85, 0.9],
    "val_loss": [0.9, 0.6, 0.65, 0.7],
    "val_accuracy": [0.65, 0.8, 0.84, 0.83],
}


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_best_epoch_is_one_based_highest_accuracy_or_lowest_loss():
    assert best_epoch(HISTORY) == 3
    # a keras History holds its dict in .history
    assert (best_epoch(SimpleNamespace(history=HISTORY)) == 3)
    assert best_epoch(HISTORY, monitor="val_loss") == 2
    assert best_epoch({"loss": [3, 2, 1], "val_loss": [2.0, 1.0, 1.5]}, "val_loss") == 2
    with pytest.raises(ValueError, match="no 'val_accuracy' in the history"):
        best_epoch({"loss": [1.0, 0.5]})


def test_history_plot_loss_and_accuracy_side_by_side_best_epoch_marked():
    fig = plot_history(SimpleNamespace(history=HISTORY), title="run")
    loss_ax, acc_ax = fig.axes
    assert (loss_ax.get_title(), acc_ax.get_title()) == ("Loss", "Accuracy")
    lines = lines_by_label(acc_ax)
    assert lines["training"].get_linestyle() == "-" and lines["validation"].get_linestyle() == "--"
    assert list(lines["training"].get_xdata()) == [1, 2, 3, 4]
    assert list(lines["validation"].get_ydata()) == HISTORY["val_accuracy"]
    dots = [line for line in acc_ax.get_lines() if line.get_marker() == "o"]
    assert (
        len(dots) == 1 and list(dots[0].get_xdata()) == [3] and list(dots[0].get_ydata()) == [0.84]
    )
    # each panel marks its own best: the lowest validation loss is at epoch 2, not 3
    loss_dots = [line for line in loss_ax.get_lines() if line.get_marker() == "o"]
    assert list(loss_dots[0].get_xdata()) == [2] and list(loss_dots[0].get_ydata()) == [0.6]
    assert acc_ax.get_legend().get_title().get_text() == "dots: each panel's best validation epoch"
    plt.close(fig)
    fig = plot_history(HISTORY, monitor="val_loss")  # the epoch a checkpoint on val_loss keeps
    for ax in fig.axes:
        dots = [line for line in ax.get_lines() if line.get_marker() == "o"]
        assert list(dots[0].get_xdata()) == [2]
    assert fig.axes[1].get_legend().get_title().get_text() == "dots: best val_loss"
    plt.close(fig)


def test_history_plot_overlays_runs_in_one_colour_each():
    runs = {"adam": HISTORY, "sgd": {k: [v * 0.9 for v in vals] for k, vals in HISTORY.items()}}
    fig = plot_history(runs, show_train=False, val_name="test", mark_best=False)
    lines = lines_by_label(fig.axes[1])
    assert set(lines) == {"adam: test", "sgd: test"}
    assert to_hex(lines["adam: test"].get_color()) != to_hex(lines["sgd: test"].get_color())
    assert not [line for line in fig.axes[1].get_lines() if line.get_marker() == "o"]
    plt.close(fig)


def test_history_plot_of_loss_only():
    fig = plot_history({"a": {"loss": [3.0, 2.0, 1.0]}, "b": {"loss": [2.0, 1.0]}})
    assert len(fig.axes) == 1 and set(lines_by_label(fig.axes[0])) == {"a: training", "b: training"}
    assert fig.axes[0].get_legend().get_title().get_text() == ""
    plt.close(fig)


@pytest.mark.parametrize(
    "runs, error",
    [
        ({}, TypeError),
        ([1, 2, 3], TypeError),
        ({"run": 5}, TypeError),
        ({"precision": [0.5, 0.6]}, ValueError),
    ],
)
def test_history_plot_bad_input(runs, error):
    with pytest.raises(error):
        plot_history(runs)


def test_decision_boundary_colours_regions_by_the_highest_score():
    x = np.array([[-1.0, 0.0], [1.0, 0.0], [0.5, 0.5]])
    y = np.array([0, 1, 1])
    ax = plot_decision_boundary(
        lambda p: np.c_[-p[:, 0], p[:, 0]], x, y, title="split at x = 0", steps=50
    )
    regions = ax.collections[0]  # the filled contour: one region per class
    assert ax.get_title() == "split at x = 0" and len(regions.get_paths()) == 2
    np.testing.assert_array_equal(ax.collections[-1].get_offsets(), x)  # the points, on top
    plt.close(ax.figure)


def test_decision_boundary_bad_input():
    with pytest.raises(ValueError, match="shape \\(n, 2\\)"):
        plot_decision_boundary(lambda p: p, np.zeros((3, 3)), np.zeros(3))


def test_format_history_one_row_per_epoch():
    text = format_history(
        SimpleNamespace(history={**HISTORY, "learning_rate": [0.001, 0.001, 0.0005, 0.0005]})
    )
    lines = text.splitlines()
    assert lines[0].split() == [
        "epoch",
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
        "learning_rate",
    ]
    assert len(lines) == 5
    assert lines[3].split() == ["3", "0.5", "0.85", "0.65", "0.84", "0.0005"]
