"""A KerasTuner search that resumes where it stopped and keeps its plumbing out of the lesson.

Notebook 11 teaches the search itself: the search space (`build_model`), the tuner and what it
found. What it needs besides, and hides here: a folder named after the code and settings (so a
changed search starts afresh instead of mixing old trials with new ones), a clock that adds up the
time of resumed runs, KerasTuner's printing of absolute paths and scikit-learn's warnings kept out
of the notebook, and a progress line while the trials run.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import io
import shutil
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from utils.live_progress import epoch_progress
from utils.runtime import artifacts_dir, current_run

CLOCK_FILE = "search_seconds.txt"


def search_name(
    build_model: Callable[..., Any], settings: dict[str, Any], seed: int, backend: str
) -> str:
    """Return a project name that changes whenever `build_model`'s code, the settings or the seed
    do.
    """
    text = inspect.getsource(build_model) + repr(sorted(settings.items()))
    return f"search_{backend}_seed{seed}_" + hashlib.sha256(text.encode()).hexdigest()[:12]


def _quiet(
    tuner_class: Callable[..., Any],
    build_model: Callable[..., Any],
    max_trials: int,
    seed: int,
    folder: Path,
    name: str,
    tuner_kwargs: dict[str, Any],
) -> Any:
    """Make the tuner without letting KerasTuner print a resumed search's absolute path."""
    with contextlib.redirect_stdout(io.StringIO()):
        return tuner_class(
            build_model,
            max_trials=max_trials,
            seed=seed,
            directory=folder,
            project_name=name,
            **tuner_kwargs,
        )


def run_search(
    tuner_class: Callable[..., Any],
    build_model: Callable[..., Any],
    *,
    max_trials: int,
    seed: int,
    fit: dict[str, Any],
    **tuner_kwargs: Any,
) -> tuple[Any, float]:
    """Return (tuner, seconds) after `tuner.search(**fit)`, resumed from an earlier run with the
    same code.

    The tuner is `tuner_class(build_model, max_trials=..., seed=..., **tuner_kwargs)`, writing its
    trials under `artifacts/<notebook>/` in a folder named by `search_name`. `fit` holds what
    `tuner.search` is given (data, epochs, batch size); a progress line shows trial and epoch. The
    seconds add the time of earlier runs of the same search.
    """
    import keras

    fit = dict(fit)
    if max_trials < 1:
        raise ValueError(f"max_trials must be at least 1, not {max_trials}")
    sizes = {
        k: (len(v) if hasattr(v, "__len__") and not isinstance(v, (int, float, str)) else v)
        for k, v in fit.items()
        if k != "validation_data"
    }
    settings = {**sizes, **{k: repr(v) for k, v in tuner_kwargs.items()}, "max_trials": max_trials}
    name = search_name(build_model, settings, seed, keras.backend.backend())
    folder = artifacts_dir(str(current_run()["notebook"]))
    with warnings.catch_warnings():
        # The Bayesian tuner fits a Gaussian process with scikit-learn, which warns when trials sit
        # close together: harmless.
        from sklearn.exceptions import ConvergenceWarning

        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        tuner = _quiet(tuner_class, build_model, max_trials, seed, folder, name, tuner_kwargs)
        unfinished = [t for t in tuner.oracle.trials.values() if t.status != "COMPLETED"]
        if unfinished:  # a run stopped mid-trial: that trial would never finish, so start afresh
            shutil.rmtree(tuner.project_dir)
            print("an earlier run stopped during a trial: this search starts afresh")
            tuner = _quiet(tuner_class, build_model, max_trials, seed, folder, name, tuner_kwargs)
        done = len(tuner.oracle.trials)
        if done:
            shown = Path(tuner.project_dir).relative_to(folder.parent.parent)  # the project's
            print(f"resuming {shown}: {done} trials already done")
        clock = Path(tuner.project_dir) / CLOCK_FILE
        previous = float(clock.read_text()) if clock.exists() else 0.0
        started = time.perf_counter()
        trials_line = epoch_progress(runs=max_trials, done=min(done, max_trials - 1))
        callbacks = [*fit.pop("callbacks", []), trials_line]
        tuner.search(**fit, callbacks=callbacks, verbose=0)
        seconds = previous + time.perf_counter() - started
    clock.write_text(f"{seconds:.3f}")
    return tuner, seconds
