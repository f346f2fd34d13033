"""Interrupts lose nothing: a run of `tools.run_notebooks` stopped by SIGINT, SIGTERM or SIGKILL at
any point leaves the committed notebook, its results file and the README all as they were, or all
from the new run; and a run started again afterwards completes.

Each test works on a copy of the project (utils/, tools/, README.md) holding one small notebook
that marks how far it got and then waits, so a signal can be sent at a known point: while a cell
runs, and right after `record_results` has written its record.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from tools import run_notebooks
from tools.nbmeta import ROOT, code_hash

STEM = "99_fixture"
CELLS = [
    f"""\
import os, pathlib, sys, time
sys.path.insert(0, os.getcwd().rsplit("/notebooks", 1)[0])
from utils import results, runtime
runtime._state.update(notebook="{STEM}", mode=runtime.run_mode(), seed=42, started=0.0,
                      device="test", backend="tensorflow")
results.versions = lambda: {{"python": "fixture"}}  # keeps Keras out: a run takes a second
def reached(point):  # tell the test how far the run got, then wait if it asks us to
    (pathlib.Path("..") / "artifacts").mkdir(exist_ok=True)
    (pathlib.Path("..") / "artifacts" / point).touch()
    time.sleep(float(os.environ.get("FIXTURE_WAIT_AT_" + point.upper(), "0")))""",
    'reached("running")',
    'results.record_results({"val_accuracy": 0.9})',
    'reached("recorded")',
    'print("the end")',
]
RUNNER = (  # the runner, without `sync` (it would write the real setup cell into the fixture)
    "import sys, tools.run_notebooks as r; r.sync = lambda path: False; "
    "r.handle_interrupts(); sys.exit(r.main(sys.argv[1:]))"
)


@pytest.fixture
def project(tmp_path):
    """A copy of the project with one fixture notebook and no results for it yet."""
    root = tmp_path / "project"
    for folder in ("utils", "tools"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "README.md", root / "README.md")
    (root / "results").mkdir()
    (root / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 99 · Fixture")]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in CELLS]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, root / "notebooks" / f"{STEM}.ipynb")
    return root


def snapshot(root: Path) -> dict[str, bytes | None]:
    """The committed files a run may change: the notebook, its results file, the README."""
    paths = [f"notebooks/{STEM}.ipynb", f"results/{STEM}.json", "README.md"]
    return {p: (root / p).read_bytes() if (root / p).exists() else None for p in paths}


SEED_TOOL = (
    "import sys, tools.seeds as s, tools.run_notebooks as r; r.handle_interrupts(); "
    "sys.exit(s.main(sys.argv[1:]))"
)


def start(root: Path, *args: str, program: str = RUNNER, **waits: float) -> subprocess.Popen:
    token = uuid.uuid4().hex
    env = {**os.environ, "FIXTURE_TOKEN": token, "FMNIST_RUN_MODE": "full"}
    env.pop("KERAS_BACKEND", None)
    env.update({f"FIXTURE_WAIT_AT_{point.upper()}": str(s) for point, s in waits.items()})
    process = subprocess.Popen(
        [sys.executable, "-c", program, f"notebooks/{STEM}.ipynb", *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a Ctrl-C in the terminal running pytest does not reach it
    )
    process.token = token  # type: ignore[attr-defined]
    return process


def kill_leftovers(token: str) -> None:
    """Kill every process whose environment carries `token` (a kernel orphaned by SIGKILL)."""
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and f"FIXTURE_TOKEN={token}".encode() in (
                proc / "environ"
            ).read_bytes().split(b"\0"):
                os.kill(int(proc.name), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, f"the run ended early: {process.communicate()}"
        assert time.monotonic() < deadline, f"the run never reached {path.name}"
        time.sleep(0.1)


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name
)
@pytest.mark.parametrize("point", ["running", "recorded"])
def test_an_interrupted_run_changes_nothing_and_the_next_run_completes(project, sig, point):
    before = snapshot(project)
    process = start(project, **{point: 60})
    try:
        wait_for(project / "artifacts" / point, process)
        if point == "recorded":  # the record exists, but only in the staging folder
            assert (project / "artifacts" / "staging" / STEM / f"{STEM}.json").is_file()
        process.send_signal(sig)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
        kill_leftovers(process.token)
    assert snapshot(project) == before
    if sig == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
    else:
        assert process.returncode == run_notebooks.EXIT_INTERRUPTED
        said = [line for line in err.splitlines() if line.strip()]
        assert len(said) == 1 and "Traceback" not in err, err
        assert said[0].startswith(f"Interrupted ({sig.name}) while running notebooks/{STEM}.ipynb")
        assert "unchanged" in said[0]
        assert not (project / "artifacts" / "staging").exists()

    again = start(project)
    out, err = again.communicate(timeout=180)
    assert again.returncode == 0, err
    nb = nbformat.read(project / "notebooks" / f"{STEM}.ipynb", as_version=4)
    assert nb.metadata.fmnist["code_sha256"] == code_hash(nb)
    record = json.loads((project / "results" / f"{STEM}.json").read_text())
    assert record["metrics"] == {"val_accuracy": 0.9}
    assert "Saved to results/99_fixture.json" in "".join(nb.cells[3].outputs[0].text)
    assert f"notebooks/{STEM}.ipynb" in (project / "README.md").read_text()
    assert not list(project.glob(f"**/.*{run_notebooks.NEW_SUFFIX}"))


def test_an_interrupted_seed_run_says_so_in_one_line_and_writes_no_summary(project):
    before = snapshot(project)
    process = start(project, "--seeds", "1", program=SEED_TOOL, running=60)
    try:
        wait_for(project / "artifacts" / "running", process)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
        kill_leftovers(process.token)
    assert process.returncode == run_notebooks.EXIT_INTERRUPTED
    said = [line for line in err.splitlines() if line.strip()]
    assert len(said) == 1 and said[0].startswith(
        f"Interrupted (SIGINT) while running notebooks/{STEM}.ipynb under seed 1"
    ), err
    assert snapshot(project) == before and not (project / "results" / "seeds").exists()


def test_a_commit_killed_half_way_is_finished_by_the_next_run(tmp_path, monkeypatch):
    monkeypatch.setattr(run_notebooks, "JOURNAL", tmp_path / "artifacts" / "journal.json")
    destinations = [tmp_path / name for name in ("a.ipynb", "a.json", "README.md")]
    for dest in destinations:
        dest.write_text("old")
    moves = [(run_notebooks._write_beside(dest, "new"), dest) for dest in destinations]
    real_replace, calls = os.replace, []

    def dies_after_the_first_move(src, dst):
        calls.append(dst)
        if len(calls) == 3:  # the journal, then one file: then the process "dies"
            raise SystemExit("killed")
        real_replace(src, dst)

    monkeypatch.setattr(run_notebooks.os, "replace", dies_after_the_first_move)
    with pytest.raises(SystemExit):
        run_notebooks.commit(moves)
    monkeypatch.setattr(run_notebooks.os, "replace", real_replace)
    assert [d.read_text() for d in destinations] == ["new", "old", "old"]  # half done
    assert run_notebooks.recover() == [str(d) for d in destinations[1:]]
    assert [d.read_text() for d in destinations] == ["new", "new", "new"]
    assert not run_notebooks.JOURNAL.exists() and run_notebooks.recover() == []
