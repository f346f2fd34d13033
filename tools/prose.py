"""Find numbers in a notebook's Markdown that none of its stored outputs shows: prose gone stale.

    python -m tools.prose                   # every notebook; exit 1 and list each stale number
    python -m tools.prose notebooks/07_*.ipynb

A measured number may appear in Markdown only if the notebook prints it. Checked are decimals
(0.8853, 2.6), percentages (88.5%), ratios (3x, 2.5 times) and whole numbers with a unit of time (17
seconds, 82 hours); whole numbers otherwise are counts and settings (10 epochs, 784 inputs). A
number passes when an output, or a code cell (a setting such as a learning rate of 0.01), holds a
number that rounds to it at the precision the prose uses; a percentage also matches a fraction
(88.5% and 0.8853). Not checked: inline code, LaTeX, versions (3.11.7, Keras 3.10), and citations,
i.e. numbers inside a link's text, as in "the book reports [0.846](https://...)".
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tools.nbmeta import notebook_paths

_INLINE_CODE = re.compile(r"`[^`]*`")
_FENCED = re.compile(r"```.*?```", flags=re.DOTALL)
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$", flags=re.DOTALL)
_LINK_TEXT = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_HTML = re.compile(r"<[^>]+>")
_TIME_UNITS = r"(?:ms|s|sec|seconds?|min|minutes?|h|hours?)\b"
# A number in prose: optional sign, digits with thousands commas, optional decimals, then what
# follows.
_PROSE_NUMBER = re.compile(
    r"(?<![\w.])[-−+]?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<tail>(?:\.\d)?)"
    rf"(?P<after>\s?(?:%|x\b|×|times\b|{_TIME_UNITS})?)"
)
_VERSIONED = re.compile(
    r"(?:python|tensorflow|keras|numpy|jax|jaxlib|scikit-learn|pandas|matplotlib|cuda|version|v)\s*$",
    flags=re.IGNORECASE,
)  # "TensorFlow 2.19", "version 3.10": versions, not measurements
_OUTPUT_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class StaleNumber:
    """A number in a Markdown cell that no output or code cell of its notebook shows."""

    notebook: str
    cell: int
    text: str
    context: str

    def __str__(self) -> str:
        return f'{self.notebook} cell {self.cell}: {self.text!r} in "...{self.context}..."'


def prose_numbers(markdown: str) -> list[tuple[str, float, int, bool]]:
    """Return the checkable numbers of a Markdown text: (as written, value, decimals, is a
    percentage).
    """
    text = _FENCED.sub(" ", markdown)
    text = _INLINE_CODE.sub(" ", text)
    text = _MATH.sub(" ", text)
    text = _LINK_TEXT.sub(" ", text)  # citations (numbers in a link's text) and URLs
    text = _HTML.sub(" ", text)
    found = []
    for match in _PROSE_NUMBER.finditer(text):
        if match.group("tail") or _VERSIONED.search(
            text[: match.start()]
        ):  # 3.11.7, TensorFlow 2.19
            continue
        number, after = match.group("num"), match.group("after").strip()
        decimals = len(number.split(".")[1]) if "." in number else 0
        if decimals == 0 and not after:
            continue  # a count or a setting: 10 epochs, 784 inputs, layer 2
        if (
            decimals == 0
            and after in ("x", "×", "times")
            and int(number.replace(",", "")) in (1, 2, 3, 4)
        ):
            # "2x2 grid", "3 times" (counts) are too common to be claims; multipliers of 1-4 with
            # decimals are checked
            continue
        value = float(number.replace(",", ""))
        found.append((match.group(0).strip(), value, decimals, after == "%"))
    return found


def shown_numbers(nb: nbformat.NotebookNode) -> list[float]:
    """Return every number in the notebook's text outputs and code cells."""
    texts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        texts.append(cell.source)
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            data = output.get("data", {})
            texts += [
                data.get("text/plain", ""),
                data.get("text/markdown", ""),
                data.get("text/html", ""),
            ]
            if output.get("output_type") == "error":
                texts.append(output.get("evalue", ""))
    numbers = []
    for text in texts:
        text = "".join(text) if isinstance(text, list) else text
        for match in _OUTPUT_NUMBER.finditer(text):
            try:
                numbers.append(abs(float(match.group(0).replace(",", ""))))
            except ValueError:
                continue
    return numbers


def matches(value: float, decimals: int, percent: bool, shown: list[float]) -> bool:
    """Return True if a shown number rounds to `value` at `decimals` places (a percentage also as a
    fraction x 100).
    """
    tolerance = 0.5 * 10**-decimals + 1e-9
    value = abs(value)
    for number in shown:
        if abs(number - value) <= tolerance:
            return True
        if percent and abs(100 * number - value) <= tolerance:
            return True
    return False


def stale_numbers(path: Path) -> list[StaleNumber]:
    """Return the numbers in a notebook's Markdown that neither its outputs nor its code show."""
    nb = nbformat.read(path, as_version=4)
    shown = shown_numbers(nb)
    stale = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for text, value, decimals, percent in prose_numbers(cell.source):
            if not matches(value, decimals, percent, shown):
                at = cell.source.find(text)
                context = cell.source[max(0, at - 40) : at + len(text) + 20].replace("\n", " ")
                stale.append(StaleNumber(path.stem, index, text, context))
    return stale


def main(argv: list[str] | None = None) -> int:
    """List every stale number in the given notebooks (default: all); exit 1 if there is one."""
    parser = argparse.ArgumentParser(prog="python -m tools.prose", description=main.__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or notebook_paths()
    stale = [problem for path in paths for problem in stale_numbers(path)]
    for problem in stale:
        print(problem)
    print(
        f"{len(stale)} number(s) in Markdown that no output shows, in {len(paths)} notebook(s)"
        if stale
        else f"every number in the Markdown of {len(paths)} notebook(s) is shown by an output"
    )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
