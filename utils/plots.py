"""Plotting helpers that keep matplotlib plumbing out of the notebooks: image grids, training
curves, decision boundaries. matplotlib is imported when a helper is called, not on import."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np


def plot_image_grid(
    images: np.ndarray,
    titles: Sequence[str] | None = None,
    ncols: int = 10,
    size: float = 1.2,
    row_labels: Sequence[str] | None = None,
    signed: bool = False,
):
    """Return a matplotlib Figure showing grey-scale images in a grid, with optional titles.

    `images` has shape (n, height, width). `row_labels`, when given, names each row on its left.
    `signed=True` draws values that can be negative (weights): red positive, blue negative, white 0,
    on one scale shared by all the images, with a colour bar; the scale ends at the 99th percentile
    of the absolute values, so that a few large values do not wash out the rest.
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
    # bigger images, bigger titles: readable at the size the grid is shown
    fontsize = (8 if size < 1.6 else 10)
    title_lines = (
        max((str(t).count("\n") + 1 for t in titles), default=0) if titles is not None else 0
    )
    # room for the titles, so no row touches the next
    row_height = (size + title_lines * fontsize * 1.5 / 72)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(ncols * size, nrows * row_height), squeeze=False
    )
    limit = float(np.percentile(np.abs(images), 99)) or 1.0
    style = {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit} if signed else {"cmap": "binary"}
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        shown = ax.imshow(images[i], **style)
        if titles is not None:
            ax.set_title(titles[i], fontsize=fontsize)
    if row_labels is not None:
        for ax, label in zip(axes[:, 0], row_labels):
            ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout()
    if signed:
        fig.colorbar(shown, ax=axes.ravel().tolist(), shrink=0.8, pad=0.01)
    return fig


def plot_predictions(
    images: np.ndarray,
    probabilities: np.ndarray,
    labels: np.ndarray,
    class_names: Sequence[str],
    ncols: int = 3,
):
    """Return a Figure: each image beside a bar chart of the probabilities the model gave it.

    The image's caption names the predicted class and its probability, in blue when the prediction
    is right and red when it is wrong; the true class's bar is blue, a wrongly predicted class's bar
    red, the others grey. `probabilities` has shape (n, classes) and `labels` shape (n,).
    """
    import matplotlib.pyplot as plt

    images, probabilities, labels = (
        np.asarray(images),
        np.asarray(probabilities),
        np.asarray(labels),
    )
    n = len(images)
    if images.ndim != 3 or probabilities.shape != (n, len(class_names)) or labels.shape != (n,):
        raise ValueError(
            f"images (n, h, w), probabilities (n, {len(class_names)}) and labels (n,) expected, "
            f"not {images.shape}, {probabilities.shape} and {labels.shape}"
        )
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows,
        2 * ncols,
        figsize=(4.6 * ncols, 1.9 * nrows),
        squeeze=False,
        gridspec_kw={"width_ratios": [1, 1.6] * ncols},
    )
    for i, (image_ax, bar_ax) in enumerate(zip(axes.flat[0::2], axes.flat[1::2])):
        if i >= n:
            image_ax.axis("off")
            bar_ax.axis("off")
            continue
        predicted, true = int(probabilities[i].argmax()), int(labels[i])
        colour = "tab:blue" if predicted == true else "tab:red"
        image_ax.imshow(images[i], cmap="binary")
        image_ax.set(xticks=[], yticks=[])
        image_ax.set_xlabel(
            f"{class_names[predicted]} {probabilities[i, predicted]:.0%}\n"
            f"(true: {class_names[true]})",
            color=colour,
            fontsize=8,
        )
        bars = bar_ax.bar(range(len(class_names)), probabilities[i], color="lightgrey")
        bars[predicted].set_color("tab:red")
        bars[true].set_color("tab:blue")
        bar_ax.set(ylim=(0, 1), xticks=range(len(class_names)), yticks=[0, 0.5, 1])
        bar_ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def _as_history(run: object) -> dict[str, list[float]]:
    """Return the {metric: [value per epoch]} dict of a Keras `History` or of a plain dict."""
    values = getattr(run, "history", run)  # keras.callbacks.History keeps its dict in .history
    if not isinstance(values, Mapping) or not values:
        raise TypeError(
            f"expected a keras History or a non-empty dict of per-epoch lists, not "
            f"{type(run).__name__}"
        )
    return {str(name): [float(v) for v in series] for name, series in values.items()}


def best_epoch(history: object, monitor: str = "val_accuracy") -> int:
    """Return the 1-based epoch with the best `monitor` value: the lowest for a loss, else the
    highest.
    """
    values = _as_history(history)
    if monitor not in values:
        raise ValueError(f"no {monitor!r} in the history (it has {', '.join(values)})")
    series = values[monitor]
    return int(np.argmin(series) if "loss" in monitor else np.argmax(series)) + 1


def format_history(history: object) -> str:
    """Return a compact table of a History, one row per epoch: epoch, loss, accuracy, val_loss,
    val_accuracy.
    """
    values = _as_history(history)
    columns: list[str] = [
        name for name in ("loss", "accuracy", "val_loss", "val_accuracy") if name in values
    ]
    columns += [name for name in values if name not in columns]  # e.g. learning_rate
    lines = ["epoch " + " ".join(f"{name:>13}" for name in columns)]
    for epoch in range(max(len(series) for series in values.values())):
        cells = [
            f"{values[name][epoch]:>13.4g}" if epoch < len(values[name]) else " " * 13
            for name in columns
        ]
        lines.append(f"{epoch + 1:>5} " + " ".join(cells))
    return "\n".join(lines)


