"""Run notebooks in full mode under other seeds and summarise how much each recorded metric moves.

    python -m tools.seeds notebooks/07_overfitting_and_dropout.ipynb --seeds 1 2 3
    make seeds NB=notebooks/07_overfitting_and_dropout.ipynb SEEDS="1 2 3"

Each run sets `FMNIST_SEED`; the executed copy goes to `artifacts/seeds/<notebook>/seed-<n>.ipynb`
and its results record beside it, never over the committed notebook or `results/`. The committed run
(seed 42, in `results/`) joins the summary when its notebook's code is the code that ran here. Per
seed the tool reports whether every cell passed (and, if not, which cell failed and why) and each
recorded metric; then, per metric, the seeds, mean, standard deviation, minimum and maximum. The
summary goes to `results/seeds/<notebook>.json`, which the README's results table shows. Seeds add
up: a summary of the same code keeps the seeds it already holds, so `--seeds 2 3` after `--seeds 1`
gives a summary over 42, 1, 2 and 3; a summary of older code is replaced. With `--resume`, a seed
whose executed copy already ran the current code to the end is not run again (for a session that was
interrupted between seeds). Exit status 1 if any cell failed under any seed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError

from tools import run_notebooks
from tools.nbmeta import ROOT, code_hash
from tools.run_notebooks import execute, failed_cell, handle_interrupts
from utils.results import RESULTS_DIR_ENV_VAR, ResultsError, read_results, write_json_atomically
from utils.runtime import DEFAULT_SEED, SEED_ENV_VAR
from utils.seeds import Spread

SUMMARY_DIR = ROOT / "results" / "seeds"
RUNS_DIR = ROOT / "artifacts" / "seeds"
DEFAULT_SEEDS = (1, 2, 3)


def _stats(values: tuple[float, ...]) -> dict[str, float | int]:
    spread = Spread(tuple(range(len(values))), values)
    return {"n": len(values), "mean": spread.mean, "std": spread.std, "min": spread.low,
            "max": spread.high}


def summarise(values: dict[int, float]) -> dict[str, object]:
    """Return {"values": {seed: value}, "n", "mean", "std", "min", "max"} of one metric over seeds.
    """
    return {
        "values": {str(seed): value for seed, value in values.items()},
        **_stats(tuple(values.values())),
    }


def one_training(values: list[float]) -> dict[str, float | int]:
    """Return {"n", "mean", "std", "min", "max"} of single trainings pooled over every seed run: the
    spread one training has, beside the spread of a comparison's mean.
    """
    return _stats(tuple(values))


def run_under_seed(path: Path, seed: int, runs_dir: Path) -> dict[str, object]:
    """Execute one notebook under one seed; return {"seed", "passed", "failed_cell", "error",
    "metrics"}.
    """
    folder = runs_dir / path.stem
    out = folder / f"seed-{seed}.ipynb"
    results_folder = folder / f"results-seed-{seed}"
    for stale in (
        out,
        out.with_name(out.stem + ".failed.ipynb"),
        results_folder / f"{path.stem}.json",
    ):
        stale.unlink(missing_ok=True)
    report: dict[str, object] = {
        "seed": seed,
        "passed": True,
        "failed_cell": None,
        "error": None,
        "metrics": {},
        "trainings": {},
    }
    try:
        execute(
            path,
            "full",
            out=out,
            env={SEED_ENV_VAR: str(seed), RESULTS_DIR_ENV_VAR: str(results_folder)},
        )
    except CellExecutionError:
        failure = failed_cell(out.with_name(out.stem + ".failed.ipynb"))
        report.update(
            passed=False,
            failed_cell=failure[0] if failure else None,
            error=failure[1] if failure else "the kernel stopped",
        )
    record_path = results_folder / f"{path.stem}.json"
    if record_path.is_file():
        report["record"] = read_results(record_path)
        report["metrics"] = report["record"]["metrics"]  # type: ignore[index]
        report["trainings"] = report["record"].get("trainings", {})  # type: ignore[union-attr]
    return report


def finished_run(path: Path, seed: int, runs_dir: Path) -> dict[str, object] | None:
    """Return the report of an earlier complete run of this seed in `runs_dir`, if it ran the
    current code.
    """
    out = runs_dir / path.stem / f"seed-{seed}.ipynb"
    record_path = runs_dir / path.stem / f"results-seed-{seed}" / f"{path.stem}.json"
    if not out.is_file() or not record_path.is_file():
        return None
    stamp = nbformat.read(out, as_version=4).metadata.get("fmnist", {})
    if (
        stamp.get("code_sha256") != code_hash(nbformat.read(path, as_version=4))
        or stamp.get("run_mode") != "full"
    ):
        return None
    try:
        record = read_results(record_path)
    except ResultsError:
        return None
    if record.get("seed") != seed:
        return None
    return {
        "seed": seed,
        "passed": True,
        "failed_cell": None,
        "error": None,
        "metrics": record["metrics"],
        "trainings": record.get("trainings", {}),
        "record": record,
        "earlier": True,
    }


def committed_run(path: Path, results_dir: Path) -> dict[str, object] | None:
    """Return the committed full run (seed 42) as a seed report, or None if its outputs are not of
    this code.
    """
    record_path = results_dir / f"{path.stem}.json"
    nb = nbformat.read(path, as_version=4)
    stamp = nb.metadata.get("fmnist", {})
    if (
        not record_path.is_file()
        or stamp.get("code_sha256") != code_hash(nb)
        or stamp.get("run_mode") != "full"
    ):
        return None
    try:
        record = read_results(record_path)
    except ResultsError:
        return None
    if record.get("seed", DEFAULT_SEED) != DEFAULT_SEED:
        return None
    return {
        "seed": DEFAULT_SEED,
        "passed": True,
        "failed_cell": None,
        "error": None,
        "metrics": record["metrics"],
        "trainings": record.get("trainings", {}),
        "record": record,
        "committed": True,
    }


def earlier_reports(
    summary_path: Path, code_sha256: str, skip: set[int]
) -> list[dict[str, object]]:
    """Return the seed reports kept in an earlier summary of the same code, leaving out the seeds in
    `skip`.
    """
    if not summary_path.is_file():
        return []
    earlier = json.loads(summary_path.read_text())
    if earlier.get("code_sha256") != code_sha256:
        return []
    reports: list[dict[str, object]] = []
    for seed in earlier["seeds"]:
        if seed in skip:
            continue
        failure = earlier["failed"].get(str(seed), {})
        metrics = {
            name: m["values"][str(seed)]
            for name, m in earlier["metrics"].items()
            if str(seed) in m["values"]
        }
        trainings = {
            name: by_seed[str(seed)]
            for name, by_seed in earlier.get("trainings", {}).items()
            if str(seed) in by_seed
        }
        reports.append(
            {
                "seed": seed,
                "passed": seed in earlier["passed"],
                "failed_cell": failure.get("cell"),
                "error": failure.get("error"),
                "metrics": metrics,
                "trainings": trainings,
                "earlier": True,
            }
        )
    return reports


def summary(path: Path, reports: list[dict[str, object]]) -> dict[str, object]:
    """Return the summary record of one notebook's seed runs."""
    nb = nbformat.read(path, as_version=4)
    names: list[str] = []
    for report in reports:
        # type: ignore[attr-defined]
        names += [name for name in report["metrics"] if name not in names]
    metrics = {}
    for name in names:
        # type: ignore
        values = {int(r["seed"]): r["metrics"][name] for r in reports if name in r["metrics"]}
        metrics[name] = summarise(values)
    trainings: dict[str, dict[str, dict[str, float]]] = {}
    for report in reports:
        for name, by_training in report.get("trainings", {}).items():  # type: ignore[attr-defined]
            trainings.setdefault(name, {})[str(report["seed"])] = by_training
    for name, by_seed in trainings.items():
        if name in metrics:
            pooled = [v for by_training in by_seed.values() for v in by_training.values()]
            metrics[name]["one_training"] = one_training(pooled)
    records = [r["record"] for r in reports if "record" in r]
    record = records[-1] if records else {}  # versions and device of the latest run
    return {
        "notebook": path.stem,
        "code_sha256": code_hash(nb),
        "seeds": [r["seed"] for r in reports],
        "passed": [r["seed"] for r in reports if r["passed"]],
        "failed": {
            str(r["seed"]): {"cell": r["failed_cell"], "error": r["error"]}
            for r in reports
            if not r["passed"]
        },
        "metrics": metrics,
        "trainings": trainings,
        # type: ignore[union-attr,attr-defined,unused-ignore]
        "versions": record.get("versions", {}),
        "device": record.get("device", ""),  # type: ignore[union-attr,attr-defined,unused-ignore]
    }


