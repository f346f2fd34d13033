"""Notebook hygiene, checked without executing anything.

Every committed notebook carries the outputs of one full-mode, top-to-bottom run of its current
code, with clean outputs and portable metadata, and its results file agrees with what it printed.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import nbformat
import pytest

from tools import contract
from tools.nbmeta import KERNELSPEC, code_hash, colab_badge, notebook_paths, setup_cell, title
from utils.results import format_value, read_results, results_dir

NOTEBOOKS = notebook_paths()
NOISE = re.compile(
    r"I0000|W0000|E0000|oneDNN|absl|cudart|cuda_|Warning|WARNING|Traceback|\x1b\[|━\s*\d+m?s\b"
    r"|/step\b|\r|\d:\d\d elapsed|Stopped after \d"  # the last two: a live progress line left over
)
LOCAL_PATH = re.compile(r"/root/|/home/|/tmp/|/work/|/Users/|[A-Z]:\\\\")


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def text_outputs(cell):
    """Every text an output shows (images left out)."""
    for out in cell.outputs:
        if out.output_type == "stream":
            yield out.text
        elif out.output_type in ("execute_result", "display_data"):
            yield out.data.get("text/plain", "")
        elif out.output_type == "error":
            yield "\n".join(out.traceback)


def test_noise_pattern_catches_progress_bars_and_logs_not_summary_tables():
    progress = "1500/1500 ━━━━━━━━━━━━━━━━━━━━ 3s 2ms/step - accuracy: 0.8123 - loss: 0.5312"
    log = "I0000 00:00:1795413498.988037   12580 cpu_feature_guard.cc:227] This TensorFlow binary"
    summary = (
        "┏━━━━━━━━━━━━━━━┳━━━━━━━━━━━┓\n│ hidden (Dense) │ (None, 100) │\n"
        " Total params: 79,510 (310.59 KB)"
    )
    assert NOISE.search(progress) and NOISE.search(log) and NOISE.search("\x1b[1m bold")
    live = "optimizer 3 of 8: Adam · seed 2 of 3 · epoch 12/20 · 1:23 elapsed · about 2:40 left"
    assert NOISE.search(live) and NOISE.search("Stopped after 2:05, at seed 2 of 3")
    assert not NOISE.search(summary) and not NOISE.search("Done in 4:12: 8 optimizers")


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS][:1] == ["00_data_tour.ipynb"]


class Notebook(SimpleNamespace):
    """A committed notebook: `path`, `stem`, and its parsed content `node`."""

    @property
    def cells(self):
        return self.node.cells

    @property
    def metadata(self):
        return self.node.metadata


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def nb(request) -> Notebook:
    node = nbformat.read(request.param, as_version=4)
    nbformat.validate(node)
    return Notebook(path=request.param, stem=request.param.stem, node=node)


def test_opening_title_badge_and_setup_cell(nb):
    assert re.match(rf"{nb.stem[:2]} · \S", title(nb.node)), (
        f"first cell should start '# {nb.stem[:2]} · <title>'"
    )
    assert colab_badge(nb.path) in nb.cells[0].source, (
        "Open-in-Colab badge missing or stale: make sync"
    )
    assert code_cells(nb)[0].source == setup_cell(nb.stem), (
        "setup cell differs from tools/nbmeta.py: make sync"
    )
    assert nb.metadata.get("fmnist", {}).get("summary"), (
        "metadata fmnist.summary feeds the README table"
    )


def test_executed_top_to_bottom_in_one_full_run(nb):
    counts = [c.execution_count for c in code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), (
        f"execution counts {counts}: re-run with make run"
    )
    assert nb.metadata["fmnist"].get("run_mode") == "full"
    assert "Run mode: full" in "".join(text_outputs(code_cells(nb)[0]))


def test_outputs_are_not_stale(nb):
    assert nb.metadata["fmnist"].get("code_sha256") == code_hash(nb.node), (
        f"code changed since the stored outputs were made: make run NB=notebooks/{nb.path.name}"
    )


def test_outputs_are_clean(nb):
    for cell in code_cells(nb):
        kinds = [(o.output_type, o.get("name")) for o in cell.outputs]
        assert ("error", None) not in kinds and ("stream", "stderr") not in kinds, (
            f"cell [{cell.execution_count}] has an error or stderr output"
        )
        for text in text_outputs(cell):
            assert not NOISE.search(text), (
                f"cell [{cell.execution_count}] output has log or warning noise: {text[:200]!r}"
            )
            assert not LOCAL_PATH.search(text), (
                f"cell [{cell.execution_count}] output shows a local path"
            )


def test_metadata_is_portable(nb):
    assert set(nb.metadata) == {"kernelspec", "language_info", "fmnist"}
    assert dict(nb.metadata.kernelspec) == KERNELSPEC
    raw = nbformat.writes(nb.node)
    for cell in nb.cells:
        assert not set(cell.metadata) & {"execution", "ExecuteTime", "collapsed", "scrolled"}
    assert not LOCAL_PATH.search(re.sub(r'"image/png": "[^"]*"', "", raw).replace("\\n", " "))


def test_results_file_matches_the_printed_results(nb):
    record = read_results(results_dir() / f"{nb.stem}.json")
    assert record["notebook"] == nb.stem and record["mode"] == "full"
    cells = [c for c in code_cells(nb) if "record_results(" in c.source]
    assert len(cells) == 1, "a notebook records its results exactly once, in one cell"
    printed = "".join(text_outputs(cells[0]))
    for name, value in record["metrics"].items():
        assert re.search(
            rf"^{name}\s+{re.escape(format_value(value))}$", printed, flags=re.MULTILINE
        ), (
            f"results/{nb.stem}.json says {name} = {format_value(value)}, the notebook printed "
            f"otherwise"
        )
    assert f"Saved to results/{nb.stem}.json" in printed


def test_every_results_file_has_its_notebook():
    stems = {p.stem for p in NOTEBOOKS}
    assert {p.stem for p in results_dir().glob("*.json")} <= stems


# The notebook contract (tools/contract.py, README "Adding a notebook"): every rule holds for every
# notebook, and each rule catches a violation planted in a copy of a notebook.


def test_notebook_contract(nb):
    assert contract.problems(nb.node, nb.stem) == []


def test_utils_all_is_exactly_what_notebooks_call():
    import utils

    called = set()
    for path in NOTEBOOKS:
        for cell in contract.code_cells(nbformat.read(path, as_version=4)):
            called |= {m.group(1) for m in contract.UTILS_NAME.finditer(cell.source)}
    assert called == set(utils.__all__), (
        f"called but not exported: {sorted(called - set(utils.__all__))}; "
        f"exported but never called: {sorted(set(utils.__all__) - called)}"
    )


def _planted(stem: str, edit) -> list[str]:
    node = nbformat.read(next(p for p in NOTEBOOKS if p.stem == stem), as_version=4)
    edit(node)
    return contract.problems(node, stem)


def _append_code(source: str):
    return lambda node: node.cells.append(nbformat.v4.new_code_cell(source))


def _code(node, n):
    return contract.code_cells(node)[n]


PLANTED = {
    "setup_is_collapsed": [
        lambda node: _code(node, 0).metadata.pop("cellView"),
        lambda node: _code(node, 0).metadata.pop("jupyter"),
        lambda node: setattr(_code(node, 0), "source", _code(node, 0).source.split("\n", 1)[1]),
        lambda node: node.cells.pop(1),  # the "## Setup" heading
    ],
    "one_way_to_utils": [
        _append_code("from utils import load_splits"),
        _append_code("from utils.models import dense_model"),
        _append_code("utils.seeds.beyond_noise"),
        _append_code("utils.current_run()"),  # not in utils.__all__
    ],
    "short_cells_and_lines": [
        _append_code("\n".join(f"x{i} = {i}" for i in range(26))),
        _append_code("x = " + "1 + " * 30 + "1"),
    ],
    "sizes_in_one_place": [
        _append_code("EPOCHS = utils.by_mode(full=20, smoke=1)"),
        _append_code("seeds = utils.comparison_seeds()"),
    ],
    "no_plumbing": [
        _append_code("import warnings\nwarnings.filterwarnings('ignore')"),
        _append_code("model.compile(**utils.fast_path(1500))  # an epoch per call, XLA"),
    ],
}


@pytest.mark.parametrize("rule", sorted(contract.RULES))
def test_each_contract_rule_catches_a_planted_violation(rule):
    stem = "12_speed_and_scale"
    assert _planted(stem, lambda node: None) == []
    if rule == "mechanism_shown":
        edits = [
            lambda node: [
                setattr(c, "source", c.source.replace("inspect.getsource(utils.timed_fit)", "0"))
                for c in contract.code_cells(node)
            ]
        ]
    else:
        edits = PLANTED[rule]
    for edit in edits:
        found = _planted(stem, edit)
        assert found and all(p.startswith(f"{rule}: ") for p in found), found
