"""utils.search: a KerasTuner search resumed by its code and settings, its time added up."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from utils import runtime, search


class FakeTuner:
    """Stands in for a KerasTuner tuner: records its arguments, 'runs' trials into its folder."""

    made: list[FakeTuner] = []

    def __init__(self, build_model, *, max_trials, seed, directory, project_name, **kwargs):
        self.project_dir = str(Path(directory) / project_name)
        Path(self.project_dir).mkdir(parents=True, exist_ok=True)
        done = Path(self.project_dir) / "trials"
        trials = int(done.read_text()) if done.exists() else 0
        stopped = (Path(self.project_dir) / "stopped").exists()  # the last trial never finished
        status = ["COMPLETED"] * trials + (["RUNNING"] if stopped else [])
        self.oracle = types.SimpleNamespace(
            trials={i: types.SimpleNamespace(status=s) for i, s in enumerate(status)}
        )
        self.max_trials, self.kwargs, self.searched = max_trials, kwargs, None
        print("/an/absolute/path/that/must/not/show")
        FakeTuner.made.append(self)

    def search(self, **fit):
        self.searched = fit
        (Path(self.project_dir) / "trials").write_text(str(self.max_trials))


def build_model(hp):
    return hp


@pytest.fixture
def notebook(monkeypatch, tmp_path):
    monkeypatch.setattr(runtime, "project_root", lambda: tmp_path)
    monkeypatch.setitem(runtime._state, "notebook", "11_test")
    pytest.importorskip("keras")
    pytest.importorskip("sklearn")


def test_search_runs_quietly_in_a_folder_named_by_code_and_settings(notebook, tmp_path, capsys):
    fit = {"x": [0] * 120, "y": [0] * 120, "epochs": 3, "batch_size": 32}
    tuner, seconds = search.run_search(
        FakeTuner, build_model, max_trials=4, seed=7, fit=fit, objective="val_accuracy"
    )
    assert capsys.readouterr().out == ""  # KerasTuner's absolute path is not shown
    assert Path(tuner.project_dir).parent == tmp_path / "artifacts" / "11_test"
    assert tuner.searched["epochs"] == 3 and tuner.searched["verbose"] == 0
    assert len(tuner.searched["callbacks"]) == 1  # the progress line
    assert fit.keys() == {"x", "y", "epochs", "batch_size"}  # the caller's dict is left alone
    assert seconds >= 0 and (Path(tuner.project_dir) / search.CLOCK_FILE).is_file()

    again, more_seconds = search.run_search(
        FakeTuner, build_model, max_trials=4, seed=7, fit=fit, objective="val_accuracy"
    )
    # resumed, its time added to the earlier run's (as stored: to the millisecond)
    assert again.project_dir == tuner.project_dir and more_seconds >= round(seconds, 3)
    assert capsys.readouterr().out.startswith("resuming artifacts/11_test/search_tensorflow_seed7_")
    other, _ = search.run_search(
        FakeTuner, build_model, max_trials=5, seed=7, fit=fit, objective="val_accuracy"
    )
    assert other.project_dir != tuner.project_dir  # another setting: a fresh search


def test_a_search_stopped_during_a_trial_starts_afresh(notebook, capsys):
    fit = {"x": [0] * 10, "epochs": 1}
    tuner, _ = search.run_search(FakeTuner, build_model, max_trials=2, seed=1, fit=fit)
    (Path(tuner.project_dir) / "stopped").touch()  # as an interrupted run leaves it
    capsys.readouterr()
    again, _ = search.run_search(FakeTuner, build_model, max_trials=2, seed=1, fit=fit)
    assert "starts afresh" in capsys.readouterr().out
    assert again.searched is not None and not (Path(again.project_dir) / "stopped").exists()


def test_search_name_follows_code_settings_seed_and_backend():
    def other_model(hp):
        return None

    name = search.search_name(build_model, {"epochs": 3}, 7, "tensorflow")
    assert name.startswith("search_tensorflow_seed7_")
    assert name == search.search_name(build_model, {"epochs": 3}, 7, "tensorflow")
    for changed in (
        search.search_name(other_model, {"epochs": 3}, 7, "tensorflow"),
        search.search_name(build_model, {"epochs": 4}, 7, "tensorflow"),
        search.search_name(build_model, {"epochs": 3}, 8, "tensorflow"),
        search.search_name(build_model, {"epochs": 3}, 7, "jax"),
    ):
        assert changed != name


def test_search_needs_a_trial():
    with pytest.raises(ValueError, match="max_trials"):
        search.run_search(FakeTuner, build_model, max_trials=0, seed=1, fit={})
