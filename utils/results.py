"""The results record: each notebook's headline numbers in `results/<notebook>.json`.

A notebook calls `record_results({...})` once, at its end. In a full run that writes `{"notebook",
"mode": "full", "metrics", "versions", "backend", "device", "training_path", "seconds"}`, and
`"trainings"`: for a metric given as a `Spread` (a mean over a comparison's seeds), the value of
each training, {metric: {training seed: value}}, so that the seed tool can report the spread of one
training beside the spread of the mean; a smoke
run checks and prints the same record but never writes it, so smoke numbers never replace full ones.
The committed results are TensorFlow's (the default backend) under seed 42: a full run on another
Keras backend writes to `artifacts/results-<backend>/`, one under another seed (`FMNIST_SEED`) to
`artifacts/results-seed-<seed>/`, and `FMNIST_RESULTS_DIR` names another folder (the seed tool,
`tools/seeds.py`, uses it). The first metric is the notebook's headline result in the README.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from utils.runtime import DEFAULT_SEED, artifacts_dir, current_run, project_root, versions
from utils.seeds import Spread

DEFAULT_BACKEND = "tensorflow"  # the backend whose full runs are committed in results/
RESULTS_DIR_ENV_VAR = "FMNIST_RESULTS_DIR"
# Set by `make run` (tools/run_notebooks.py): a record bound for `results/` is written to this
# folder instead, and moved into `results/` only together with its executed notebook.
STAGING_DIR_ENV_VAR = "FMNIST_STAGING_DIR"

METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
REQUIRED_KEYS = ("notebook", "mode", "metrics", "versions", "seconds")
# A top-level `if "google.colab" in sys.modules...:` block and its indented body: code that runs
# only in Colab.
COLAB_ONLY = re.compile(
    r'^if "google\.colab" in sys\.modules\b[^\n]*\n(?:[ \t][^\n]*\n)*', flags=re.MULTILINE
)


class ResultsError(Exception):
    """A results file is missing, unreadable or not in the expected form."""


def results_dir() -> Path:
    """Return the project's `results/` folder."""
    return project_root() / "results"


def results_folder(backend: str = DEFAULT_BACKEND, seed: int = DEFAULT_SEED) -> Path:
    """Return where a full run's record goes: `FMNIST_RESULTS_DIR` if set, else `results/` for the
    committed runs (TensorFlow, seed 42), else `artifacts/results-<backend>/` or
    `artifacts/results-seed-<seed>/`.
    """
    override = os.environ.get(RESULTS_DIR_ENV_VAR, "").strip()
    if override:
        return Path(override)
    if backend != DEFAULT_BACKEND:
        return artifacts_dir(f"results-{backend}")
    return results_dir() if seed == DEFAULT_SEED else artifacts_dir(f"results-seed-{seed}")


def format_value(value: float) -> str:
    """Return a metric as the README and notebooks show it: 48,000 / 0.8872 / 12.35 / 1.2e-09."""
    if isinstance(value, int):
        return f"{value:,}"
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.1e}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.4f}"


def _split_spreads(
    metrics: dict[str, object],
) -> tuple[dict[str, object], dict[str, dict[str, float]]]:
    """Return the metrics with each `Spread` replaced by its mean, and {name: {seed: value}} of the
    Spreads.
    """
    plain: dict[str, object] = {}
    trainings: dict[str, dict[str, float]] = {}
    for name, value in metrics.items():
        if isinstance(value, Spread):
            plain[name] = value.mean
            trainings[name] = {str(s): float(v) for s, v in zip(value.seeds, value.values)}
        else:
            plain[name] = value
    return plain, trainings


def _clean_metrics(metrics: dict[str, object]) -> dict[str, int | float]:
    if not isinstance(metrics, dict) or not metrics:
        raise ValueError("metrics must be a non-empty dict of {name: number}")
    clean: dict[str, int | float] = {}
    for name, value in metrics.items():
        if not isinstance(name, str) or not METRIC_NAME.match(name):
            raise ValueError(
                f"metric name {name!r}: use lower_case letters, digits and underscores"
            )
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"metric {name!r} is {value!r}: expected a number")
        value = int(value) if isinstance(value, numbers.Integral) else float(value)
        if not math.isfinite(value):
            raise ValueError(f"metric {name!r} is {value}: expected a finite number")
        clean[name] = value
    return clean


