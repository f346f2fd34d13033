"""Shared helpers for the Fashion-MNIST notebooks.

Importing `utils` imports neither Keras, TensorFlow nor matplotlib: `setup()` imports Keras and its
backend once the C++ log lines are routed away from the notebook, and plotting helpers import matplotlib when called.
"""

from utils.data import CLASS_NAMES, FashionMNISTError, load_fashion_mnist, load_splits, train_val_split
from utils.plots import best_epoch, format_history, plot_history, plot_image_grid, plot_predictions, plot_seeds
from utils.results import record_results
from utils.runtime import artifacts_dir, by_mode, fast_path, median_seconds, require_backend, run_mode, setup
from utils.seeds import Spread, comparison_seeds, over_seeds, summary_table, verdict

__all__ = [
    "CLASS_NAMES", "FashionMNISTError", "Spread", "artifacts_dir", "best_epoch", "by_mode", "comparison_seeds",
    "fast_path", "format_history", "load_fashion_mnist", "load_splits", "median_seconds", "over_seeds",
    "plot_history", "plot_image_grid", "plot_predictions", "plot_seeds", "record_results", "require_backend", "run_mode", "setup",
    "summary_table", "train_val_split", "verdict",
]
