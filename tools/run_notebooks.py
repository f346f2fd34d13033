"""Execute notebooks top to bottom in a fresh kernel and store their outputs (what `make run` does).

    python -m tools.run_notebooks                       # every notebook, full mode, saved in place
    python -m tools.run_notebooks notebooks/00_*.ipynb  # some of them
    python -m tools.run_notebooks --smoke ...           # smoke mode: outputs go to artifacts/smoke/
    KERAS_BACKEND=jax python -m tools.run_notebooks     # Keras-only notebooks on JAX, to
                                                        # artifacts/jax/

The committed outputs are TensorFlow's (the default backend). Under another backend only the
notebooks that use Keras alone run, and their outputs go to artifacts/<backend>/. A full run stamps
the notebook with the hash of its code cells, so the hygiene test can tell when code changed
without a re-run. A notebook that fails is saved, with its error, under artifacts/failed/ and the
committed notebook is left as it was.

Nothing is half-written. While a notebook runs, its kernel writes its results record to a staging
folder (`FMNIST_STAGING_DIR`), not to results/. Once it has run, the executed notebook, its record
and the README rendered from them are written beside their destinations and moved into place
together (`commit`): a journal listed the moves first, so a run killed in the middle of them is
finished by the next run (`recover`). Ctrl-C (SIGINT) or SIGTERM stops the kernel and prints one
line; the committed files are then all from the finished notebooks, or all as they were.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tools import readme
from tools.nbmeta import ROOT, code_hash, keras_backends, normalize_metadata, notebook_paths, sync
from utils.results import DEFAULT_BACKEND, STAGING_DIR_ENV_VAR, read_results
from utils.runtime import MODE_ENV_VAR

CELL_TIMEOUT_S = 3600
STAGING = ROOT / "artifacts" / "staging"
JOURNAL = ROOT / "artifacts" / "commit-journal.json"
EXIT_INTERRUPTED = 130
NEW_SUFFIX = ".new"  # files written beside their destination, waiting to be moved into place

# What the interrupt handler needs to know: the notebook running now and its kernel client.
_running: dict[str, object] = {}


def backend() -> str:
    """Return the Keras backend the kernels will use: `KERAS_BACKEND`, else TensorFlow."""
    return os.environ.get("KERAS_BACKEND", "").strip() or DEFAULT_BACKEND


def _stop_kernel(client: NotebookClient | None) -> None:
    """Interrupt the kernel (its cells clean up their worker processes), then kill its group."""
    provisioner = getattr(getattr(client, "km", None), "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    if not pid:
        return
    for sig, wait in ((signal.SIGINT, 2.0), (signal.SIGKILL, 0.0)):
        try:
            os.killpg(os.getpgid(pid), sig)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(wait)


def on_interrupt(signum: int, _frame: object) -> None:
    """Ctrl-C or SIGTERM: stop the kernel, drop staged files, say so in one line, exit 130."""
    _stop_kernel(_running.get("client"))  # type: ignore[arg-type]
    shutil.rmtree(STAGING, ignore_errors=True)
    name = _running.get("notebook")
    what = f"while running {name}" if name else "between notebooks"
    print(
        f"\nInterrupted ({signal.Signals(signum).name}) {what}: the committed notebook, results "
        "and README are unchanged for it.",
        file=sys.stderr,
        flush=True,
    )
    os._exit(EXIT_INTERRUPTED)  # no teardown: nbclient's event loop would print tracebacks


def handle_interrupts() -> None:
    """Install `on_interrupt` for SIGINT and SIGTERM (the runner's and the seed tool's commands)."""
    _running["handling"] = True
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_interrupt)


def _take_signals_back(**_: object) -> None:
    # nbclient answers SIGINT and SIGTERM by shutting the kernel down from its event loop, which
    # ends in a DeadKernelError and pages of traceback; once the kernel runs, ours answer instead.
    loop = asyncio.get_event_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(sig)
    if _running.get("handling"):  # a command, not a caller such as a test: ours answer
        handle_interrupts()


def _write_beside(destination: Path, text: str) -> Path:
    """Write `text` to a temporary file in `destination`'s folder (same file system); return it."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{destination.name}."
    fd, tmp = tempfile.mkstemp(dir=destination.parent, prefix=prefix, suffix=NEW_SUFFIX)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    return Path(tmp)


def commit(moves: list[tuple[Path, Path]]) -> None:
    """Move each (new file, destination) into place as one step, even if this process is killed.

    The journal of moves is written first (atomically); after a kill, `recover` finishes the moves.
    SIGINT and SIGTERM wait until the moves are done.
    """
    blocked = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        plan = [[str(new), str(dest)] for new, dest in moves]
        os.replace(_write_beside(JOURNAL, json.dumps(plan)), JOURNAL)
        for new, dest in moves:
            os.replace(new, dest)
        JOURNAL.unlink()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)


def recover() -> list[str]:
    """Finish a commit that a killed run left half done; return the destinations it completed.

    New files that no journal lists (the run was killed before its commit began) are removed.
    """
    done: list[str] = []
    if not JOURNAL.is_file():
        for folder in (ROOT, ROOT / "notebooks", ROOT / "results"):
            for stray in folder.glob(f".*{NEW_SUFFIX}"):
                stray.unlink()
        return done
    for new, dest in json.loads(JOURNAL.read_text()):
        if Path(new).exists():
            os.replace(new, dest)
            done.append(dest)
    JOURNAL.unlink()
    return done


