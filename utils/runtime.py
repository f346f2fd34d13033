"""What every notebook does first: seed, quiet TensorFlow's C++ logs, report versions, pick the run mode.

Run mode: `full` (the default, what a person gets) or `smoke` (set `FMNIST_RUN_MODE=smoke`, as
`make test` does): the same code on less data and fewer epochs, so CI runs every notebook in minutes.
Notebooks ask for sizes with `by_mode(full=20, smoke=1)` instead of writing their own `if`s.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import TypeVar

T = TypeVar("T")

MODE_ENV_VAR = "FMNIST_RUN_MODE"
MODES = ("full", "smoke")
DEFAULT_SEED = 42
NATIVE_LOG = Path("artifacts") / "logs" / "native-stderr.log"  # relative to the project root

DISPLAY_NAMES = {"python": "Python", "tensorflow": "TensorFlow", "keras": "Keras", "numpy": "NumPy"}

_state: dict[str, object] = {}


def project_root() -> Path:
    """Return the project's top folder (the one holding `utils/`)."""
    return Path(__file__).resolve().parent.parent


def artifacts_dir(*parts: str) -> Path:
    """Return (and create) a folder under the git-ignored `artifacts/`, where training writes its files."""
    folder = project_root().joinpath("artifacts", *parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def run_mode() -> str:
    """Return "full" or "smoke", from the environment variable `FMNIST_RUN_MODE` (default "full")."""
    mode = os.environ.get(MODE_ENV_VAR, "full").strip().lower() or "full"
    if mode not in MODES:
        raise ValueError(f"{MODE_ENV_VAR}={os.environ[MODE_ENV_VAR]!r}: expected one of {', '.join(MODES)}")
    return mode


def by_mode(*, full: T, smoke: T) -> T:
    """Return `full` in a full run and `smoke` in a smoke run: `epochs = by_mode(full=20, smoke=1)`."""
    return full if run_mode() == "full" else smoke


def median_seconds(fn: Callable[[], object], repeats: int = 5) -> float:
    """Return the median wall-clock seconds of `repeats` calls of `fn()`: robust to one slow call."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - started)
    return median(timings)


def _in_jupyter_kernel() -> bool:
    # In a kernel, Python's sys.stderr is ipykernel's OutStream (it sends text to the notebook, not
    # to file descriptor 2), while C++ libraries write to file descriptor 2 directly.
    return type(sys.stderr).__module__.startswith("ipykernel")


def quiet_native_logs(log_file: Path | None = None) -> Path | None:
    """Send C++ writes to file descriptor 2 into a log file; return it (None outside Jupyter).

    TensorFlow's C++ runtime logs (`I0000 ... cpu_feature_guard`, `absl::InitializeLog`, oneDNN,
    cudart) go straight to descriptor 2, which Jupyter forwards into the cell's output;
    `TF_CPP_MIN_LOG_LEVEL` does not stop all of them. Python's own warnings and errors still show.
    Outside a Jupyter kernel Python's stderr is descriptor 2 as well, so nothing is redirected there.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if not _in_jupyter_kernel():
        return None
    log_file = log_file or project_root() / NATIVE_LOG
    log_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(fd, 2)
    finally:
        os.close(fd)
    return log_file


def device_description() -> str:
    """Return the device TensorFlow will train on, e.g. "GPU: NVIDIA H100" or "CPU (2 cores, no GPU)"."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
        return "GPU: " + ", ".join(names)
    return f"CPU ({os.cpu_count()} cores, no GPU)"


def versions() -> dict[str, str]:
    """Return the versions that matter for reproducing a result."""
    import keras
    import numpy as np
    import tensorflow as tf

    found = {"python": platform.python_version(), "tensorflow": tf.__version__,
             "keras": keras.__version__, "numpy": np.__version__}
    try:
        import sklearn
        found["scikit-learn"] = sklearn.__version__
    except ImportError:
        pass
    return found


def setup(notebook: str, seed: int = DEFAULT_SEED) -> None:
    """Prepare a notebook run: seed, determinism, quiet C++ logs, and a report of where it runs.

    Seeds Python, NumPy and TensorFlow and makes TensorFlow's ops deterministic; keeps TensorFlow's
    C++ log lines, and its Python log below ERROR, out of the outputs; prints versions, device and run mode. `notebook` is the
    notebook's file name without `.ipynb`: `record_results` names the results file after it.
    """
    if not (project_root() / "notebooks" / f"{notebook}.ipynb").is_file():
        raise ValueError(f"setup({notebook!r}): there is no notebooks/{notebook}.ipynb; "
                         "pass the notebook's file name without .ipynb")
    started = time.perf_counter()
    mode = run_mode()
    log_file = quiet_native_logs()

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)  # Python, NumPy and TensorFlow in one call
    tf.config.experimental.enable_op_determinism()  # same seed, same result: run to run
    # TensorFlow's own Python log: INFO lines (tf.distribute) and "retracing" warnings when a notebook builds
    # many models in a row. Errors still show, and so do Python warnings (Keras', scikit-learn's).
    tf.get_logger().setLevel("ERROR")
    _state.update(notebook=notebook, mode=mode, seed=seed, started=started,
                  device=device_description())

    print(" · ".join(f"{DISPLAY_NAMES.get(name, name)} {version}" for name, version in versions().items()))
    print(f"Device: {_state['device']}")
    print(f"Run mode: {mode} · seed {seed}")
    if log_file is not None:
        print(f"TensorFlow's C++ log lines go to {log_file.relative_to(project_root())}")


def current_run() -> dict[str, object]:
    """Return what `setup` recorded (notebook, mode, seed, start time, device); error if it was not called."""
    if not _state:
        raise RuntimeError("call utils.setup('<notebook name>') first, in the notebook's first code cell")
    return dict(_state)