def print_report(stem: str, reports: list[dict[str, object]], record: dict[str, object]) -> None:
    """Print per seed: passed or the failing cell, and its metrics; then the spread of each metric.
    """
    print(f"{stem}:")
    for report in reports:
        where = (
            " (committed run)"
            if report.get("committed")
            else " (earlier run)"
            if report.get("earlier")
            else ""
        )
        status = (
            "passed"
            if report["passed"]
            else f"FAILED in cell {report['failed_cell']}: {report['error']}"
        )
        print(f"  seed {report['seed']}{where}: {status}")
    metrics: dict = record["metrics"]  # type: ignore[assignment]
    if metrics:
        width = max(len(name) for name in metrics)
        print(
            f"  {'metric':<{width}}  seeds      mean       std       min       max"
            "   one training: std (n)"
        )
        for name, m in metrics.items():
            single = m.get("one_training")
            print(
                f"  {name:<{width}}  {m['n']:>5}  {m['mean']:>8.4g}  {m['std']:>8.2g}  "
                f"{m['min']:>8.4g}  {m['max']:>8.4g}"
                + (f"   {single['std']:.2g} ({single['n']})" if single else "")
            )


def main(argv: list[str] | None = None) -> int:
    """Run notebooks under several seeds, report every seed and save each notebook's summary."""
    parser = argparse.ArgumentParser(prog="python -m tools.seeds", description=main.__doc__)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument(
        "--seeds", nargs="+", type=int, default=list(DEFAULT_SEEDS), help="default: 1 2 3"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="reuse a seed's executed copy in --runs-dir when it ran the current code to the end",
    )
    parser.add_argument("--runs-dir", type=Path, default=RUNS_DIR, help="where executed copies go")
    parser.add_argument("--summary-dir", type=Path, default=SUMMARY_DIR, help="where summaries go")
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=ROOT / "results",
        help="where the committed seed-42 records are",
    )
    args = parser.parse_args(argv)
    if any(seed < 0 for seed in args.seeds) or len(set(args.seeds)) != len(args.seeds):
        print(
            f"error: seeds must be distinct whole numbers >= 0, not {args.seeds}", file=sys.stderr
        )
        return 2
    paths = [p.resolve() for p in args.notebooks]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"error: no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    all_passed = True
    for path in paths:
        reports = []
        if DEFAULT_SEED not in args.seeds:
            committed = committed_run(path, args.results_dir)
            if committed is None:
                print(
                    f"{path.name}: its committed outputs are not a full run of its current code; "
                    f"seed {DEFAULT_SEED} is left out (run `make run NB=...` first to include it)"
                )
            else:
                reports.append(committed)
        for seed in args.seeds:
            finished = finished_run(path, seed, args.runs_dir) if args.resume else None
            if finished is not None:
                print(
                    f"{path.name}, seed {seed}: reusing its finished run in {args.runs_dir}",
                    flush=True,
                )
                reports.append(finished)
                continue
            start = time.perf_counter()
            print(f"{path.name}, seed {seed} ...", flush=True)
            shown_path = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            run_notebooks._running["notebook"] = f"{shown_path} under seed {seed}"
            reports.append(run_under_seed(path, seed, args.runs_dir))
            run_notebooks._running.pop("notebook", None)
            print(
                f"  {'passed' if reports[-1]['passed'] else 'FAILED'} in "
                f"{time.perf_counter() - start:.0f} s",
                flush=True,
            )
        done = {int(r["seed"]) for r in reports}  # type: ignore[call-overload]
        kept = earlier_reports(
            args.summary_dir / f"{path.stem}.json",
            code_hash(nbformat.read(path, as_version=4)),
            done,
        )
        reports = sorted(reports + kept, key=lambda r: (r["seed"] != DEFAULT_SEED, r["seed"]))
        record = summary(path, reports)
        all_passed &= not record["failed"]
        write_json_atomically(args.summary_dir / f"{path.stem}.json", record)
        print_report(path.stem, reports, record)
        shown = (
            args.summary_dir.relative_to(ROOT)
            if args.summary_dir.is_relative_to(ROOT)
            else args.summary_dir
        )
        print(f"  summary: {shown}/{path.stem}.json")
    return 0 if all_passed else 1


if __name__ == "__main__":
    handle_interrupts()  # Ctrl-C: one line, the kernel stopped, no summary half-written
    sys.exit(main())
