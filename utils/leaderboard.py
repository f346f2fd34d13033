"""The leaderboard: every accuracy the notebooks recorded in `results/`, beside published reference
points.

A recorded metric counts as a headline result when its name contains `test_accuracy`, `val_accuracy`
or `cv_accuracy` (so the spiral's toy-data accuracies of notebook 01 stay out). Validation and test
numbers are kept apart by their `split`: only test numbers compare fairly with the published ones,
which are all measured on the Fashion-MNIST test set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from utils.results import ResultsError, notebook_code_sha256, read_results, results_dir
from utils.runtime import project_root

FASHION_MNIST_README = "zalandoresearch/fashion-mnist README, benchmark table"
DATASET_PAPER = "Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747, benchmark"
CHART = "leaderboard.png"
SPLITS = {"test": "test", "val": "validation", "cv": "cross-validation"}
_HEADLINE = re.compile(r"(?:^|_)(test|val|cv)_accuracy(?:$|_)")


@dataclass(frozen=True)
class Entry:
    """One row of the leaderboard: a result, its accuracy, the split it was measured on, where it
    comes from.
    """

    name: str
    accuracy: float
    split: str
    source: str
    over_seeds: Mapping[str, float] | None = (
        None  # {"mean", "std", "min", "max", "n"} from results/seeds/, if any
    )

    @property
    def spread(self) -> str:
        """Return the spread over seeds as "0.9026 +/- 0.0030 (0.8993-0.9061, 4 seeds)", or ""
        without one.
        """
        s = self.over_seeds
        if not s or s.get("n", 0) < 2:
            return ""
        return (
            f"{s['mean']:.4f} +/- {s['std']:.4f} "
            f"({s['min']:.4f}-{s['max']:.4f}, {int(s['n'])} seeds)"
        )

    @property
    def score(self) -> float:
        """Return what the entry is ranked by: its mean over seeds where seed runs exist, else its
        one accuracy.
        """
        s = self.over_seeds
        return float(s["mean"]) if s and s.get("n", 0) >= 2 else self.accuracy

    @property
    def external(self) -> bool:
        """Return True for a published reference point, False for a result of this project."""
        return self.split.startswith("external")


EXTERNAL: tuple[Entry, ...] = (
    Entry("human, crowd-sourced", 0.835, "external (test)", FASHION_MNIST_README),
    Entry("logistic regression (scikit-learn)", 0.842, "external (test)", DATASET_PAPER),
    Entry(
        "MLP (scikit-learn, the dataset paper's best MLP)", 0.871, "external (test)", DATASET_PAPER
    ),
    Entry(
        "MLP 256-128-100 (best MLP in the benchmark table)",
        0.8833,
        "external (test)",
        FASHION_MNIST_README,
    ),
    Entry(
        "MLP 300-100 (Hands-On ML, Keras)",
        0.8864,
        "external (test)",
        "Geron, Hands-On Machine Learning, 3rd ed., chapter 10",
    ),
    Entry(
        "MLP, 1,024 wide (KANbeFair)",
        0.8946,
        "external (test)",
        "Yu, Yu & Wang 2024, KAN or MLP: A Fairer Comparison, arXiv:2407.16674",
    ),
    Entry("SVC, RBF kernel (scikit-learn)", 0.897, "external (test)", DATASET_PAPER),
    Entry(
        "2 conv layers + pooling (CNN, not dense)", 0.916, "external (test)", FASHION_MNIST_README
    ),
)


def headline_split(metric: str) -> str | None:
    """Return "test", "validation" or "cross-validation" for a headline accuracy metric, else None.
    """
    match = _HEADLINE.search(metric)
    return SPLITS[match.group(1)] if match else None


SPREAD_KEYS = ("mean", "std", "min", "max", "n")


def spreads_of(summaries: Mapping[str, Mapping]) -> dict[str, dict[str, dict[str, float]]]:
    """Return {notebook: {metric: {"mean", "std", "min", "max", "n"}}} from seed summaries
    ({notebook: the contents of `results/seeds/<notebook>.json`}), as `collect_leaderboard` takes.
    """
    return {
        stem: {
            metric: {key: spread[key] for key in SPREAD_KEYS}
            for metric, spread in summary["metrics"].items()
        }
        for stem, summary in summaries.items()
    }


def seed_spreads(root: Path | None = None) -> dict[str, dict[str, dict[str, float]]]:
    """Return the spreads over seeds (`spreads_of`) of every notebook whose seed runs
    (`results/seeds/<notebook>.json`, written by `make seeds`) ran the code now in its notebook; a
    summary of older code describes another notebook and is left out.
    """
    root = Path(root) if root is not None else project_root()
    current = {}
    for path in sorted((root / "results" / "seeds").glob("*.json")):
        notebook = root / "notebooks" / f"{path.stem}.ipynb"
        summary = json.loads(path.read_text())
        if notebook.is_file() and summary.get("code_sha256") == notebook_code_sha256(notebook):
            current[path.stem] = summary
    return spreads_of(current)


def collect_leaderboard(
    folder: Path | None = None,
    expected: Iterable[str] | None = None,
    external: bool = True,
    current: Mapping[str, Mapping[str, float]] | None = None,
    spreads: Mapping[str, Mapping[str, Mapping[str, float]]] | None = None,
) -> tuple[list[Entry], list[str]]:
    """Return (entries sorted best first, problems): every headline accuracy in `folder`'s results
    files.

    `current` maps a notebook to metrics it has just computed: they replace that notebook's file, if
    any (a notebook that shows the leaderboard before recording its own results passes its own). A
    file that cannot be read is skipped and reported in `problems`, as is each notebook named in
    `expected` that has no results yet (default: every notebook of the project when `folder` is the
    project's `results/`, else none); nothing is raised for either. `spreads` maps a notebook to its
    metrics' spreads over seeds (the "metrics" of `results/seeds/<notebook>.json`), shown beside
    them.
    """
    if expected is None:
        expected = (
            []
            if folder is not None
            else [p.stem for p in sorted((project_root() / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
        )
    folder = Path(folder) if folder is not None else results_dir()
    current = dict(current or {})
    entries: list[Entry] = list(EXTERNAL) if external else []
    problems: list[str] = []
    records: dict[str, Mapping[str, float]] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            record = read_results(path)
        except ResultsError as e:
            problems.append(f"skipped {e}")
            continue
        records[record["notebook"]] = record["metrics"]
    records.update(current)
    for notebook in sorted(records):
        for metric, value in records[notebook].items():
            split = headline_split(metric)
            if split is not None:
                spread = (spreads or {}).get(notebook, {}).get(metric)
                entries.append(
                    Entry(
                        f"{notebook[:2]} {metric}",
                        float(value),
                        split,
                        notebook,
                        dict(spread) if spread else None,
                    )
                )
    found = set(records)
    problems += [
        f"no results for {stem} yet: run `make run NB=notebooks/{stem}.ipynb`"
        for stem in expected
        if stem not in found
    ]
    return sorted(entries, key=lambda e: (-e.score, e.name)), problems


# the splits that compare fairly: every published point is a test-set number
FAIR = ("test", "external (test)")


def format_leaderboard(entries: list[Entry], splits: Iterable[str] | None = FAIR) -> str:
    """Return the entries of `splits` as a plain-text table: rank, accuracy, split, result, source.

    By default it lists the test-set results and the published points, the ones that compare fairly,
    and ends with a line counting the entries it leaves out (the chart of `plot_leaderboard` shows
    them all); `splits=None` lists every entry.
    """
    shown = [e for e in entries if splits is None or e.split in splits]
    left_out: dict[str, int] = {}
    for e in entries:
        if e not in shown:
            left_out[e.split] = left_out.get(e.split, 0) + 1
    if not shown:
        return "no results" if not entries else f"no {' or '.join(splits or ())} results"
    width = max(len(e.name) for e in shown)
    spread_width = max(len(e.spread) for e in shown)
    spread_head = f"  {'over seeds':<{spread_width}}" if spread_width else ""
    lines = [f"{'#':>3}  accuracy{spread_head}  {'split':<16} {'result':<{width}}  source"]
    lines += [
        f"{rank:>3}  {e.score:>8.4f}"
        + (f"  {e.spread:<{spread_width}}" if spread_width else "")
        + f"  {e.split:<16} {e.name:<{width}}  {e.source}"
        for rank, e in enumerate(shown, start=1)
    ]
    if left_out:
        counts = " and ".join(f"{n} {split}" for split, n in left_out.items())
        noun = "result" if sum(left_out.values()) == 1 else "results"
        lines.append(f"not listed: {counts} {noun} (the chart shows every entry)")
    if spread_width:
        lines.append("accuracy: the mean over seeds where there are seed runs, else the one run")
    return "\n".join(lines)


def plot_leaderboard(
    entries: list[Entry], title: str = "Fashion-MNIST accuracy: this project and published results"
):
    """Return a Figure with one horizontal bar per entry, best at the top, coloured by split: the
    mean over seeds with a line for their range where there are seed runs, else the one result.
    """
    import matplotlib.pyplot as plt

    if not entries:
        raise ValueError("no entries to plot")
    colors = {
        "test": "tab:blue",
        "validation": "tab:orange",
        "cross-validation": "tab:green",
        "external (test)": "tab:gray",
    }
    fig, ax = plt.subplots(figsize=(9, 0.24 * len(entries) + 1.2))
    ordered = entries[::-1]  # barh draws from the bottom up
    ax.barh(
        range(len(ordered)),
        [e.score for e in ordered],
        color=[colors.get(e.split, "tab:purple") for e in ordered],
    )
    ax.set_yticks(range(len(ordered)), [e.name for e in ordered], fontsize=7)
    for i, e in enumerate(ordered):
        if e.spread:  # the range over seeds, as a line through the bar's end
            ax.errorbar(
                e.score,
                i,
                xerr=[[e.score - e.over_seeds["min"]], [e.over_seeds["max"] - e.score]],
                color="black",
                capsize=2,
                linewidth=0.8,
            )
        right = max(e.score, e.over_seeds["max"]) if e.spread else e.score
        ax.text(
            right + 0.002,
            i,
            f"{e.score:.4f}"
            + (
                f" (mean of {int(e.over_seeds['n'])} seeds, "
                f"{e.over_seeds['min']:.4f}-{e.over_seeds['max']:.4f})"
                if e.spread
                else ""
            ),
            va="center",
            fontsize=6.5,
        )
    low = min(min(e.score, e.over_seeds["min"] if e.spread else 1.0) for e in entries)
    # zoom in: start 0.05 below the lowest, rounded down
    ax.set_xlim(max(0.0, (low * 20 // 1 - 1) / 20), 1.0)
    ranges = (
        "; bars with a black line: mean and range over seeds"
        if any(e.spread for e in entries)
        else ""
    )
    ax.set_xlabel(f"accuracy (the axis starts at {ax.get_xlim()[0]:.2f}{ranges})")
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=c)
        for split, c in colors.items()
        if any(e.split == split for e in entries)
    ]
    ax.legend(
        handles,
        [s for s in colors if any(e.split == s for e in entries)],
        fontsize=8,
        loc="lower right",
    )
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def save_chart(entries: list[Entry], folder: Path | None = None) -> Path:
    """Return the path of `leaderboard.png`, written to `folder` (default `results/`) from
    `plot_leaderboard`.
    """
    import matplotlib.pyplot as plt

    path = (Path(folder) if folder is not None else results_dir()) / CHART
    fig = plot_leaderboard(entries)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
