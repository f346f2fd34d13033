"""The notebook contract: what every notebook's code must look like, rule by rule.

Each rule takes a notebook (and its file name without `.ipynb`) and returns its problems, one
sentence each; `tests/test_notebooks.py` requires none, and plants a violation of each rule to see
it caught. The README's "Adding a notebook" says the same in prose.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import nbformat

from tools.nbmeta import SETUP_HEADING, SETUP_METADATA, SETUP_TITLE

MAX_CELL_LINES = 25  # non-blank lines in a code cell
MAX_LINE = 100  # characters in a line of code
# The mechanism a notebook teaches lives in utils/ for reuse, so the notebook prints its source.
SHOWN = {
    "01_spiral_from_scratch": ("utils.softmax", "utils.cross_entropy"),
    "02_backprop_vs_numerical_gradient": ("utils.numerical_gradient", "utils.MLP.gradient"),
    "12_speed_and_scale": ("utils.timed_fit",),
}
# Plumbing that belongs behind a utils call, not in a lesson cell.
# (With TensorFlow on a CPU, `fast_path` turns XLA off: a comment saying otherwise is wrong.)
PLUMBING = re.compile(r"redirect_stdout|warnings\.filterwarnings|hashlib|fast_path\(.*\bXLA\b")
UTILS_NAME = re.compile(r"(?<![\w.])utils\.(\w+)(\.\w+)?")

Notebook = nbformat.NotebookNode
Rule = Callable[[Notebook, str], list[str]]


def code_cells(nb: Notebook) -> list[nbformat.NotebookNode]:
    """Return the code cells that hold code."""
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def setup_is_collapsed(nb: Notebook, stem: str) -> list[str]:
    """The setup cell shows one title line: a Colab form, a hidden source in Jupyter."""
    index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    cell, problems = nb.cells[index], []
    if not cell.source.startswith(f"#@title {SETUP_TITLE}\n"):
        problems.append("the setup cell does not start with its #@title line")
    for key, value in SETUP_METADATA.items():
        if cell.metadata.get(key) != value:
            problems.append(f"the setup cell's metadata lacks {key}: {value} (make sync)")
    above = nb.cells[index - 1] if index else None
    if above is None or above.cell_type != "markdown" or above.source.strip() != SETUP_HEADING:
        problems.append(f"no '{SETUP_HEADING}' heading right above the setup cell")
    return problems


def one_way_to_utils(nb: Notebook, stem: str) -> list[str]:
    """`import utils` once (the setup cell), then `utils.X` with X in `utils.__all__`."""
    import utils

    problems = []
    for n, cell in enumerate(code_cells(nb)):
        lesson = cell.source if n else ""
        if re.search(r"^\s*(from utils\b|import utils\.)", lesson, flags=re.MULTILINE):
            problems.append(f"code cell {n} imports from utils: write utils.X")
        for match in UTILS_NAME.finditer(lesson):
            name, attribute = match.groups()
            if name not in utils.__all__:
                problems.append(f"code cell {n}: utils.{name} is not in utils.__all__")
            elif attribute and not hasattr(getattr(utils, name), attribute[1:]):
                problems.append(f"code cell {n}: utils.{name}{attribute} reaches into a module")
    return problems


def short_cells_and_lines(nb: Notebook, stem: str) -> list[str]:
    """A code cell has at most 25 non-blank lines, and a line at most 100 characters."""
    problems = []
    for n, cell in enumerate(code_cells(nb)):
        lines = cell.source.splitlines()
        filled = sum(1 for line in lines if line.strip())
        if filled > MAX_CELL_LINES:
            problems.append(f"code cell {n} has {filled} lines (at most {MAX_CELL_LINES})")
        problems += [
            f"code cell {n} has a line of {len(line)} characters (at most {MAX_LINE})"
            for line in lines
            if len(line) > MAX_LINE
        ]
    return problems


def sizes_in_one_place(nb: Notebook, stem: str) -> list[str]:
    """Every size smoke mode shrinks (`utils.by_mode`, and the seeds of `utils.comparison_seeds`)
    is set in the settings cell, code cell 1.
    """
    return [
        f"code cell {n} calls utils.{call}: set sizes in the settings cell (code cell 1)"
        for n, cell in enumerate(code_cells(nb))
        for call in ("by_mode", "comparison_seeds")
        if n != 1 and f"{call}(" in cell.source
    ]


def mechanism_shown(nb: Notebook, stem: str) -> list[str]:
    """What the notebook teaches but utils holds is printed with inspect.getsource."""
    source = "\n".join(c.source for c in code_cells(nb))
    return [
        f"{name} is taught here but not shown: print(inspect.getsource({name}))"
        for name in SHOWN.get(stem, ())
        if f"inspect.getsource({name})" not in source
    ]


def no_plumbing(nb: Notebook, stem: str) -> list[str]:
    """No warnings filters, stdout redirection, hashing or XLA claims in the lesson's cells."""
    return [
        f"code cell {n} has plumbing ({match.group(0)}): move it behind a utils call"
        for n, cell in enumerate(code_cells(nb))
        if n and (match := PLUMBING.search(cell.source))
    ]


RULES: dict[str, Rule] = {
    rule.__name__: rule
    for rule in (
        setup_is_collapsed,
        one_way_to_utils,
        short_cells_and_lines,
        sizes_in_one_place,
        mechanism_shown,
        no_plumbing,
    )
}


def problems(nb: Notebook, stem: str) -> list[str]:
    """Return every rule's problems with a notebook."""
    return [f"{name}: {p}" for name, rule in RULES.items() for p in rule(nb, stem)]