def _run_kernel(nb: nbformat.NotebookNode, path: Path, env: dict[str, str]) -> None:
    """Execute `nb` in a fresh kernel whose environment adds `env`."""
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        record_timing=False,
        extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no TCP notice
        resources={"metadata": {"path": str(path.parent)}},
        on_notebook_start=_take_signals_back,
    )
    _running["client"] = client
    before = {name: os.environ.get(name) for name in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        client.execute()
    finally:  # leave this process's environment as it was (pytest runs smoke notebooks after)
        _running.pop("client", None)
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def execute(
    path: Path, mode: str = "full", out: Path | None = None, env: dict[str, str] | None = None
) -> Path:
    """Run one notebook in a fresh kernel; return where the executed notebook was written.

    By default a full TensorFlow run replaces the committed notebook, its results and the README
    together (`commit`), and any other run goes to artifacts/; `out` names another file (the
    committed notebook is then left alone). `env` adds environment variables for the kernel.
    """
    committed = out is None and mode == "full" and backend() == DEFAULT_BACKEND
    changes = {MODE_ENV_VAR: mode, **(env or {})}
    if committed:
        recover()
        sync(path)  # the setup cell and badge always match tools/nbmeta.py
        staging = STAGING / path.stem
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        changes[STAGING_DIR_ENV_VAR] = str(staging)
    nb = nbformat.read(path, as_version=4)
    try:
        _run_kernel(nb, path, changes)
    except CellExecutionError:
        failed = (
            out.with_name(out.stem + ".failed.ipynb")
            if out
            else ROOT / "artifacts" / "failed" / path.name
        )
        failed.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, failed)
        shown = failed.relative_to(ROOT) if failed.is_relative_to(ROOT) else failed
        print(f"  failed: the notebook with its error is in {shown}", file=sys.stderr)
        if committed:
            shutil.rmtree(STAGING / path.stem, ignore_errors=True)
        raise
    nb.metadata["fmnist"] = {
        **nb.metadata.get("fmnist", {}),
        "code_sha256": code_hash(nb),
        "run_mode": mode,
    }
    normalize_metadata(nb)
    text = nbformat.writes(nb)
    text += "" if text.endswith("\n") else "\n"
    if committed:
        _commit_run(path, nb, text, STAGING / path.stem)
        return path
    if out is None:
        kind = "smoke" if mode == "smoke" else backend()
        out = ROOT / "artifacts" / kind / path.name
    os.replace(_write_beside(out, text), out)
    return out


def _commit_run(path: Path, nb: nbformat.NotebookNode, text: str, staging: Path) -> None:
    """Move the executed notebook, its staged results record and the README into place together."""
    record_file = staging / f"{path.stem}.json"
    record = read_results(record_file) if record_file.is_file() else None
    moves = [(_write_beside(path, text), path)]
    if record_file.is_file():
        destination = ROOT / "results" / record_file.name
        moves.append((_write_beside(destination, record_file.read_text()), destination))
    if readme.README.is_file():
        with readme.staged(path.stem, nb, record):
            fresh = readme.render(readme.README.read_text())
        moves.append((_write_beside(readme.README, fresh), readme.README))
    commit(moves)
    shutil.rmtree(staging, ignore_errors=True)


def failed_cell(path: Path) -> tuple[int, str] | None:
    """Return (cell index, "ErrorName: message") of an executed notebook's first failed cell."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return index, f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip()
    return None


def main(argv: list[str] | None = None) -> int:
    """Execute the given notebooks (default: all) and report the time each took."""
    parser = argparse.ArgumentParser(prog="python -m tools.run_notebooks", description=main.__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook")
    parser.add_argument(
        "--smoke", action="store_true", help="smoke mode; outputs go to artifacts/smoke/"
    )
    args = parser.parse_args(argv)
    finished = recover()
    if finished:
        print(f"finished an interrupted commit: {', '.join(finished)}")
    paths = [p.resolve() for p in args.notebooks] or notebook_paths()
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"error: no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    mode = "smoke" if args.smoke else "full"
    if backend() != DEFAULT_BACKEND:
        skipped = [p for p in paths if keras_backends(p) != "any"]
        for path in skipped:
            tf_only = keras_backends(path) == "tensorflow"
            why = "teaches TensorFlow itself" if tf_only else "uses no Keras"
            print(f"{path.name}: skipped on {backend()} ({why})")
        paths = [p for p in paths if p not in skipped]
    total = time.perf_counter()
    for path in paths:
        start = time.perf_counter()
        print(f"{path.name} ({mode}) ...", flush=True)
        _running["notebook"] = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        try:
            out = execute(path, mode)
        except CellExecutionError as e:
            print(str(e)[-3000:], file=sys.stderr)
            return 1
        finally:
            _running.pop("notebook", None)
        shown = out.relative_to(ROOT)
        print(f"  done in {time.perf_counter() - start:.0f} s -> {shown}", flush=True)
    print(f"{len(paths)} notebook(s) in {time.perf_counter() - total:.0f} s")
    return 0


if __name__ == "__main__":
    handle_interrupts()
    sys.exit(main())