def record_results(metrics: dict[str, object], folder: Path | None = None) -> None:
    """Print this run's headline numbers and, in a full run, save them to `results/<notebook>.json`.

    A metric may be a number or a `Spread` (recorded as its mean, with every training's value).
    """
    run = current_run()
    if not isinstance(metrics, dict):
        raise ValueError("metrics must be a non-empty dict of {name: number}")
    plain, trainings = _split_spreads(metrics)
    clean = _clean_metrics(plain)
    record: dict[str, Any] = {
        "notebook": run["notebook"],
        "mode": run["mode"],
        "metrics": clean,
        "versions": versions(),
        "backend": run.get("backend", DEFAULT_BACKEND),
        "device": run["device"],
        "training_path": run.get("training_path", ""),
        "seed": run.get("seed", DEFAULT_SEED),
        "seconds": round(time.perf_counter() - float(run["started"]), 1),  # type: ignore[arg-type]
    }
    if trainings:
        record["trainings"] = trainings
    width = max(len(name) for name in clean)
    for name, value in clean.items():
        print(f"{name:<{width}}  {format_value(value)}")
    if folder is None:
        folder = results_folder(str(record["backend"]), int(record["seed"]))
    path = folder / f"{record['notebook']}.json"
    if record["mode"] != "full":
        print(
            f"Smoke run: {path.parent.name}/{path.name} is left as it is (only full runs write "
            f"results)."
        )
        return
    staging = os.environ.get(STAGING_DIR_ENV_VAR, "").strip()
    written = Path(staging) / path.name if staging and path.parent == results_dir() else path
    write_json_atomically(written, record)
    shown = (
        path.relative_to(project_root())
        if path.is_relative_to(project_root())
        else f"{path.parent.name}/{path.name}"
    )
    print(f"Saved to {shown}")


def code_sha256(sources: list[str]) -> str:
    """Return the SHA-256 of a notebook's code cells (their sources, in order): the mark of the code
    that made its outputs. Blocks that run only in Colab (the setup cell's clone) are left out: the
    stored outputs come from runs outside Colab, where those lines never execute.
    """
    kept = [COLAB_ONLY.sub("", source) for source in sources]
    return hashlib.sha256(json.dumps(kept).encode()).hexdigest()


def notebook_code_sha256(path: Path) -> str:
    """Return `code_sha256` of the code cells of the notebook file at `path`."""
    cells = json.loads(Path(path).read_text())["cells"]
    return code_sha256(
        [
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells
            if c["cell_type"] == "code"
        ]
    )


def write_json_atomically(path: Path, data: object) -> None:
    """Write `data` as JSON to `path` through a temporary file: readers see the old or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.chmod(tmp, 0o644)  # mkstemp makes files private; results are for everyone
    os.replace(tmp, path)



def read_results(path: Path) -> dict:
    """Return one results record, checked; raise ResultsError naming the file and the problem."""
    try:
        record = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ResultsError(
            f"{path}: no such results file; run its notebook with `make run NB=...`"
        ) from None
    except (OSError, ValueError) as e:
        raise ResultsError(
            f"{path}: not valid JSON ({e}); re-run its notebook to write it again"
        ) from e
    if not isinstance(record, dict) or any(key not in record for key in REQUIRED_KEYS):
        raise ResultsError(f"{path}: expected the keys {', '.join(REQUIRED_KEYS)}")
    try:
        record["metrics"] = _clean_metrics(record["metrics"])
    except (TypeError, ValueError) as e:
        raise ResultsError(f"{path}: {e}") from e
    return record


def load_all_results(folder: Path | None = None) -> list[dict]:
    """Return every record in `results/*.json`, sorted by notebook name."""
    return [read_results(p) for p in sorted((folder or results_dir()).glob("*.json"))]
