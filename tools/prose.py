"""Find numbers in a notebook's Markdown that no output beside them shows: prose gone stale.

    python -m tools.prose                   # every notebook; exit 1 and list each stale number
    python -m tools.prose notebooks/07_*.ipynb

A measured number may appear in Markdown only if the notebook prints it, or sets it in code, in the
same section: from the heading above the number to the next heading (of any level). The code of
the "Settings" section counts everywhere, since every size lives there. Checked are decimals
(0.8853, 2.6), percentages (88.5%), ratios (3x, 2.5 times), whole numbers with a unit of time (17
seconds, 82 hours), and whole numbers that are measured: an epoch, step or trial named by its
number ("stopped after epoch 15", "kept epoch 13", "near step 290"), and counts of epochs, steps,
trials, mistakes and errors ("saved 5 epochs", "199 mistakes"). Other whole numbers are settings and
sizes (784 inputs, layer 2, batch 32, 28×28) and are not checked, nor is a "**Try next**"
paragraph, which proposes settings. A number passes when a number that
rounds to it at the precision the prose uses is printed or written in code in its section; a
percentage also matches a fraction (88.5% and 0.8853). Not checked: inline code, LaTeX, versions
(3.11.7, Keras 3.10), and citations, i.e. numbers inside a link's text, as in "the book reports
[0.846](https://...)".

What the check cannot catch:
- a number that is printed in its section but means something else there (0.85 printed as an
  epoch-1 accuracy, quoted as a final one): it matches values, not meanings;
- words without digits ("several times faster", "most", "lower on every seed", "no effect"): read
  them against the verdicts printed beside them;
- a claim true for the seed of the stored run only, unless it quotes a number; the seed runs
  (`make seeds`) catch those claims only when an assertion states them;
- whole numbers outside the measured kinds above (a count of units, of images, a layer index);
- spelled-out numbers ("five epochs", "a third").
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
# Whole numbers that are measured, not set: an epoch, step or trial named by its number, and counts
# of epochs, steps, trials, mistakes and errors.
_NAMED_BEFORE = re.compile(r"\b(?:epochs?|steps?|trials?)\s*$", flags=re.IGNORECASE)
_COUNTED_AFTER = re.compile(
    r"^\s?(?:more\s|fewer\s|extra\s)?(?:epochs?|steps?|trials?|mistakes|errors)\b",
    flags=re.IGNORECASE,
)
# A "Try next" paragraph proposes settings to try; it claims no measurement.
_TRY_NEXT = re.compile(r"\*\*Try next.*?(?:\n\s*\n|\Z)", flags=re.DOTALL)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s", flags=re.MULTILINE)
SETTINGS_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+Settings\b", flags=re.IGNORECASE)


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
    text = _TRY_NEXT.sub(" ", text)
    found = []
    for match in _PROSE_NUMBER.finditer(text):
        if match.group("tail") or _VERSIONED.search(
            text[: match.start()]
        ):  # 3.11.7, TensorFlow 2.19
            continue
        number, after = match.group("num"), match.group("after").strip()
        if after in ("x", "×") and re.match(r"\s?\d", text[match.end() :]):
            after = ""  # a size, 28×28, or a product, 784 × 100: not a ratio
        decimals = len(number.split(".")[1]) if "." in number else 0
        if (
            decimals == 0
            and not after
            and not _NAMED_BEFORE.search(text[: match.start()])
            and not _COUNTED_AFTER.match(text[match.end() :])
        ):
            continue  # a setting or a size: 784 inputs, layer 2, batch 32
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


def _cell_texts(cell: nbformat.NotebookNode) -> list[str]:
    texts = [cell.source]
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
    return ["".join(t) if isinstance(t, list) else t for t in texts]


def _numbers(texts: list[str]) -> list[float]:
    numbers = []
    for text in texts:
        for match in _OUTPUT_NUMBER.finditer(text):
            try:
                numbers.append(abs(float(match.group(0).replace(",", ""))))
            except ValueError:
                continue
    return numbers


def sections(nb: nbformat.NotebookNode) -> list[dict]:
    """Return the notebook's sections in order: {"heading", "prose": [(cell index, Markdown)],
    "shown": [numbers printed or written in code]}; a Markdown cell with headings is split at them.
    """
    found = [{"heading": "", "prose": [], "shown": []}]
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            found[-1]["shown"] += _numbers(_cell_texts(cell))
            continue
        if cell.cell_type != "markdown":
            continue
        # a `# comment` inside a fenced code block is no heading
        fenced = [m.span() for m in _FENCED.finditer(cell.source)]
        starts = [
            m.start()
            for m in _HEADING.finditer(cell.source)
            if not any(a <= m.start() < b for a, b in fenced)
        ]
        pieces = [cell.source[: starts[0]] if starts else cell.source]
        pieces += [cell.source[a:b] for a, b in zip(starts, [*starts[1:], len(cell.source)])]
        for number, piece in enumerate(pieces):
            if number > 0:  # a heading opens a section
                found.append({"heading": piece.splitlines()[0], "prose": [], "shown": []})
            if piece.strip():
                found[-1]["prose"].append((index, piece))
    return found


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
    """Return the numbers in a notebook's Markdown that neither the outputs nor the code of their
    section (nor the Settings code) show.
    """
    nb = nbformat.read(path, as_version=4)
    found = sections(nb)
    settings = [n for sec in found if SETTINGS_HEADING.match(sec["heading"]) for n in sec["shown"]]
    stale = []
    for section in found:
        shown = section["shown"] + settings
        for index, markdown in section["prose"]:
            for text, value, decimals, percent in prose_numbers(markdown):
                if not matches(value, decimals, percent, shown):
                    at = markdown.find(text)
                    context = markdown[max(0, at - 40) : at + len(text) + 20].replace("\n", " ")
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
        f"{len(stale)} number(s) in Markdown that no output or code of their section shows, in "
        f"{len(paths)} notebook(s)"
        if stale
        else f"every number in the Markdown of {len(paths)} notebook(s) is shown in its section"
    )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
