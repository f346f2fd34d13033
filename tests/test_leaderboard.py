"""utils.leaderboard: which results count, their order, and bad or missing files reported, not
raised.
"""

from __future__ import annotations

import json

import matplotlib
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from utils.leaderboard import (
    EXTERNAL,
    SPREAD_KEYS,
    Entry,
    collect_leaderboard,
    format_leaderboard,
    headline_split,
    plot_leaderboard,
    save_chart,
    seed_spreads,
)
from utils.results import code_sha256, notebook_code_sha256

matplotlib.use("Agg")


def write(folder, notebook, metrics, mode="full"):
    record = {
        "notebook": notebook,
        "mode": mode,
        "metrics": metrics,
        "versions": {},
        "seconds": 1.0,
    }
    (folder / f"{notebook}.json").write_text(json.dumps(record))


@pytest.mark.parametrize(
    "metric, split",
    [
        ("test_accuracy", "test"),
        ("custom_loop_test_accuracy", "test"),
        ("test_accuracy_relu", "test"),
        ("val_accuracy", "validation"),
        ("val_accuracy_adam", "validation"),
        ("mirrored_val_accuracy", "validation"),
        ("sklearn_cv_accuracy", "cross-validation"),
        ("spiral_two_layer_accuracy", None),
        ("batch_speedup", None),
        ("val_loss", None),
        ("test_accuracyish", None),
        ("pretest_accuracy", None),
    ],
)
def test_headline_split(metric, split):
    assert headline_split(metric) == split


def test_collect_orders_best_first_and_keeps_only_headline_accuracies(tmp_path):
    write(
        tmp_path,
        "04_softmax",
        {"val_accuracy": 0.8458, "test_accuracy": 0.836, "seconds_per_epoch": 2.0},
    )
    write(tmp_path, "01_spiral", {"spiral_two_layer_accuracy": 0.99})
    write(tmp_path, "11_tuned", {"test_accuracy": 0.9012})
    entries, problems = collect_leaderboard(tmp_path, external=False)
    assert problems == []
    assert [(e.name, e.split, e.source) for e in entries] == [
        ("11 test_accuracy", "test", "11_tuned"),
        ("04 val_accuracy", "validation", "04_softmax"),
        ("04 test_accuracy", "test", "04_softmax"),
    ]
    assert [e.accuracy for e in entries] == sorted((e.accuracy for e in entries), reverse=True)


def test_external_references_are_included_and_marked(tmp_path):
    write(tmp_path, "11_tuned", {"test_accuracy": 0.9012})
    entries, _ = collect_leaderboard(tmp_path)
    assert len(entries) == len(EXTERNAL) + 1
    assert all(e.external and e.source for e in entries if e.source != "11_tuned")
    names = [e.name for e in entries]
    assert names.index("11 test_accuracy") == 1  # below the CNN's 0.916, above the RBF SVC's 0.897
    assert {e.accuracy for e in EXTERNAL} == {
        0.835,
        0.842,
        0.871,
        0.8833,
        0.8864,
        0.8946,
        0.897,
        0.916,
    }


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"notebook": "05_x"}), "expected the keys"),
        (
            json.dumps(
                {
                    "notebook": "05_x",
                    "mode": "full",
                    "metrics": {"val_accuracy": "high"},
                    "versions": {},
                    "seconds": 1,
                }
            ),
            "expected a number",
        ),
    ],
)
def test_a_malformed_file_is_reported_and_skipped(tmp_path, content, message):
    write(tmp_path, "04_softmax", {"test_accuracy": 0.836})
    (tmp_path / "05_x.json").write_text(content)
    entries, problems = collect_leaderboard(tmp_path, external=False)
    assert [e.name for e in entries] == ["04 test_accuracy"]
    assert len(problems) == 1 and "05_x.json" in problems[0] and message in problems[0]


def test_a_missing_notebook_and_a_missing_folder_are_reported(tmp_path):
    write(tmp_path, "04_softmax", {"test_accuracy": 0.836})
    _, problems = collect_leaderboard(tmp_path, expected=["04_softmax", "11_tuned"], external=False)
    assert problems == ["no results for 11_tuned yet: run `make run NB=notebooks/11_tuned.ipynb`"]
    entries, problems = collect_leaderboard(tmp_path / "nowhere", expected=["04_softmax"])
    assert entries == sorted(EXTERNAL, key=lambda e: -e.accuracy) and len(problems) == 1


def test_format_and_plot(tmp_path):
    entries = [Entry("11 test_accuracy", 0.9012, "test", "11_tuned"), EXTERNAL[0]]
    lines = format_leaderboard(entries).splitlines()
    assert len(lines) == 3 and lines[1].split()[:3] == ["1", "0.9012", "test"]
    assert "external (test)" in lines[2] and "zalandoresearch" in lines[2]
    assert format_leaderboard([]) == "no results"
    validation = Entry("11 val_accuracy", 0.91, "validation", "11_tuned")
    lines = format_leaderboard(
        [validation, *entries]
    ).splitlines()  # validation is counted, not listed
    assert len(lines) == 4 and lines[1].split()[:2] == ["1", "0.9012"]
    assert lines[-1] == "not listed: 1 validation result (the chart shows every entry)"
    assert "11 val_accuracy" in format_leaderboard([validation, *entries], splits=None)
    assert format_leaderboard([validation]).startswith("no test or external (test) results")
    fig = plot_leaderboard(entries)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "human, crowd-sourced",
        "11 test_accuracy",
    ]  # best on top
    assert ax.get_xlim()[0] == pytest.approx(0.75) and ax.get_xlim()[1] == 1.0
    with pytest.raises(ValueError, match="no entries"):
        plot_leaderboard([])


