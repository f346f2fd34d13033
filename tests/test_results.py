"""utils.results: what a run records, that smoke runs never write, and reading records back."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from utils import results
from utils.results import ResultsError, format_value, load_all_results, read_results, record_results
from utils.seeds import Spread


@pytest.fixture
def fake_run(monkeypatch):
    """Pretend utils.setup() ran for notebook 00 in the given mode, without starting TensorFlow."""

    def start(mode: str, backend: str = "tensorflow", seed: int = 42) -> None:
        monkeypatch.delenv("FMNIST_RESULTS_DIR", raising=False)
        monkeypatch.setattr(
            results,
            "current_run",
            lambda: {
                "notebook": "00_data_tour",
                "mode": mode,
                "seed": seed,
                "started": 0.0,
                "device": "CPU (test)",
                "backend": backend,
                "training_path": "test path",
            },
        )
        monkeypatch.setattr(results, "versions", lambda: {"python": "3.x", "tensorflow": "2.x"})
        monkeypatch.setattr(results.time, "perf_counter", lambda: 12.34)

    return start


def test_full_run_writes_the_record(fake_run, tmp_path, capsys):
    fake_run("full")
    record_results({"val_accuracy": np.float32(0.875), "n_train": np.int64(48000)}, folder=tmp_path)
    record = json.loads((tmp_path / "00_data_tour.json").read_text())
    assert (tmp_path / "00_data_tour.json").stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["00_data_tour.json"]  # no temporary file left
    assert record == {
        "notebook": "00_data_tour",
        "mode": "full",
        "metrics": {"val_accuracy": 0.875, "n_train": 48000},
        "versions": {"python": "3.x", "tensorflow": "2.x"},
        "backend": "tensorflow",
        "device": "CPU (test)",
        "training_path": "test path",
        "seed": 42,
        "seconds": 12.3,
    }
    # order kept: the first is the headline
    assert list(record["metrics"]) == ["val_accuracy", "n_train"]
    out = capsys.readouterr().out
    assert "val_accuracy  0.8750" in out and "n_train       48,000" in out and "Saved to" in out
    assert str(tmp_path) not in out  # no local paths in notebook outputs


def test_a_spread_is_recorded_as_its_mean_with_every_training(fake_run, tmp_path):
    fake_run("full")
    gap = Spread((11, 12, 13), (0.01, 0.02, 0.06))
    record_results({"val_accuracy": 0.875, "gap": gap}, folder=tmp_path)
    record = json.loads((tmp_path / "00_data_tour.json").read_text())
    assert record["metrics"] == {"val_accuracy": 0.875, "gap": pytest.approx(0.03)}
    assert record["trainings"] == {
        "gap": {"11": pytest.approx(0.01), "12": pytest.approx(0.02), "13": pytest.approx(0.06)}
    }


def test_full_run_on_another_backend_leaves_the_committed_results_alone(
    fake_run, monkeypatch, tmp_path, capsys
):
    monkeypatch.setattr(results, "results_dir", lambda: tmp_path / "results")
    monkeypatch.setattr(results, "artifacts_dir", lambda name: tmp_path / "artifacts" / name)
    monkeypatch.setattr(results, "project_root", lambda: tmp_path)
    fake_run("full", backend="jax")
    record_results({"val_accuracy": 0.875})
    assert not (tmp_path / "results").exists()
    record = json.loads((tmp_path / "artifacts" / "results-jax" / "00_data_tour.json").read_text())
    assert record["backend"] == "jax" and record["metrics"] == {"val_accuracy": 0.875}
    assert "Saved to artifacts/results-jax/00_data_tour.json" in capsys.readouterr().out


@pytest.mark.parametrize("seed", [1, 0])
def test_full_run_under_another_seed_leaves_the_committed_results_alone(
    fake_run, monkeypatch, tmp_path, capsys, seed
):
    monkeypatch.setattr(results, "results_dir", lambda: tmp_path / "results")
    monkeypatch.setattr(results, "artifacts_dir", lambda name: tmp_path / "artifacts" / name)
    monkeypatch.setattr(results, "project_root", lambda: tmp_path)
    fake_run("full", seed=seed)
    record_results({"val_accuracy": 0.875})
    assert not (tmp_path / "results").exists()
    record = json.loads(
        (tmp_path / "artifacts" / f"results-seed-{seed}" / "00_data_tour.json").read_text()
    )
    assert record["seed"] == seed


def test_results_dir_variable_names_the_folder(fake_run, monkeypatch, tmp_path):
    monkeypatch.setattr(results, "results_dir", lambda: tmp_path / "results")
    fake_run("full")
    monkeypatch.setenv("FMNIST_RESULTS_DIR", str(tmp_path / "elsewhere"))
    record_results({"val_accuracy": 0.875})
    assert not (tmp_path / "results").exists()
    assert json.loads((tmp_path / "elsewhere" / "00_data_tour.json").read_text())["seed"] == 42


def test_smoke_run_never_writes(fake_run, tmp_path, capsys):
    (tmp_path / "00_data_tour.json").write_text("full results")
    fake_run("smoke")
    record_results({"val_accuracy": 0.5}, folder=tmp_path)
    assert (tmp_path / "00_data_tour.json").read_text() == "full results"
    assert "Smoke run" in capsys.readouterr().out


@pytest.mark.parametrize(
    "metrics, error, message",
    [
        ({}, ValueError, "non-empty dict"),
        ({"accuracy": math.nan}, ValueError, "finite"),
        ({"accuracy": "0.9"}, TypeError, "expected a number"),
        ({"accuracy": True}, TypeError, "expected a number"),
        ({"Val Accuracy": 0.9}, ValueError, "lower_case"),
    ],
)
def test_bad_metrics_are_rejected_in_any_mode(fake_run, tmp_path, metrics, error, message):
    for mode in ("smoke", "full"):
        fake_run(mode)
        with pytest.raises(error, match=message):
            record_results(metrics, folder=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "value, text",
    [
        (48000, "48,000"),
        (0.87234, "0.8723"),
        (0.0, "0.0000"),
        (12.345, "12.35"),
        (15234.2, "15,234"),
        (3.2e-9, "3.2e-09"),
        (-0.5, "-0.5000"),
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


def write(path, content):
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


GOOD = {"notebook": "00_x", "mode": "full", "metrics": {"a": 1.0}, "versions": {}, "seconds": 1.0}


def test_read_results_good_and_bad(tmp_path):
    assert read_results(write(tmp_path / "good.json", GOOD))["metrics"] == {"a": 1.0}
    with pytest.raises(ResultsError, match="missing.json: no such results file"):
        read_results(tmp_path / "missing.json")
    with pytest.raises(ResultsError, match="broken.json: not valid JSON"):
        read_results(write(tmp_path / "broken.json", "{not json"))
    with pytest.raises(ResultsError, match="nokeys.json: expected the keys"):
        read_results(write(tmp_path / "nokeys.json", {"metrics": {}}))
    with pytest.raises(ResultsError, match="badmetric.json: metric 'a' is 'x'"):
        read_results(write(tmp_path / "badmetric.json", {**GOOD, "metrics": {"a": "x"}}))


def test_load_all_results_is_sorted(tmp_path):
    write(tmp_path / "01_b.json", {**GOOD, "notebook": "01_b"})
    write(tmp_path / "00_a.json", {**GOOD, "notebook": "00_a"})
    assert [r["notebook"] for r in load_all_results(tmp_path)] == ["00_a", "01_b"]
