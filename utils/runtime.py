"""What every notebook does first: seed, quiet TensorFlow's C++ logs, choose how to train, report,
pick the run mode.

Run mode: `full` (the default, what a person gets) or `smoke` (set `FMNIST_RUN_MODE=smoke`, as `make
test` does): the same code on less data and fewer epochs, so CI runs every notebook in minutes.
Notebooks ask for sizes with `by_mode(full=20, smoke=1)` instead of writing their own `if`s.

Training path: `setup` decides once how Keras trains fastest while staying bit-for-bit reproducible
(same seed, same machine, same weights; `tests/test_reproducible.py` checks it in separate
processes), and `fast_path(...)` hands that choice to `compile`. Notebook 12 explains and measures
it.
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
SEED_ENV_VAR = "FMNIST_SEED"
MODES = ("full", "smoke")
DEFAULT_SEED = 42
NATIVE_LOG = Path("artifacts") / "logs" / "native-stderr.log"  # relative to the project root

DISPLAY_NAMES = {
    "python": "Python",
    "tensorflow": "TensorFlow",
    "keras": "Keras",
    "numpy": "NumPy",
    "jax": "JAX",
    "torch": "PyTorch",
}

_state: dict[str, object] = {}


def project_root() -> Path:
    """Return the project's top folder (the one holding `utils/`)."""
    return Path(__file__).resolve().parent.parent


