"""tools.seeds: every seed runs in full mode into artifacts, failures name their cell, summaries
hold the spread.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from tools import seeds
from tools.nbmeta import ROOT, code_hash

# A stand-in for a notebook: it records a metric that depends on the seed, and a planted assertion
# fails under seed 2 only, as a claim that holds for one seed but not for all would.
FIXTURE = f"""\
import sys
sys.path.insert(0, {str(ROOT)!r})
from utils import results, runtime, seeds
runtime._state.update(notebook="fixture", mode=runtime.run_mode(), seed=runtime.run_seed(),
                      started=0.0, device="test", backend="tensorflow")
# keeps Keras out of the kernel: 1 s a run instead of 7
results.versions = lambda: {{"python": "fixture"}}
seed = runtime.run_seed()
gap = seeds.Spread((100 * seed, 100 * seed + 1), (seed / 100, seed / 100 + 0.02))
results.record_results({{"val_accuracy": 0.8 + seed / 100, "n_train": 48000, "gap": gap}})"""
PLANTED = 'assert seed != 2, "planted: holds for some seeds only"'


def fixture_notebook(folder, planted: bool):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# fixture"), nbformat.v4.new_code_cell(FIXTURE)]
    if planted:
        nb.cells.append(nbformat.v4.new_code_cell(PLANTED))
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / "fixture.ipynb"
    nbformat.write(nb, path)
    return path


def run_tool(tmp_path, path, *seed_args, results_dir=None, resume=False):
    return seeds.main(
        [
            str(path),
            *(["--resume"] if resume else []),
            "--seeds",
            *map(str, seed_args),
            "--runs-dir",
            str(tmp_path / "runs"),
            "--summary-dir",
            str(tmp_path / "summary"),
            "--results-dir",
            str(results_dir or tmp_path / "no-results"),
        ]
    )


def test_seed_runs_are_summarised_and_never_touch_the_notebook(tmp_path, capsys):
    path = fixture_notebook(tmp_path, planted=False)
    before = path.read_text()
    assert run_tool(tmp_path, path, 1, 3) == 0
    assert path.read_text() == before  # the committed notebook is left as it was
    assert (tmp_path / "runs" / "fixture" / "seed-1.ipynb").is_file()
    summary = json.loads((tmp_path / "summary" / "fixture.json").read_text())
    assert summary["seeds"] == [1, 3] and summary["passed"] == [1, 3] and summary["failed"] == {}
    accuracy = summary["metrics"]["val_accuracy"]
    assert accuracy["values"] == {"1": pytest.approx(0.81), "3": pytest.approx(0.83)}
    assert accuracy["mean"] == pytest.approx(0.82) and accuracy["std"] == pytest.approx(
        0.01414, abs=1e-5
    )
    assert (accuracy["min"], accuracy["n"]) == (pytest.approx(0.81), 2)
    assert summary["metrics"]["n_train"]["std"] == 0
    # a metric recorded as a Spread keeps each training's value, and the spread of one training
    assert summary["trainings"]["gap"] == {
        "1": {"100": pytest.approx(0.01), "101": pytest.approx(0.03)},
        "3": {"300": pytest.approx(0.03), "301": pytest.approx(0.05)},
    }
    gap = summary["metrics"]["gap"]
    assert gap["mean"] == pytest.approx(0.03) and gap["one_training"]["n"] == 4
    assert gap["one_training"]["std"] == pytest.approx(0.016330, abs=1e-5)
    assert "one_training" not in summary["metrics"]["val_accuracy"]
    out = capsys.readouterr().out
    assert "seed 1: passed" in out and "seed 3: passed" in out and "val_accuracy" in out


def test_a_failing_seed_is_named_with_its_cell_and_fails_the_tool(tmp_path, capsys):
    path = fixture_notebook(tmp_path, planted=True)
    assert run_tool(tmp_path, path, 1, 2) == 1
    summary = json.loads((tmp_path / "summary" / "fixture.json").read_text())
    assert summary["passed"] == [1]
    assert summary["failed"] == {
        "2": {"cell": 2, "error": "AssertionError: planted: holds for some seeds only"}
    }
    assert "seed 2: FAILED in cell 2: AssertionError: planted" in capsys.readouterr().out
    assert (tmp_path / "runs" / "fixture" / "seed-2.failed.ipynb").is_file()


def test_the_committed_run_joins_only_when_it_ran_the_current_code(tmp_path, capsys):
    path = fixture_notebook(tmp_path, planted=False)
    results_dir = tmp_path / "results"
    results_dir.mkdir()
    (results_dir / "fixture.json").write_text(
        json.dumps(
            {
                "notebook": "fixture",
                "mode": "full",
                "metrics": {"val_accuracy": 1.22, "n_train": 48000},
                "versions": {},
                "seconds": 1.0,
                "seed": 42,
            }
        )
    )
    assert run_tool(tmp_path, path, 1, results_dir=results_dir) == 0
    # not stamped
    assert json.loads((tmp_path / "summary" / "fixture.json").read_text())["seeds"] == [1]
    assert "seed 42 is left out" in capsys.readouterr().out
    nb = nbformat.read(path, as_version=4)
    nb.metadata["fmnist"] = {"code_sha256": code_hash(nb), "run_mode": "full"}
    nbformat.write(nb, path)
    assert run_tool(tmp_path, path, 1, results_dir=results_dir) == 0
    summary = json.loads((tmp_path / "summary" / "fixture.json").read_text())
    assert summary["seeds"] == [42, 1]
    assert summary["metrics"]["val_accuracy"]["values"] == {"42": 1.22, "1": pytest.approx(0.81)}


def test_bad_arguments_are_refused(tmp_path, capsys):
    assert seeds.main([str(tmp_path / "nope.ipynb")]) == 2
    assert seeds.main([str(fixture_notebook(tmp_path, False)), "--seeds", "1", "1"]) == 2
    assert "distinct" in capsys.readouterr().err


def test_seeds_add_up_over_runs_of_the_same_code_only(tmp_path, capsys):
    path = fixture_notebook(tmp_path, planted=True)
    assert run_tool(tmp_path, path, 1) == 0
    assert run_tool(tmp_path, path, 2, 3) == 1  # the failure of seed 2 is kept with seed 1's pass
    summary = json.loads((tmp_path / "summary" / "fixture.json").read_text())
    assert (
        summary["seeds"] == [1, 2, 3]
        and summary["passed"] == [1, 3]
        and list(summary["failed"]) == ["2"]
    )
    assert summary["metrics"]["val_accuracy"]["values"] == pytest.approx(
        {"1": 0.81, "2": 0.82, "3": 0.83}
    )
    assert "seed 1 (earlier run): passed" in capsys.readouterr().out
    nb = nbformat.read(path, as_version=4)
    nb.cells[
        2
    ].source = 'assert seed != 4, "planted: holds for some seeds only"'  # new code: old seeds go
    nbformat.write(nb, path)
    assert run_tool(tmp_path, path, 3) == 0
    assert json.loads((tmp_path / "summary" / "fixture.json").read_text())["seeds"] == [3]


def test_resume_reuses_only_finished_runs_of_the_current_code(tmp_path, capsys):
    path = fixture_notebook(tmp_path, planted=True)
    assert run_tool(tmp_path, path, 1, 2) == 1  # seed 2 fails: it has no finished run to reuse
    copy = tmp_path / "runs" / "fixture" / "seed-1.ipynb"
    first_run = copy.stat().st_mtime_ns
    capsys.readouterr()
    assert run_tool(tmp_path, path, 1, 2, resume=True) == 1
    out = capsys.readouterr().out
    assert "seed 1: reusing its finished run" in out and "fixture.ipynb, seed 2 ..." in out
    assert copy.stat().st_mtime_ns == first_run  # not executed again
    summary = json.loads((tmp_path / "summary" / "fixture.json").read_text())
    assert summary["passed"] == [1] and list(summary["failed"]) == ["2"]
    nb = nbformat.read(path, as_version=4)
    nb.cells[
        2
    ].source = 'assert seed != 4, "planted"'  # new code: the finished run is of older code
    nbformat.write(nb, path)
    assert run_tool(tmp_path, path, 1, resume=True) == 0
    assert copy.stat().st_mtime_ns != first_run
