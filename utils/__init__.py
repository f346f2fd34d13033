"""Shared helpers for the Fashion-MNIST notebooks.

Importing `utils` imports neither Keras, TensorFlow nor matplotlib: `setup()` imports Keras and its
backend once the C++ log lines are routed away from the notebook, and plotting helpers import matplotlib when called.
"""

from utils.data import CLASS_NAMES, FashionMNISTError, load_fashion_mnist, load_splits, train_val_split
from utils.plots import best_epoch, format_history, plot_history, plot_image_grid
from utils.results import record_results
from utils.runtime import artifacts_dir, by_mode, fast_path, median_seconds, require_backend, run_mode, setup

__all__ = [
    "CLASS_NAMES", "FashionMNISTError", "artifacts_dir", "best_epoch", "by_mode", "fast_path", "format_history",
    "load_fashion_mnist", "load_splits", "median_seconds", "plot_history", "plot_image_grid", "record_results",
    "require_backend", "run_mode", "setup", "train_val_split",
]
