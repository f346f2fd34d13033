"""A hyperparameter search as TensorBoard's HParams view shows it, written and read without
TensorFlow.

KerasTuner logs a search for TensorBoard itself when `tuner.search` gets a
`keras.callbacks.TensorBoard`, but only on the TensorFlow backend. `write_hparams_log` writes the
same record, one TensorBoard run per trial holding its hyperparameters and its scores, from plain
dictionaries and the `tensorboard` package alone, so a notebook that runs on any Keras backend can
log its search; `read_hparams_log` reads it back, so the notebook can check what TensorBoard will
show.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

HParamValue = bool | int | float | str
Run = tuple[Mapping[str, HParamValue], Mapping[str, float]]

_EVENT_FILE = "events.out.tfevents."
_SESSION_TAG = "_hparams_/session_start_info"


def _kind(value: object) -> str:
    """Return the kind of a hyperparameter value as the HParams view types it: bool, number or str.
    """
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "str"
    raise ValueError(
        f"hyperparameter values must be bool, int, float or str, not {type(value).__name__} "
        f"({value!r})"
    )


def _only_our_events(folder: Path) -> bool:
    """Return True if `folder` holds nothing but TensorBoard event files, directly or one level
    down.
    """
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            if any(not (f.is_file() and f.name.startswith(_EVENT_FILE)) for f in entry.iterdir()):
                return False
        elif not (entry.is_file() and entry.name.startswith(_EVENT_FILE)):
            return False
    return True


def write_hparams_log(logdir: str | Path, runs: Mapping[str, Run]) -> Path:
    """Write `runs`, {run name: (hyperparameters, metrics)}, under `logdir` for TensorBoard's
    HParams view.

    Each run becomes a folder `logdir/<run name>` with its hyperparameters and one scalar per
    metric; `logdir` itself gets the experiment: every hyperparameter with the values seen (floats
    as an interval from the smallest to the largest) and every metric name. A run may lack a
    hyperparameter (a conditional one) or a metric. A log already in `logdir` is replaced; a folder
    holding anything else is refused, never deleted. Returns `logdir` as a Path.
    """
    from tensorboard.compat.proto import event_pb2

    # not `hparams.api`: that one imports TensorFlow
    from tensorboard.plugins.hparams import summary_v2 as hp
    from tensorboard.plugins.scalar import summary_v2 as scalar
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    logdir = Path(logdir)
    if not runs:
        raise ValueError("no runs to log")
    values: dict[str, list[HParamValue]] = {}
    metric_names: list[str] = []
    for name, (hparams, metrics) in runs.items():
        if not name or name in (".", "..") or "/" in name or "\\" in name:
            raise ValueError(f"run names become folder names: {name!r} is not one")
        for key, value in hparams.items():
            values.setdefault(key, []).append(value)
        for key, number in metrics.items():
            if (
                not isinstance(number, (int, float))
                or isinstance(number, bool)
                or not math.isfinite(number)
            ):
                raise ValueError(
                    f"run {name!r}: metric {key!r} must be a finite number, not {number!r}"
                )
            if key not in metric_names:
                metric_names.append(key)
    domains = []
    for key, seen in values.items():
        kinds = {_kind(value) for value in seen}
        if len(kinds) > 1:
            raise ValueError(
                f"hyperparameter {key!r} mixes {' and '.join(sorted(kinds))} values: {seen}"
            )
        if all(isinstance(value, float) for value in seen):
            domain = hp.RealInterval(float(min(seen)), float(max(seen)))  # type: ignore[type-var]
        else:
            domain = hp.Discrete(sorted(set(seen)))  # type: ignore[type-var]
        domains.append(hp.HParam(key, domain))

    if logdir.exists():
        if not logdir.is_dir() or not _only_our_events(logdir):
            raise ValueError(
                f"{logdir} holds files other than a TensorBoard log: choose an empty or new folder"
            )
        shutil.rmtree(logdir)
    now = time.time()

    def write(folder: Path, *summaries: object) -> None:
        writer = EventFileWriter(str(folder))
        for summary in summaries:
            writer.add_event(event_pb2.Event(wall_time=now, step=0, summary=summary))
        writer.close()

    write(logdir, hp.hparams_config_pb(domains, [hp.Metric(name) for name in metric_names]))
    for name, (hparams, metrics) in runs.items():
        write(
            logdir / name,
            hp.hparams_pb(dict(hparams), trial_id=name),
            *(scalar.scalar_pb(key, float(number)) for key, number in metrics.items()),
        )
    return logdir


def read_hparams_log(
    logdir: str | Path,
) -> dict[str, tuple[dict[str, HParamValue], dict[str, float]]]:
    """Return {run name: (hyperparameters, metrics)} as a log written by `write_hparams_log` holds
    them.

    TensorBoard stores a hyperparameter number as a 64-bit float (an int comes back as an equal
    float) and a metric as a 32-bit float (equal to about 7 digits).
    """
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2
    from tensorboard.util import tensor_util

    logdir = Path(logdir)
    if not logdir.is_dir():
        raise FileNotFoundError(f"no TensorBoard log at {logdir}")
    runs: dict[str, tuple[dict[str, HParamValue], dict[str, float]]] = {}
    for folder in sorted(p for p in logdir.iterdir() if p.is_dir()):
        events = EventAccumulator(str(folder))
        events.Reload()
        content = events.PluginTagToContent("hparams").get(_SESSION_TAG)
        if content is None:
            continue
        info = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
        hparams: dict[str, HParamValue] = {
            key: getattr(value, value.WhichOneof("kind")) for key, value in info.hparams.items()
        }
        metrics = {
            tag: float(tensor_util.make_ndarray(events.Tensors(tag)[-1].tensor_proto).item())
            for tag in events.Tags()["tensors"]
            if tag != _SESSION_TAG
        }
        runs[folder.name] = (hparams, metrics)
    return runs