def artifacts_dir(*parts: str) -> Path:
    """Return (and create) a folder under the git-ignored `artifacts/`, where training writes its
    files.
    """
    folder = project_root().joinpath("artifacts", *parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def run_mode() -> str:
    """Return "full" or "smoke", from the environment variable `FMNIST_RUN_MODE` (default "full").
    """
    mode = os.environ.get(MODE_ENV_VAR, "full").strip().lower() or "full"
    if mode not in MODES:
        raise ValueError(
            f"{MODE_ENV_VAR}={os.environ[MODE_ENV_VAR]!r}: expected one of {', '.join(MODES)}"
        )
    return mode


def run_seed() -> int:
    """Return the seed of this run: `FMNIST_SEED` if set (a whole number >= 0), else 42."""
    text = os.environ.get(SEED_ENV_VAR, "").strip()
    if not text:
        return DEFAULT_SEED
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if seed < 0 or seed >= 2**32:
        raise ValueError(
            f"{SEED_ENV_VAR}={os.environ[SEED_ENV_VAR]!r}: expected a whole number from 0 to 2**32 "
            f"- 1"
        )
    return seed


def by_mode(*, full: T, smoke: T) -> T:
    """Return `full` in a full run and `smoke` in a smoke run: `epochs = by_mode(full=20, smoke=1)`.
    """
    return full if run_mode() == "full" else smoke


def median_seconds(fn: Callable[[], object], repeats: int = 5, label: str | None = None) -> float:
    """Return the median wall-clock seconds of `repeats` calls of `fn()`: robust to one slow call.

    With a `label` ("timed iteration"), a Jupyter cell shows a progress line while the calls run.
    """
    from utils.live_progress import progress

    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    timings = []
    calls = progress(range(repeats), label) if label else range(repeats)
    for _ in calls:
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
    Outside a Jupyter kernel Python's stderr is descriptor 2 as well, so nothing is redirected
    there.
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


def keras_backend() -> str:
    """Return the Keras backend this process uses ("tensorflow", "jax", "torch"), imported if need
    be.
    """
    import keras

    return keras.backend.backend()


def device_description() -> str:
    """Return the device Keras will train on, e.g. "GPU: NVIDIA H100" or "CPU (2 cores, no GPU)"."""
    backend = keras_backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        names = [
            tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus
        ]
    elif backend == "jax":
        import jax

        names = [d.device_kind for d in jax.devices() if d.platform != "cpu"]
    else:
        import torch

        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return "GPU: " + ", ".join(names) if names else f"CPU ({os.cpu_count()} cores, no GPU)"


def versions() -> dict[str, str]:
    """Return the versions that matter for reproducing a result: Python, the Keras backend, Keras,
    NumPy.
    """
    import importlib

    import keras
    import numpy as np

    backend = keras_backend()
    found = {
        "python": platform.python_version(),
        backend: importlib.import_module(backend).__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }
    try:
        import sklearn

        found["scikit-learn"] = sklearn.__version__
    except ImportError:
        pass
    return found


def pinned_versions(requirements: Path | None = None) -> dict[str, str]:
    """Return {package: version} pinned with `==` in `requirements.txt`: what the stored outputs
    were made with.

    Package names are given as `versions()` names them (`tensorflow-cpu` counts as `tensorflow`); an
    absent file gives {}.
    """
    path = requirements or project_root() / "requirements.txt"
    if not path.is_file():
        return {}
    pins = {}
    for line in path.read_text().splitlines():
        name, sep, version = line.split("#")[0].strip().partition("==")
        if sep and name and version:
            name = name.strip().lower().replace("_", "-")
            pins["tensorflow" if name in ("tensorflow-cpu", "tensorflow-gpu") else name] = (
                version.strip()
            )
    return pins


def versions_note(found: dict[str, str], pins: dict[str, str]) -> str:
    """Say in one line whether `found` (from `versions()`) matches the versions the stored outputs
    were made with.
    """
    if not any(name in pins for name in found):
        return "No requirements.txt found to compare these versions with."
    differ = [
        f"{DISPLAY_NAMES.get(name, name)} {pins[name]}"
        for name, version in found.items()
        if name in pins and pins[name] != version
    ]
    if not differ:
        return "These are the versions the stored outputs were made with (requirements.txt)."
    return (
        f"The stored outputs were made with {', '.join(differ)} (requirements.txt); "
        "with other versions your trained numbers may differ a little."
    )


def _plain_rich_text_in_jupyter() -> None:
    # Keras draws `model.summary()` with rich. In Jupyter, rich adds an empty HTML output above the
    # text even when `print_fn=print` asks for plain text; told it is not in Jupyter, it prints text
    # only.
    try:
        import rich.console
    except ImportError:
        return
    if hasattr(rich.console, "_is_jupyter"):
        rich.console._is_jupyter = lambda: False


def configure_training(seed: int = DEFAULT_SEED) -> str:
    """Seed everything and choose the fastest bit-reproducible way to train here; return the choice
    in words.

    TensorFlow on a CPU: op determinism off, no XLA. Its CPU kernels give the same bits run after
    run on one machine without it (`tests/test_reproducible.py`), and XLA was not clearly faster on
    the CPU we measured for these small networks, and about 3x slower with dropout
    (`benchmarks/training_speed.py`). TensorFlow on a GPU: op determinism on, since some GPU kernels
    are otherwise not deterministic. JAX: its own XLA compilation, deterministic on a CPU.
    `fast_path()` hands the choice to `compile`.
    """
    import keras

    # Python, NumPy, TensorFlow (if installed) and Keras' own generator
    keras.utils.set_random_seed(seed)
    backend = keras_backend()
    if backend == "tensorflow":
        import tensorflow as tf
        from tensorflow.python.framework import config as tf_config  # has the switch back off, too

        # TensorFlow's own Python log: INFO lines (tf.distribute) and "retracing" warnings when a
        # notebook
        # builds many models in a row. Errors still show, and so do Python warnings (Keras',
        # scikit-learn's).
        tf.get_logger().setLevel("ERROR")
        _state.update(jit_compile=False)
        if tf.config.list_physical_devices("GPU"):
            tf_config.enable_op_determinism()
            return "TensorFlow on GPU, op determinism on, no XLA"
        tf_config.disable_op_determinism()  # the default; undoes an earlier setup in this process
        return "TensorFlow on CPU, op determinism off, no XLA"
    if backend == "jax":
        _state.update(jit_compile=True)
        return "JAX, compiled with XLA"
    _state.update(jit_compile=False)
    return f"{backend}, eager"


def fast_path(steps_per_execution: int = 1) -> dict[str, object]:
    """Return `compile` keyword arguments for the path `setup` chose: `model.compile(...,
    **fast_path(1500))`.

    `steps_per_execution` batches run per call from Python into the backend (one epoch's worth
    removes almost all per-step overhead); `jit_compile` says whether to compile with XLA, as
    `setup` chose. Neither changes the mathematics, only how fast it runs (notebook 12).
    """
    if steps_per_execution < 1:
        raise ValueError(f"steps_per_execution must be at least 1, not {steps_per_execution}")
    if "jit_compile" not in _state:
        raise RuntimeError(
            "call utils.setup('<notebook name>') first: it chooses the training path"
        )
    return {"steps_per_execution": steps_per_execution, "jit_compile": _state["jit_compile"]}


class BackendError(RuntimeError):
    """A notebook needs another Keras backend; shown in Jupyter as one line, without a traceback."""

    def _render_traceback_(self) -> list[str]:  # IPython's hook for how an exception is displayed
        return [f"{type(self).__name__}: {self}"]


def require_backend(backend: str) -> None:
    """Stop a notebook that teaches one backend's own API (e.g. TensorFlow's) when Keras runs on
    another.
    """
    found = keras_backend()
    if found != backend:
        raise BackendError(
            f"this notebook teaches {DISPLAY_NAMES.get(backend, backend)} itself and needs "
            f"KERAS_BACKEND={backend}; Keras runs on {found} here. Unset KERAS_BACKEND "
            f"or set it to {backend}, then restart the kernel."
        )


def setup(notebook: str, seed: int | None = None) -> int:
    """Prepare a notebook run and return its seed: seed, training path, quiet C++ logs, a report of
    where it runs.

    The seed is `seed` if given, else `FMNIST_SEED`, else 42 (`run_seed`); the notebook trains its
    models from it, so one environment variable re-runs a whole notebook under another seed. Seeds
    Python, NumPy and the Keras backend and chooses how to train (`configure_training`); keeps the
    backend's C++ log lines, and TensorFlow's Python log below ERROR, out of the outputs; prints the
    versions (and whether they are the ones the stored outputs were made with), backend, device,
    training path and run mode. In Jupyter, `model.summary(print_fn=print)` then prints text only.
    `notebook` is the notebook's file name without `.ipynb`: `record_results` names the results file
    after it.
    """
    if not (project_root() / "notebooks" / f"{notebook}.ipynb").is_file():
        raise ValueError(
            f"setup({notebook!r}): there is no notebooks/{notebook}.ipynb; "
            "pass the notebook's file name without .ipynb"
        )
    started = time.perf_counter()
    mode = run_mode()
    seed = run_seed() if seed is None else seed
    log_file = quiet_native_logs()
    training_path = configure_training(seed)
    _state.update(
        notebook=notebook,
        mode=mode,
        seed=seed,
        started=started,
        backend=keras_backend(),
        device=device_description(),
        training_path=training_path,
    )

    if log_file is not None:
        _plain_rich_text_in_jupyter()
    found = versions()
    print(
        " · ".join(f"{DISPLAY_NAMES.get(name, name)} {version}" for name, version in found.items())
    )
    print(versions_note(found, pinned_versions()))
    print(f"Keras backend: {_state['backend']} · device: {_state['device']}")
    print(f"Training path: {training_path}")
    print(f"Run mode: {mode} · seed {seed}")
    if log_file is not None:
        backend = str(_state["backend"])
        print(
            f"{DISPLAY_NAMES.get(backend, backend)}'s C++ log lines go to "
            f"{log_file.relative_to(project_root())}"
        )
    return seed


def current_run() -> dict[str, object]:
    """Return what `setup` recorded (notebook, mode, seed, start time, backend, device, path); error
    before it.
    """
    if "notebook" not in _state:
        raise RuntimeError(
            "call utils.setup('<notebook name>') first, in the notebook's first code cell"
        )
    return dict(_state)
