"""tools/: the generated setup cell and badge, the code hash, the runner, the README tables."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import types
import uuid

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools import nbmeta, readme
from tools.nbmeta import (
    ROOT,
    code_hash,
    colab_badge,
    colab_url,
    normalize_metadata,
    setup_cell,
    sync,
)
from tools.run_notebooks import execute


def test_setup_cell_and_badge_come_from_one_constant():
    cell = setup_cell("07_dropout")
    assert f'REPO_URL = "https://github.com/{nbmeta.GITHUB_REPO}.git"' in cell
    assert cell.count(nbmeta.GITHUB_REPO) == 1
    assert cell.rstrip().splitlines()[-1].startswith('SEED = utils.setup("07_dropout")')
    compile(cell, "setup_cell", "exec")
    url = colab_url(ROOT / "notebooks" / "07_dropout.ipynb")
    assert (
        url
        == f"https://colab.research.google.com/github/{nbmeta.GITHUB_REPO}/blob/main/notebooks/07_dropout.ipynb"
    )
    assert f"]({url})" in colab_badge(ROOT / "notebooks" / "07_dropout.ipynb")


def _colab_clone(monkeypatch, tmp_path, url: str) -> None:
    """Run the setup cell's clone step as Colab would: `google.colab` imported, in an empty folder.
    """
    cell = setup_cell("07_dropout").replace(f"https://github.com/{nbmeta.GITHUB_REPO}.git", url)
    clone_step = cell[: cell.index("sys.path.insert")]
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.chdir(tmp_path)
    exec(compile(clone_step, "setup_cell", "exec"), {})


def test_setup_cell_clones_the_project_in_colab(monkeypatch, tmp_path):
    origin = tmp_path / "origin"
    (origin / "utils").mkdir(parents=True)
    (origin / "utils" / "__init__.py").write_text("")
    git = ["git", "-C", str(origin), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["init", "--quiet"], ["add", "."], ["commit", "--quiet", "-m", "utils"]):
        subprocess.run(git + args, check=True)
    workdir = tmp_path / "content"
    workdir.mkdir()
    _colab_clone(monkeypatch, workdir, origin.as_uri())
    assert (workdir / nbmeta.CLONE_DIR / "utils" / "__init__.py").is_file()


def test_setup_cell_says_in_one_line_why_the_clone_failed(monkeypatch, tmp_path):
    url = (tmp_path / "no-such-fork.git").as_uri()
    with pytest.raises(SystemExit) as failed:
        _colab_clone(monkeypatch, tmp_path, url)
    message = str(failed.value)
    assert "\n" not in message
    assert message.startswith(f"Could not clone {url} (fatal: ")
    assert message.endswith("or set REPO_URL to the address of your fork.")
    assert not (tmp_path / nbmeta.CLONE_DIR).exists()


def test_code_hash_leaves_out_only_colab_only_code():
    def hashed(setup: str) -> str:
        return code_hash(new_notebook(cells=[new_code_cell(setup), new_code_cell("x = 1")]))

    cell = setup_cell("07_dropout")
    assert 'if "google.colab" in sys.modules' in cell
    colab_edit = cell.replace("Could not clone", "Cannot clone")
    assert colab_edit != cell and hashed(colab_edit) == hashed(cell)  # runs only in Colab
    for edit in (
        cell.replace('SEED = utils.setup("07_dropout")', 'SEED = utils.setup("07_other")'),
        cell.replace("import subprocess\n", "import subprocess, os\n"),
        cell.replace("REPO_URL = ", "REPO_URL = 'x' or "),
    ):
        assert edit != cell and hashed(edit) != hashed(cell)  # runs everywhere


def test_code_hash_follows_code_not_prose_or_outputs():
    nb = new_notebook(cells=[new_markdown_cell("# text"), new_code_cell("x = 1")])
    before = code_hash(nb)
    nb.cells[0].source = "# other text"
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="1")]
    assert code_hash(nb) == before
    nb.cells[1].source = "x = 2"
    assert code_hash(nb) != before


def test_normalize_metadata_keeps_only_portable_keys():
    nb = new_notebook(
        cells=[
            new_code_cell("1", metadata={"execution": {"iopub.status.idle": "t"}, "tags": ["keep"]})
        ]
    )
    nb.metadata = nbformat.from_dict(
        {
            "kernelspec": {"name": "my-venv", "display_name": "venv"},
            "language_info": {"name": "python", "version": "3.11.7"},
            "vscode": {"interpreter": {"hash": "/home/me"}},
            "fmnist": {"summary": "s"},
        }
    )
    normalize_metadata(nb)
    assert nb.metadata == {
        "kernelspec": nbmeta.KERNELSPEC,
        "language_info": {"name": "python"},
        "fmnist": {"summary": "s"},
    }
    assert nb.cells[0].metadata == {"tags": ["keep"]}


@pytest.fixture
def scratch_notebook():
    """A small notebook under notebooks/ (so the setup cell finds utils), removed afterwards."""
    path = ROOT / "notebooks" / f"test_{uuid.uuid4().hex[:8]}.ipynb"
    made = [
        path,
        ROOT / "artifacts" / "smoke" / path.name,
        ROOT / "artifacts" / "failed" / path.name,
    ]
    yield path
    for p in made:
        p.unlink(missing_ok=True)


def test_sync_writes_the_setup_cell_and_badge(scratch_notebook):
    nb = new_notebook(
        cells=[new_markdown_cell("# 99 · Test\n\nold text"), new_code_cell("old setup")]
    )
    nbformat.write(nb, scratch_notebook)
    assert sync(scratch_notebook) is True
    synced = nbformat.read(scratch_notebook, as_version=4)
    assert synced.cells[1].source == nbmeta.SETUP_HEADING  # a "## Setup" heading, then the cell
    assert synced.cells[2].source == setup_cell(scratch_notebook.stem)
    assert synced.cells[2].metadata == nbmeta.SETUP_METADATA  # collapsed in Colab and Jupyter
    assert colab_badge(scratch_notebook) in synced.cells[0].source
    assert sync(scratch_notebook) is False  # idempotent


def test_runner_stamps_the_code_hash_and_mode(scratch_notebook):
    nb = new_notebook(cells=[new_markdown_cell("# 99 · Test"), new_code_cell("print(6 * 7)")])
    nbformat.write(nb, scratch_notebook)
    out = execute(scratch_notebook, mode="smoke")
    # smoke never touches the original
    assert (out == ROOT / "artifacts" / "smoke" / scratch_notebook.name)
    ran = nbformat.read(out, as_version=4)
    assert ran.cells[1].outputs[0].text == "42\n" and ran.cells[1].execution_count == 1
    assert ran.metadata.fmnist == {"code_sha256": code_hash(ran), "run_mode": "smoke"}
    assert nbformat.read(scratch_notebook, as_version=4).cells[1].outputs == []


def test_runner_keeps_a_failed_run_aside(scratch_notebook):
    nb = new_notebook(cells=[new_markdown_cell("# 99 · Test"), new_code_cell("1 / 0")])
    nbformat.write(nb, scratch_notebook)
    original = scratch_notebook.read_text()
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        execute(scratch_notebook, mode="smoke")
    assert scratch_notebook.read_text() == original
    failed = nbformat.read(ROOT / "artifacts" / "failed" / scratch_notebook.name, as_version=4)
    assert failed.cells[1].outputs[0].ename == "ZeroDivisionError"


def test_readme_render_replaces_only_the_blocks(monkeypatch, tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    (results / "00_data_tour.json").write_text(
        json.dumps(
            {
                "notebook": "00_data_tour",
                "mode": "full",
                "metrics": {"n_train": 48000, "pixel_mean": 0.286},
                "versions": {},
                "seconds": 9.4,
            }
        )
    )
    monkeypatch.setattr(readme, "ROOT", tmp_path)
    text = (
        "intro\n<!-- notebooks:start -->\nold\n<!-- notebooks:end -->\nmiddle\n"
        "<!-- results:start -->\nold\n<!-- results:end -->\nend\n"
    )
    fresh = readme.render(text)
    assert fresh.startswith("intro\n") and "\nmiddle\n" in fresh and fresh.endswith("end\n")
    assert "| 00_data_tour | `pixel_mean` | 0.2860 |" in fresh
    assert "| 00 | [A tour of Fashion-MNIST](notebooks/00_data_tour.ipynb) |" in fresh
    assert "`n_train` = 48,000 | 9 s |" in fresh
    assert readme.render(fresh) == fresh
    with pytest.raises(ValueError, match="lacks the markers"):
        readme.render("no markers here")


def test_readme_tables_agree_with_results():
    """The committed README shows exactly what results/*.json and the notebooks say."""
    assert readme.render(readme.README.read_text()) == readme.README.read_text(), (
        "README.md tables are out of date: run `make readme`"
    )


# Binary files the code needs, shipped on purpose (the .gitignore lets each of them through by
# name).
# the IDX order of the rows, for Kaggle's CSV files
SHIPPED_DATA = {"utils/fashion_mnist_order.npz"}


def test_no_model_files_are_tracked():
    import subprocess

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert SHIPPED_DATA <= set(tracked.splitlines()), (
        "a file the code needs is not tracked: check .gitignore"
    )
    bad = [
        f
        for f in tracked.splitlines()
        if f not in SHIPPED_DATA
        and (f.startswith("artifacts/") or f.endswith((".keras", ".h5", ".npz", ".ckpt", ".pb")))
    ]
    assert bad == []


@pytest.mark.parametrize(
    "path",
    [
        "artifacts/08_x/best.keras",
        "model.keras",
        "notebooks/best-model.h5",
        "notebooks/model.weights.h5",
        "mlp.npz",
        "backup/model.ckpt.index",
        "saved_model/saved_model.pb",
        "artifacts/logs/native-stderr.log",
    ],
)
def test_gitignore_keeps_model_files_out_wherever_they_are_written(path):
    import subprocess

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT, check=False
    )
    assert result.returncode == 0, f"{path} would not be ignored by .gitignore"


def test_readme_shows_the_leaderboard_chart():
    assert "](results/leaderboard.png)" in readme.README.read_text()
    chart = nbmeta.ROOT / "results" / "leaderboard.png"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", (
        "run `make readme` to draw results/leaderboard.png"
    )


def test_keras_backends_sorts_the_notebooks_by_what_they_import():
    by_kind = {
        kind: sorted(
            p.name[:2] for p in nbmeta.notebook_paths() if nbmeta.keras_backends(p) == kind
        )
        for kind in ("any", "tensorflow", "none")
    }
    assert by_kind == {
        "any": ["04", "05", "06", "07", "08", "10", "11", "13"],
        "tensorflow": ["09", "12"],
        "none": ["00", "01", "02", "03"],
    }


def test_keras_only_notebooks_call_no_tensorflow():
    """What lets them run unchanged on JAX: no `tf.` anywhere in their code."""
    for path in nbmeta.notebook_paths():
        if nbmeta.keras_backends(path) == "any":
            code = "\n".join(
                c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"
            )
            assert not re.search(r"\btf\.|tensorflow", code), path.name


def test_runner_on_another_backend_leaves_the_committed_notebook_alone(
    scratch_notebook, monkeypatch
):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    nb = new_notebook(
        cells=[
            new_markdown_cell("# 99 · Test"),
            new_code_cell("import os\nprint(os.environ['KERAS_BACKEND'])"),
        ]
    )
    nbformat.write(nb, scratch_notebook)
    monkeypatch.setenv("FMNIST_RUN_MODE", "smoke")
    out = execute(scratch_notebook, mode="full")
    # the kernel ran in full mode; this process is as it was
    assert (os.environ["FMNIST_RUN_MODE"] == "smoke")
    assert out == ROOT / "artifacts" / "jax" / scratch_notebook.name
    assert nbformat.read(out, as_version=4).cells[1].outputs[0].text == "jax\n"
    assert nbformat.read(scratch_notebook, as_version=4).cells[1].outputs == []
    out.unlink()


def test_find_python_falls_back_to_the_nearest_and_says_so():
    import subprocess

    found = subprocess.run(
        ["tools/find_python.sh", "3.99", "3.11"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 0 and "python3.11" in found.stdout
    assert "no Python 3.99 here; using Python 3.11" in found.stderr
    missing = subprocess.run(
        ["tools/find_python.sh", "3.98", "3.99"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 1 and "none of Python 3.98 3.99 found" in missing.stderr


def test_readme_shows_the_spread_over_seeds_of_current_code_only(monkeypatch, tmp_path):
    summary = {
        "metrics": {
            "val_accuracy": {"n": 4, "mean": 0.88321, "std": 0.00213, "min": 0.8805, "max": 0.8861},
            "seconds": {"n": 2, "mean": 1234.0, "std": 56.0, "min": 1194.0, "max": 1273.0},
            "one": {"n": 1, "mean": 1.0, "std": 0.0, "min": 1.0, "max": 1.0},
        },
        "failed": {},
    }
    assert (
        readme.spread_text(summary, "val_accuracy") == "0.8832 +/- 0.0021 (0.8805-0.8861, 4 seeds)"
    )
    assert readme.spread_text(summary, "seconds") == "1,234 +/- 56.00 (1,194-1,273, 2 seeds)"
    assert readme.spread_text(summary, "one") == "" and readme.spread_text(None, "x") == ""
    # a mean over a comparison's trainings also shows the spread of one training
    assert readme.one_training_text(summary, "val_accuracy") == ""
    summary["metrics"]["val_accuracy"]["one_training"] = {
        "n": 12, "mean": 0.8830, "std": 0.0041, "min": 0.875, "max": 0.889
    }
    assert readme.one_training_text(summary, "val_accuracy") == "sd 0.0041 (12 trainings)"
    summary["failed"] = {"2": {"cell": 12, "error": "AssertionError"}}
    assert readme.spread_text(summary, "val_accuracy").endswith(", failed under seed 2")
    # A summary of older code is not shown.
    notebook = tmp_path / "notebooks" / "07_x.ipynb"
    notebook.parent.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, notebook)
    (tmp_path / "results" / "seeds").mkdir(parents=True)
    summary_path = tmp_path / "results" / "seeds" / "07_x.json"
    monkeypatch.setattr(readme, "ROOT", tmp_path)
    monkeypatch.setattr(readme, "notebook_paths", lambda: [notebook])
    summary_path.write_text(json.dumps({**summary, "code_sha256": "older"}))
    assert readme.seed_summaries() == {}
    summary_path.write_text(json.dumps({**summary, "code_sha256": nbmeta.code_hash(nb)}))
    assert list(readme.seed_summaries()) == ["07_x"]
