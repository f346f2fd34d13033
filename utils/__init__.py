"""Shared helpers for the Fashion-MNIST notebooks, called as `utils.X` after one `import utils`.

A helper lives here when two notebooks use it, or when it hides plumbing that would distract a
learner (where the data is, how results are recorded, a progress line); the mechanism a notebook
teaches is written, or printed with `inspect.getsource`, in that notebook. `__all__` lists exactly
the names the notebooks call (a test checks it); `tools/`, `benchmarks/` and the tests import the
rest from the modules themselves.

Importing `utils` imports neither Keras, TensorFlow nor matplotlib: `setup()` imports Keras and its
backend once the C++ log lines are routed away from the notebook, and the other helpers import what
they need when called.
"""

from utils.cluster import free_ports, run_together
from utils.data import CLASS_NAMES, load_fashion_mnist, load_splits, train_val_split
from utils.hparams_log import read_hparams_log, write_hparams_log
from utils.leaderboard import (
    collect_leaderboard,
    format_leaderboard,
    plot_leaderboard,
    seed_spreads,
)
from utils.live_progress import epoch_progress, progress
from utils.models import dense_model, timed_fit
from utils.plots import (
    best_epoch,
    format_history,
    plot_decision_boundary,
    plot_history,
    plot_image_grid,
    plot_predictions,
    plot_seeds,
)
from utils.profile import read_profile
from utils.results import record_results
from utils.runtime import (
    artifacts_dir,
    by_mode,
    device_description,
    fast_path,
    median_seconds,
    project_root,
    require_backend,
    run_mode,
    setup,
)
from utils.scratch import (
    MLP,
    TwoLayerNet,
    cross_entropy,
    numerical_gradient,
    one_hot,
    relative_error,
    sigmoid,
    softmax,
    train_sgd,
)
from utils.search import run_search
from utils.seeds import (
    Spread,
    beyond_noise,
    comparison_seeds,
    difference,
    false_alarm_rate,
    over_seeds,
    summary_table,
    verdict,
)

__all__ = [
    "CLASS_NAMES",
    "MLP",
    "Spread",
    "TwoLayerNet",
    "artifacts_dir",
    "best_epoch",
    "beyond_noise",
    "by_mode",
    "collect_leaderboard",
    "comparison_seeds",
    "cross_entropy",
    "dense_model",
    "device_description",
    "difference",
    "epoch_progress",
    "false_alarm_rate",
    "fast_path",
    "format_history",
    "format_leaderboard",
    "free_ports",
    "load_fashion_mnist",
    "load_splits",
    "median_seconds",
    "numerical_gradient",
    "one_hot",
    "over_seeds",
    "plot_decision_boundary",
    "plot_history",
    "plot_image_grid",
    "plot_leaderboard",
    "plot_predictions",
    "plot_seeds",
    "progress",
    "project_root",
    "read_hparams_log",
    "read_profile",
    "record_results",
    "relative_error",
    "require_backend",
    "run_mode",
    "run_search",
    "run_together",
    "seed_spreads",
    "setup",
    "sigmoid",
    "softmax",
    "summary_table",
    "timed_fit",
    "train_sgd",
    "train_val_split",
    "verdict",
    "write_hparams_log",
]