def plot_history(
    runs: object,
    title: str | None = None,
    val_name: str = "validation",
    show_train: bool = True,
    mark_best: bool = True,
    monitor: str | None = None,
):
    """Return a Figure of training curves: loss and accuracy side by side, best epochs marked.

    `runs` is one Keras `History` (or a dict such as `history.history`), or a dict {label: History}
    to overlay several runs. Training curves are solid, validation curves (`val_` keys) dashed, in
    the same colour per run. A dot marks each run's best validation epoch on each panel: the lowest
    validation loss on the loss panel, the highest validation accuracy on the accuracy panel. With
    `monitor` (say "val_loss"), the dots mark instead the epoch `ModelCheckpoint` or `EarlyStopping`
    would pick with the same `monitor` (see `best_epoch`), on both panels. `val_name` names the
    dashed curves in the legend, e.g. "test" when they were measured on the test set (then pass
    `mark_best=False`: an epoch is never chosen by its test score).
    """
    import matplotlib.pyplot as plt

    is_single = hasattr(runs, "history") or (
        isinstance(runs, Mapping) and runs and all(isinstance(v, Sequence) for v in runs.values())
    )
    named = {"": runs} if is_single else dict(runs) if isinstance(runs, Mapping) else None
    if not named:
        raise TypeError(
            "runs must be a History, a dict of per-epoch lists, or a non-empty dict "
            "{label: History}"
        )
    histories = {label: _as_history(run) for label, run in named.items()}
    metrics = [
        m
        for m in ("loss", "accuracy")
        if any(m in h or f"val_{m}" in h for h in histories.values())
    ]
    if not metrics:
        raise ValueError("the history has neither loss nor accuracy curves")

    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 3.4), squeeze=False)
    for color, (label, history) in zip(
        plt.rcParams["axes.prop_cycle"].by_key()["color"] * 10, histories.items()
    ):
        for ax, metric in zip(axes[0], metrics):
            watched = monitor or f"val_{metric}"
            best = best_epoch(history, watched) if mark_best and watched in history else None
            prefix = f"{label}: " if label else ""
            if show_train and metric in history:
                series = history[metric]
                ax.plot(
                    range(1, len(series) + 1), series, "-", color=color, label=f"{prefix}training"
                )
            if f"val_{metric}" in history:
                series = history[f"val_{metric}"]
                ax.plot(
                    range(1, len(series) + 1),
                    series,
                    "--",
                    color=color,
                    label=f"{prefix}{val_name}",
                )
                if best is not None and best <= len(series):
                    ax.plot(best, series[best - 1], "o", color=color, markersize=6)
    for ax, metric in zip(axes[0], metrics):
        ax.set(xlabel="epoch", ylabel=metric, title=metric.capitalize())
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
    watched = [monitor] if monitor else [f"val_{metric}" for metric in metrics]
    marked = mark_best and any(w in h for h in histories.values() for w in watched)
    legend_title = (
        f"dots: best {monitor}" if monitor else "dots: each panel's best validation epoch"
    )
    # keep curves clear
    outside = ({"loc": "upper left", "bbox_to_anchor": (1.02, 1.0)} if len(histories) > 3 else {})
    axes[0, -1].legend(
        fontsize=8, title=legend_title if marked else None, title_fontsize=8, **outside
    )
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    title: str | None = None,
    ax=None,
    steps: int = 300,
):
    """Return the Axes showing 2-D points `x` coloured by label `y` over the regions `predict`
    assigns.

    `predict` maps an (n, 2) array to (n, classes) scores; each point of a grid covering the data is
    coloured by its highest-scoring class.
    """
    import matplotlib.pyplot as plt

    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or x.shape[1] != 2 or len(y) != len(x):
        raise ValueError(f"x must have shape (n, 2) and y shape (n,), not {x.shape} and {y.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    lo, hi = x.min(axis=0) - 0.25, x.max(axis=0) + 0.25
    grid_x, grid_y = np.meshgrid(np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps))
    regions = np.asarray(predict(np.c_[grid_x.ravel(), grid_y.ravel()])).argmax(axis=1)
    n_classes = int(max(y.max(), regions.max())) + 1
    levels = np.arange(n_classes + 1) - 0.5
    ax.contourf(
        grid_x, grid_y, regions.reshape(grid_x.shape), levels=levels, cmap="Spectral", alpha=0.35
    )
    ax.scatter(
        x[:, 0],
        x[:, 1],
        c=y,
        s=14,
        cmap="Spectral",
        vmin=-0.5,
        vmax=n_classes - 0.5,
        edgecolors="k",
        linewidths=0.3,
    )
    ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), xticks=[], yticks=[])
    if title:
        ax.set_title(title)
    return ax


def plot_seeds(
    spreads: Mapping[str, object], xlabel: str = "validation accuracy", title: str | None = None
):
    """Return a Figure: one row per setting (best mean on top), a dot per seed and a bar at the
    mean.

    `spreads` maps a setting's name to a `utils.seeds.Spread`. A comparison is only as sure as the
    dots are apart: rows whose dots overlap are within the noise.
    """
    import matplotlib.pyplot as plt

    if not spreads:
        raise ValueError("nothing to plot")
    ordered = sorted(spreads.items(), key=lambda item: item[1].mean)  # best at the top
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(ordered) + 1.2))
    for row, (_, spread) in enumerate(ordered):
        values = np.asarray(spread.values, dtype=float)
        ax.plot(
            values,
            np.full(len(values), row),
            "o",
            color="tab:blue",
            alpha=0.6,
            markersize=5,
            label="one seed" if row == 0 else None,
        )
        ax.plot(
            [values.mean()] * 2,
            [row - 0.3, row + 0.3],
            color="black",
            linewidth=2,
            label="mean" if row == 0 else None,
        )
    ax.set_yticks(range(len(ordered)), [name for name, _ in ordered])
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
