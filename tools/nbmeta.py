"""What every notebook carries that the project generates: the setup cell, the Colab badge, the code
hash.

`GITHUB_REPO` is the one place that names the project's public repository: the setup cell that
clones it in Colab, the badges in the notebooks and the README are all made from it. `python -m
tools.nbmeta` rewrites the setup cell and badge of every notebook from it.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import nbformat

from utils.results import code_sha256

GITHUB_REPO = "fashion-mnist-notebooks/fashion-mnist-notebooks"  # owner/name on GitHub
BRANCH = "main"
CLONE_DIR = "fashion-mnist-notebooks"
ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = ROOT / "notebooks"
COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

SETUP_TITLE = "Setup: make `utils` importable (cloned in Colab), seed, versions, device, run mode"
SETUP_CELL = """\
#@title {title}
import subprocess
import sys
from pathlib import Path

REPO_URL = "https://github.com/{repo}.git"
if "google.colab" in sys.modules and not Path("{clone}").is_dir():
    # Colab starts without the project's files: clone them. To run your fork, set REPO_URL to it.
    import os
    cloned = subprocess.run(  # GIT_TERMINAL_PROMPT=0: fail rather than ask for a password
        ["git", "clone", "--quiet", "--depth", "1", REPO_URL, "{clone}"],
        capture_output=True, text=True, env={{**os.environ, "GIT_TERMINAL_PROMPT": "0"}})
    if cloned.returncode != 0:
        said = cloned.stderr.strip().splitlines() or ["git printed nothing"]
        reason = next((line for line in said if line.startswith("fatal:")), said[-1])
        raise SystemExit(f"Could not clone {{REPO_URL}} ({{reason}}). Check the address and the "
                         "connection, or set REPO_URL to the address of your fork.")
here = (Path.cwd(), Path.cwd().parent, Path("{clone}"))
sys.path.insert(0, str(next(p for p in here if (p / "utils" / "__init__.py").is_file()).resolve()))
import utils

# Seed (FMNIST_SEED, default 42), quiet TensorFlow's C++ logs, print versions, device and run mode.
SEED = utils.setup("{stem}")  # every model below trains from this seed"""
# The setup cell shows only its title until clicked: a form in Colab, a hidden source in Jupyter.
SETUP_METADATA = {"cellView": "form", "jupyter": {"source_hidden": True}}
SETUP_HEADING = "## Setup"


def notebook_paths() -> list[Path]:
    """Return the project's notebooks, in order."""
    return sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


_IMPORTS_TENSORFLOW = re.compile(r"^\s*(import tensorflow\b|from tensorflow\b)", flags=re.MULTILINE)
_IMPORTS_KERAS = re.compile(r"^\s*(import keras\b|from keras\b)", flags=re.MULTILINE)


def keras_backends(path: Path) -> str:
    """Return which Keras backends a notebook runs on: "any" (Keras only), "tensorflow" or "none"
    (no Keras).

    A notebook that imports TensorFlow teaches TensorFlow itself (09's GradientTape, 12's tf.data
    and tf.distribute) and runs only there; one that imports only Keras runs on every backend.
    """
    sources = "\n".join(
        cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"
    )
    if _IMPORTS_TENSORFLOW.search(sources):
        return "tensorflow"
    return "any" if _IMPORTS_KERAS.search(sources) else "none"


def colab_url(path: Path) -> str:
    """Return the URL that opens a notebook of this repository in Colab."""
    return f"https://colab.research.google.com/github/{GITHUB_REPO}/blob/{BRANCH}/notebooks/{Path(path).name}"


def colab_badge(path: Path) -> str:
    """Return the Markdown of the Open-in-Colab badge for a notebook."""
    return f"[![Open In Colab]({COLAB_BADGE_IMAGE})]({colab_url(path)})"


def setup_cell(stem: str) -> str:
    """Return the source of a notebook's first code cell."""
    cell = SETUP_CELL.format(title=SETUP_TITLE, repo=GITHUB_REPO, clone=CLONE_DIR, stem=stem)
    last = cell.splitlines()[-1]
    if len(last) > 100:  # a long notebook name: the comment would push the line past 100 characters
        cell = cell.replace(last, last.split("  #")[0])
    return cell


def code_hash(nb: nbformat.NotebookNode) -> str:
    """Return the SHA-256 of the code that made a notebook's outputs, the mark of what they came
    from.

    That is every code cell's source, less blocks that run only in Colab (the setup cell's clone):
    the stored outputs come from runs outside Colab, where those lines never execute, so editing
    them leaves the outputs as valid as before.
    """
    return code_sha256([cell.source for cell in nb.cells if cell.cell_type == "code"])


def title(nb: nbformat.NotebookNode) -> str:
    """Return the notebook's title, the first `# ` heading of its first cell."""
    match = re.search(r"^# (.+)$", nb.cells[0].source, flags=re.MULTILINE)
    return match.group(1).strip() if match else ""


def normalize_metadata(nb: nbformat.NotebookNode) -> None:
    """Keep only portable notebook metadata: the python3 kernelspec, the language, our own record.
    """
    keep = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    if "fmnist" in nb.metadata:
        keep["fmnist"] = nb.metadata["fmnist"]
    nb.metadata = nbformat.from_dict(keep)
    for cell in nb.cells:
        for key in ("execution", "collapsed", "scrolled", "ExecuteTime"):
            cell.metadata.pop(key, None)


def sync(path: Path) -> bool:
    """Rewrite a notebook's setup cell (under a "## Setup" heading, collapsed) and Colab badge; True
    if changed.
    """
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    first_md = next(c for c in nb.cells if c.cell_type == "markdown")
    badge = colab_badge(path)
    pattern = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")
    first_md.source = (
        pattern.sub(badge, first_md.source)
        if pattern.search(first_md.source)
        else first_md.source.rstrip() + "\n\n" + badge
    )
    index, first_code = next((i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code")
    first_code.source = setup_cell(path.stem)
    first_code.metadata.update(SETUP_METADATA)
    above = nb.cells[index - 1] if index > 0 else None
    if above is None or above.cell_type != "markdown" or not above.source.startswith(SETUP_HEADING):
        nb.cells.insert(index, nbformat.v4.new_markdown_cell(SETUP_HEADING))
    normalize_metadata(nb)
    after = nbformat.writes(nb)
    if after != before:  # through a temporary file: an interrupt never leaves half a notebook
        tmp = path.with_name(f".{path.name}.sync")
        tmp.write_text(after + "\n" if not after.endswith("\n") else after)
        os.replace(tmp, path)
    return after != before


if __name__ == "__main__":
    changed = [p.name for p in notebook_paths() if sync(p)]
    print("rewrote: " + ", ".join(changed) if changed else "all notebooks already in sync")
    sys.exit(0)
