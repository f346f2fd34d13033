"""utils.hparams_log: a search written for TensorBoard's HParams view, read back, without
TensorFlow.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from utils.hparams_log import read_hparams_log, write_hparams_log

ROOT = Path(__file__).resolve().parents[1]

RUNS = {
    "trial_00": (
        {
            "units": 512,
            "dropout": 0.1,
            "batch_norm": False,
            "optimizer": "adam",
            "learning_rate": 6.4e-4,
        },
        {"val_accuracy": 0.892, "rerun_val_accuracy": 0.8893},
    ),
    "trial_01": (
        {
            "units": 256,
            "dropout": 0.3,
            "batch_norm": True,
            "optimizer": "adamw",
            "learning_rate": 1.2e-3,
            "weight_decay": 1e-4,
        },  # conditional: only AdamW trials have it
        {"val_accuracy": 0.8806},
    ),  # not a finalist: no re-run score
}


def _same(got, want):
    """Compare read-back runs with written ones: hyperparameters exactly, metrics to float32
    precision.
    """
    assert got.keys() == want.keys()
    for name, (hparams, metrics) in want.items():
        assert got[name][0] == hparams
        assert got[name][1].keys() == metrics.keys()
        for key, value in metrics.items():
            assert math.isclose(got[name][1][key], value, rel_tol=1e-6)


def test_round_trip_keeps_every_run_hyperparameter_and_metric(tmp_path):
    logdir = write_hparams_log(tmp_path / "hparams", RUNS)
    assert logdir == tmp_path / "hparams"
    assert sorted(p.name for p in logdir.iterdir() if p.is_dir()) == ["trial_00", "trial_01"]
    got = read_hparams_log(logdir)
    _same(got, RUNS)
    assert isinstance(got["trial_00"][0]["batch_norm"], bool) and isinstance(
        got["trial_00"][0]["optimizer"], str
    )


def test_the_experiment_lists_every_hyperparameter_with_its_domain(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    logdir = write_hparams_log(tmp_path / "hparams", RUNS)
    events = EventAccumulator(str(logdir))
    events.Reload()
    experiment = plugin_data_pb2.HParamsPluginData.FromString(
        events.PluginTagToContent("hparams")["_hparams_/experiment"]
    ).experiment
    infos = {info.name: info for info in experiment.hparam_infos}
    assert set(infos) == {
        "units",
        "dropout",
        "batch_norm",
        "optimizer",
        "learning_rate",
        "weight_decay",
    }
    assert infos["learning_rate"].domain_interval.min_value == pytest.approx(6.4e-4)
    assert infos["learning_rate"].domain_interval.max_value == pytest.approx(1.2e-3)
    # ints: the values seen
    assert [v.number_value for v in infos["units"].domain_discrete.values] == [256, 512]
    assert [v.string_value for v in infos["optimizer"].domain_discrete.values] == ["adam", "adamw"]
    assert [m.name.tag for m in experiment.metric_infos] == ["val_accuracy", "rerun_val_accuracy"]


def test_writing_again_replaces_the_log(tmp_path):
    write_hparams_log(tmp_path / "hparams", RUNS)
    again = {"trial_09": ({"units": 128}, {"val_accuracy": 0.85})}
    _same(read_hparams_log(write_hparams_log(tmp_path / "hparams", again)), again)


def test_a_folder_with_other_files_is_refused_not_deleted(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="other than a TensorBoard log"):
        write_hparams_log(folder, RUNS)
    assert (folder / "notes.txt").read_text() == "keep me"
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(ValueError, match="other than a TensorBoard log"):
        write_hparams_log(tmp_path / "a_file", RUNS)


@pytest.mark.parametrize(
    "runs, words",
    [
        ({}, "no runs"),
        ({"a/b": ({}, {"val_accuracy": 0.9})}, "folder names"),
        ({"..": ({}, {"val_accuracy": 0.9})}, "folder names"),
        ({"t": ({}, {"val_accuracy": float("nan")})}, "finite number"),
        ({"t": ({}, {"val_accuracy": "0.9"})}, "finite number"),
        ({"t": ({"units": [256]}, {})}, "bool, int, float or str"),
        ({"t": ({"units": 256}, {}), "u": ({"units": "wide"}, {})}, "mixes number and str"),
        ({"t": ({"flag": True}, {}), "u": ({"flag": 1}, {})}, "mixes bool and number"),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(tmp_path, runs, words):
    with pytest.raises(ValueError, match=words):
        write_hparams_log(tmp_path / "hparams", runs)
    assert not (tmp_path / "hparams").exists()


def test_reading_a_missing_log_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="no TensorBoard log at .*missing"):
        read_hparams_log(tmp_path / "missing")


def test_works_without_tensorflow(tmp_path):
    """The point of the module: a Keras-only notebook on JAX or PyTorch may have no TensorFlow
    installed.
    """
    code = f"""
import sys
sys.modules["tensorflow"] = None  # any import of TensorFlow now fails
sys.path.insert(0, {str(ROOT)!r})
from utils.hparams_log import read_hparams_log, write_hparams_log
runs = {{"t": ({{"units": 512, "optimizer": "adam"}}, {{"val_accuracy": 0.5}})}}
assert read_hparams_log(write_hparams_log({str(tmp_path / "hp")!r}, runs)) == runs
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
