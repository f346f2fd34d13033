"""Generate the README's notebook table and results table from the notebooks and `results/*.json`.

`python -m tools.readme` rewrites the two tables in README.md, prints the results table and redraws
the leaderboard chart `results/leaderboard.png` (it shows every notebook's latest full results);
`python -m tools.readme --check` exits 1 if README.md disagrees with what it would write.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from collections.abc import Iterator

import nbformat

from tools.nbmeta import ROOT, code_hash, colab_badge, notebook_paths, title
from utils.leaderboard import collect_leaderboard, save_chart, spreads_of
from utils.results import format_value, load_all_results

README = ROOT / "README.md"
BLOCKS = ("notebooks", "results")

# A notebook that has run but is not in notebooks/ and results/ yet: {stem: (notebook, record)}.
# tools/run_notebooks.py renders the README with it, to move all three into place together.
_staged: dict[str, tuple[nbformat.NotebookNode, dict]] = {}


@contextlib.contextmanager
def staged(stem: str, nb: nbformat.NotebookNode, record: dict | None) -> Iterator[None]:
    """Render the README as if `nb` and its results `record` were already in place."""
    _staged[stem] = (nb, record or {})
    try:
        yield
    finally:
        _staged.pop(stem, None)


def _notebook(path) -> nbformat.NotebookNode:
    return _staged[path.stem][0] if path.stem in _staged else nbformat.read(path, as_version=4)


def _by_notebook() -> dict[str, dict]:
    records = {record["notebook"]: record for record in load_all_results(ROOT / "results")}
    records.update({stem: record for stem, (_, record) in _staged.items() if record})
    return dict(sorted(records.items()))


def seed_summaries() -> dict[str, dict]:
    """Return `results/seeds/<notebook>.json` of every notebook whose summary ran its current code.
    """
    found = {}
    for path in notebook_paths():
        summary_path = ROOT / "results" / "seeds" / f"{path.stem}.json"
        if summary_path.is_file():
            summary = json.loads(summary_path.read_text())
            if summary.get("code_sha256") == code_hash(_notebook(path)):
                found[path.stem] = summary
    return found


def spread_text(summary: dict | None, name: str) -> str:
    """Return one metric's spread over seeds as the README shows it, e.g. "0.8832 +/- 0.0021
    (0.8805-0.8861, 4 seeds)".
    """
    metric = (summary or {}).get("metrics", {}).get(name)
    if not metric or metric["n"] < 2:
        return ""
    fmt = format_value if abs(metric["mean"]) >= 1 else (lambda v: f"{v:.4f}")
    text = (
        f"{fmt(metric['mean'])} +/- {fmt(metric['std'])} "
        f"({fmt(metric['min'])}-{fmt(metric['max'])}, {metric['n']} seeds)"
    )
    failed = (summary or {}).get("failed", {})
    return text + (f", failed under seed {', '.join(failed)}" if failed else "")


def one_training_text(summary: dict | None, name: str) -> str:
    """Return the spread of one training of a metric that is a mean over a comparison's seeds, e.g.
    "sd 0.0041 (12 trainings)"; "" for other metrics.
    """
    metric = (summary or {}).get("metrics", {}).get(name, {})
    single = metric.get("one_training")
    if not single or single["n"] < 2:
        return ""
    fmt = format_value if abs(single["mean"]) >= 1 else (lambda v: f"{v:.4f}")
    return f"sd {fmt(single['std'])} ({single['n']} trainings)"


def notebooks_table() -> str:
    """Return the Markdown table of notebooks: number, title, what you learn, headline, run time,
    Colab.
    """
    results, summaries = _by_notebook(), seed_summaries()
    rows = [
        "| # | Notebook | What you learn | Headline result | Full run | Colab |",
        "|---|---|---|---|---|---|",
    ]
    for path in notebook_paths():
        nb = _notebook(path)
        summary = nb.metadata.get("fmnist", {}).get("summary", "")
        record = results.get(path.stem)
        if record:
            name, value = next(iter(record["metrics"].items()))
            headline, seconds = f"`{name}` = {format_value(value)}", f"{record['seconds']:.0f} s"
            spread = spread_text(summaries.get(path.stem), name)
            headline += f" (over seeds: {spread})" if spread else ""
        else:
            headline, seconds = "not run yet", ""
        number, heading = path.stem[:2], title(nb).split("·")[-1].strip()
        rows.append(
            f"| {number} | [{heading}](notebooks/{path.name}) | {summary} | {headline} "
            f"| {seconds} | {colab_badge(path)} |"
        )
    if results:
        total = sum(record["seconds"] for record in results.values())
        devices = sorted({record.get("device", "unknown device") for record in results.values()})
        rows.append(
            f"\nFull runs take {total / 60:.0f} minutes in all (the sum of each notebook's last "
            f"full run). "
            f"Device: {', '.join(devices)}."
        )
    return "\n".join(rows)


def results_table() -> str:
    """Return the Markdown table of every recorded metric, notebook by notebook."""
    summaries = seed_summaries()
    rows = [
        "| Notebook | Metric | Value (seed 42) | Over seeds: mean +/- sd (min-max, seeds) "
        "| One training |",
        "|---|---|---:|---|---|",
    ]
    for stem, record in _by_notebook().items():
        for name, value in record["metrics"].items():
            rows.append(
                f"| {stem} | `{name}` | {format_value(value)} | "
                f"{spread_text(summaries.get(stem), name)} | "
                f"{one_training_text(summaries.get(stem), name)} |"
            )
    return "\n".join(rows)


def render(text: str) -> str:
    """Return README text with both generated blocks replaced by fresh tables."""
    tables = {"notebooks": notebooks_table(), "results": results_table()}
    for block in BLOCKS:
        pattern = re.compile(
            rf"(<!-- {block}:start -->\n).*?(<!-- {block}:end -->)", flags=re.DOTALL
        )
        match = pattern.search(text)
        if match is None:
            raise ValueError(
                f"README.md lacks the markers <!-- {block}:start --> and <!-- {block}:end -->"
            )
        text = (
            text[: match.start()]
            + match.group(1)
            + tables[block]
            + "\n"
            + match.group(2)
            + text[match.end() :]
        )
    return text


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or with --check, verify) the README's generated tables."""
    parser = argparse.ArgumentParser(prog="python -m tools.readme", description=main.__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is out of date")
    args = parser.parse_args(argv)
    current = README.read_text()
    fresh = render(current)
    if args.check:
        if fresh != current:
            print("README.md tables are out of date: run `make readme`", file=sys.stderr)
            return 1
        return 0
    if fresh != current:
        README.write_text(fresh)
    print(results_table())
    spreads = spreads_of(seed_summaries())  # only summaries of each notebook's current code
    entries, problems = collect_leaderboard(
        ROOT / "results", expected=[path.stem for path in notebook_paths()], spreads=spreads
    )
    chart = save_chart(entries, ROOT / "results")
    print(f"leaderboard of {len(entries)} results: {chart.relative_to(ROOT)}", *problems, sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
