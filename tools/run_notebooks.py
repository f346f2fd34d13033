"""Execute notebooks top to bottom in a fresh kernel and store their outputs (what `make run` does).

    python -m tools.run_notebooks                      # every notebook, full mode, outputs saved in place
    python -m tools.run_notebooks notebooks/00_*.ipynb # some of them
    python -m tools.run_notebooks --smoke ...          # smoke mode: outputs go to artifacts/smoke/
    KERAS_BACKEND=jax python -m tools.run_notebooks    # the Keras-only notebooks on JAX: to artifacts/jax/

The committed outputs are TensorFlow's (the default backend). Under another backend only the
notebooks that use Keras alone run, and their outputs go to artifacts/<backend>/. A full run stamps
the notebook with the hash of its code cells, so the hygiene test can tell when code changed without
a re-run. A notebook that fails is saved, with its error, under
artifacts/failed/ and the committed notebook is left as it was.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tools.nbmeta import ROOT, code_hash, keras_backends, normalize_metadata, notebook_paths, sync
from utils.results import DEFAULT_BACKEND
from utils.runtime import MODE_ENV_VAR

CELL_TIMEOUT_S = 3600


def backend() -> str:
    """Return the Keras backend the kernels will use: `KERAS_BACKEND`, else TensorFlow."""
    return os.environ.get("KERAS_BACKEND", "").strip() or DEFAULT_BACKEND


def execute(path: Path, mode: str = "full", out: Path | None = None, env: dict[str, str] | None = None) -> Path:
    """Run one notebook in a fresh kernel; return where the executed notebook was written.

    By default a full TensorFlow run replaces the committed notebook and any other run goes to
    artifacts/; `out` names another file (the committed notebook is then left alone). `env` adds
    environment variables for the kernel (for example FMNIST_SEED).
    """
    committed = out is None and mode == "full" and backend() == DEFAULT_BACKEND  # replaces the committed one
    if committed:
        sync(path)  # the setup cell and badge always match tools/nbmeta.py
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3", record_timing=False,
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no TCP notice
                            resources={"metadata": {"path": str(path.parent)}})
    changes = {MODE_ENV_VAR: mode, **(env or {})}
    before = {name: os.environ.get(name) for name in changes}
    os.environ.update(changes)  # the kernel inherits this process's environment
    try:
        client.execute()
    except CellExecutionError:
        failed = out.with_name(out.stem + ".failed.ipynb") if out else ROOT / "artifacts" / "failed" / path.name
        failed.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, failed)
        shown = failed.relative_to(ROOT) if failed.is_relative_to(ROOT) else failed
        print(f"  failed: the notebook with its error is in {shown}", file=sys.stderr)
        raise
    finally:  # leave this process's environment as it was (pytest runs notebooks in smoke mode after this)
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    nb.metadata["fmnist"] = {**nb.metadata.get("fmnist", {}), "code_sha256": code_hash(nb), "run_mode": mode}
    normalize_metadata(nb)
    if out is None:
        out = path if committed else ROOT / "artifacts" / ("smoke" if mode == "smoke" else backend()) / path.name
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return out


def failed_cell(path: Path) -> tuple[int, str] | None:
    """Return (cell index, "ErrorName: message") of the first cell of an executed notebook that failed, or None."""
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
    parser.add_argument("--smoke", action="store_true", help="smoke mode; outputs go to artifacts/smoke/")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or notebook_paths()
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"error: no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    mode = "smoke" if args.smoke else "full"
    if backend() != DEFAULT_BACKEND:
        skipped = [p for p in paths if keras_backends(p) != "any"]
        for path in skipped:
            why = "teaches TensorFlow itself" if keras_backends(path) == "tensorflow" else "uses no Keras"
            print(f"{path.name}: skipped on {backend()} ({why})")
        paths = [p for p in paths if p not in skipped]
    total = time.perf_counter()
    for path in paths:
        start = time.perf_counter()
        print(f"{path.name} ({mode}) ...", flush=True)
        try:
            out = execute(path, mode)
        except CellExecutionError as e:
            print(str(e)[-3000:], file=sys.stderr)
            return 1
        print(f"  done in {time.perf_counter() - start:.0f} s -> {out.relative_to(ROOT)}", flush=True)
    print(f"{len(paths)} notebook(s) in {time.perf_counter() - total:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