def test_current_metrics_replace_the_notebooks_file(tmp_path):
    write(tmp_path, "11_tuned", {"test_accuracy": 0.80, "val_accuracy": 0.81})
    write(tmp_path, "04_softmax", {"test_accuracy": 0.836})
    entries, problems = collect_leaderboard(
        tmp_path,
        expected=["11_tuned"],
        external=False,
        current={"11_tuned": {"test_accuracy": 0.9012}},
    )
    assert problems == []
    assert [(e.name, e.accuracy) for e in entries] == [
        ("11 test_accuracy", 0.9012),
        ("04 test_accuracy", 0.836),
    ]
    _, problems = collect_leaderboard(
        tmp_path / "empty", expected=["11_tuned"], current={"11_tuned": {"test_accuracy": 0.9}}
    )
    assert problems == []  # results computed in this run count as present


def test_save_chart_writes_a_png_and_closes_the_figure(tmp_path):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    path = save_chart([EXTERNAL[0]], tmp_path)
    assert path == tmp_path / "leaderboard.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.get_fignums() == before


def test_spreads_over_seeds_are_shown_beside_their_results(tmp_path):
    write(tmp_path, "13_dense", {"ensemble_test_accuracy": 0.9102, "single_test_accuracy": 0.905})
    spread = {"mean": 0.9091, "std": 0.0012, "min": 0.9077, "max": 0.9102, "n": 4}
    entries, _ = collect_leaderboard(
        tmp_path, external=False, spreads={"13_dense": {"ensemble_test_accuracy": spread}}
    )
    by_name = {e.name: e for e in entries}
    assert (
        by_name["13 ensemble_test_accuracy"].spread == "0.9091 +/- 0.0012 (0.9077-0.9102, 4 seeds)"
    )
    assert by_name["13 single_test_accuracy"].spread == ""  # no seed runs for it
    table = format_leaderboard(entries)
    assert "over seeds" in table.splitlines()[0] and "0.9091 +/- 0.0012" in table
    assert "over seeds" not in format_leaderboard([by_name["13 single_test_accuracy"]])
    assert table.splitlines()[-1].startswith("accuracy: the mean over seeds")
    fig = plot_leaderboard(entries)
    assert any("mean of 4 seeds, 0.9077-0.9102" in t.get_text() for t in fig.axes[0].texts)
    assert "range over seeds" in fig.axes[0].get_xlabel()
    single = plot_leaderboard([by_name["13 single_test_accuracy"]])
    assert "range" not in single.axes[0].get_xlabel()
    import matplotlib.pyplot as plt

    plt.close(fig)
    plt.close(single)


def test_results_are_ranked_by_their_mean_over_seeds(tmp_path):
    """A lucky seed-42 run does not outrank a result that is higher on average."""
    write(tmp_path, "11_tuned", {"test_accuracy": 0.9061})
    write(tmp_path, "13_dense", {"ensemble_test_accuracy": 0.9033})
    spreads = {
        "11_tuned": {
            "test_accuracy": {"mean": 0.9026, "std": 0.003, "min": 0.8993, "max": 0.9061, "n": 4}
        },
        "13_dense": {
            "ensemble_test_accuracy": {
                "mean": 0.9028,
                "std": 0.001,
                "min": 0.902,
                "max": 0.904,
                "n": 4,
            }
        },
    }
    entries, _ = collect_leaderboard(tmp_path, external=False, spreads=spreads)
    assert [e.name for e in entries] == ["13 ensemble_test_accuracy", "11 test_accuracy"]
    assert format_leaderboard(entries).splitlines()[1].split()[:2] == ["1", "0.9028"]


def test_seed_spreads_keep_only_summaries_of_the_code_now_in_the_notebook(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "results" / "seeds").mkdir(parents=True)
    spread = {"values": {"42": 0.9, "1": 0.8}, "n": 2, "mean": 0.85, "std": 0.07, "min": 0.8,
              "max": 0.9}
    for stem, code in (("10_a", "x = 1"), ("11_b", "x = 2")):
        nb = new_notebook(cells=[new_markdown_cell("# t"), new_code_cell(code)])
        nbformat.write(nb, tmp_path / "notebooks" / f"{stem}.ipynb")
        ran = code_sha256(["x = 1"])  # both summaries ran `x = 1`: 11_b's code has changed since
        summary = {"notebook": stem, "code_sha256": ran, "metrics": {"val_accuracy": spread}}
        (tmp_path / "results" / "seeds" / f"{stem}.json").write_text(json.dumps(summary))
    (tmp_path / "results" / "seeds" / "12_gone.json").write_text(json.dumps(summary))
    found = seed_spreads(tmp_path)
    assert found == {"10_a": {"val_accuracy": {k: spread[k] for k in SPREAD_KEYS}}}
    assert code_sha256(["x = 1"]) == notebook_code_sha256(tmp_path / "notebooks" / "10_a.ipynb")
    colab = 'if "google.colab" in sys.modules:\n    clone()\n'
    assert code_sha256([colab + "x = 1"]) == code_sha256(["x = 1"]) != code_sha256(["x = 2"])
