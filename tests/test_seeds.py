"""utils.seeds: spreads over seeds, independent training seeds, paired differences, and verdicts
with four endings whose false alarms are measured.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from tools.nbmeta import notebook_paths
from utils import runtime, seeds
from utils.plots import plot_seeds
from utils.seeds import (
    Spread,
    beyond_noise,
    comparison_seeds,
    difference,
    false_alarm_rate,
    outcome,
    over_seeds,
    summary_table,
    verdict,
)


def test_spread_statistics():
    spread = Spread((1, 2, 3), (0.80, 0.82, 0.84))
    assert spread.mean == pytest.approx(0.82)
    assert spread.std == pytest.approx(0.02)  # sample standard deviation (ddof=1)
    assert (spread.low, spread.high) == (0.80, 0.84)
    assert str(spread) == "0.8200 +/- 0.0200 (0.8000 to 0.8400, 3 seeds)"
    assert Spread((1,), (0.5,)).std == 0.0
    with pytest.raises(ValueError, match="one value per seed"):
        Spread((1, 2), (0.5,))


def test_over_seeds_calls_train_once_per_seed_and_collects_each_metric():
    calls = []

    def train(seed):
        calls.append(seed)
        return {"val_accuracy": 0.8 + seed / 100, "loss": 1.0 - seed / 10}

    spreads = over_seeds(train, [1, 2, 3])
    assert calls == [1, 2, 3]
    assert spreads["val_accuracy"].values == pytest.approx((0.81, 0.82, 0.83))
    assert spreads["loss"].seeds == (1, 2, 3)
    assert over_seeds(lambda seed: float(seed), [4, 5])["value"].values == (4.0, 5.0)


def test_over_seeds_rejects_inconsistent_or_broken_runs():
    with pytest.raises(ValueError, match="seed 2 returned"):
        over_seeds(lambda seed: {"a": 1.0} if seed == 1 else {"b": 1.0}, [1, 2])
    with pytest.raises(ValueError, match="nan"):
        over_seeds(lambda seed: float("nan"), [1])
    with pytest.raises(ValueError, match="no seeds"):
        over_seeds(lambda seed: 1.0, [])


def test_difference_pairs_by_seed_and_refuses_unpaired_runs():
    a, b = Spread((1, 2), (0.9, 0.8)), Spread((1, 2), (0.85, 0.7))
    assert difference(a, b).values == pytest.approx((0.05, 0.1))
    with pytest.raises(ValueError, match="seeds differ"):
        difference(a, Spread((3, 4), (0.1, 0.2)))


def test_verdict_has_four_endings():
    seeds_ = (1, 2, 3)
    relu = Spread(seeds_, (0.870, 0.866, 0.872))
    # differences -0.001, +0.003, +0.002: signs disagree
    sigmoid_close = Spread(seeds_, (0.871, 0.863, 0.870))
    sigmoid_far = Spread(seeds_, (0.850, 0.848, 0.851))  # +0.020, +0.018, +0.021 on every seed
    assert outcome(relu, sigmoid_close) == "no consistent difference"
    assert not beyond_noise(relu, sigmoid_close)
    assert verdict(relu, sigmoid_close, "ReLU", "sigmoid").endswith(": no consistent difference")
    assert beyond_noise(relu, sigmoid_far) and beyond_noise(sigmoid_far, relu)
    text = verdict(relu, sigmoid_far, "ReLU", "sigmoid")
    assert text.startswith("ReLU - sigmoid = +0.0197") and "over 3 seeds" in text
    assert text.endswith("ReLU is higher on every seed, beyond the noise")
    assert verdict(sigmoid_far, relu, "sigmoid", "ReLU").endswith(
        "ReLU is higher on every seed, beyond the noise"
    )
    # Same sign everywhere but a mean small next to its spread: not resolved, which is not "no
    # effect".
    wobbly = Spread(seeds_, (0.871, 0.8665, 0.890))  # +0.001, +0.0005, +0.018
    assert outcome(wobbly, relu) == "not resolved" and not beyond_noise(wobbly, relu)
    assert verdict(wobbly, relu, "w", "ReLU").endswith(
        "w is higher on every seed, not resolved with 3 seeds"
    )
    # A tie is no sign: at best "not resolved", and all ties are no difference at all.
    base = Spread(seeds_, (0.88, 0.88, 0.88))
    ties = Spread(seeds_, (0.88, 0.8843, 0.8834))  # +0, +0.0043, +0.0034
    assert outcome(ties, base) == "not resolved"
    assert verdict(ties, base, "checkpoint", "patience 2").endswith(
        "checkpoint is higher or level on every seed, not resolved with 3 seeds"
    )
    assert outcome(Spread(seeds_, (0.88, 0.98, 0.98)), base) == "not resolved"  # never beyond
    assert verdict(base, base, "a", "b").endswith(": level on every seed, no consistent difference")
    # Below 3 seeds nothing is decided, however far apart.
    two = (Spread((1, 2), (0.9, 0.91)), Spread((1, 2), (0.1, 0.11)))
    assert outcome(*two) == "too few seeds" and not beyond_noise(*two)
    assert verdict(*two, "a", "b").endswith(": too few seeds to tell")
    assert not beyond_noise(Spread((1,), (0.9,)), Spread((1,), (0.1,)))


def test_beyond_the_noise_needs_a_paired_t_test_at_5_percent():
    assert seeds.threshold(3) == pytest.approx(4.3027 / 3**0.5, rel=1e-4)
    base = Spread((1, 2, 3), (0.0, 0.0, 0.0))
    spread_out = Spread((1, 2, 3), (1.0, 2.0, 3.0))  # mean 2, sd 1: not over 2.48 sd
    assert outcome(spread_out, base) == "not resolved"
    tight = Spread((1, 2, 3), (1.9, 2.0, 2.1))  # mean 2, sd 0.1
    assert outcome(tight, base) == "beyond the noise"


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_false_alarm_rate_is_at_most_5_percent_at_every_seed_count(n):
    """Under no true difference (normal noise), "beyond the noise" comes up at most 5% of the time:
    the simulated rate of `false_alarm_rate`, checked against the rule `outcome` itself applies.
    """
    rate = false_alarm_rate(n, draws=200_000)
    assert rate <= 0.05, f"{n} seeds: {rate:.3f} false alarms"
    if n == 2:
        assert rate == 0.0  # too few seeds to tell
        return
    noise = np.random.default_rng(1).normal(size=(4_000, n))
    zeros = Spread(tuple(range(n)), (0.0,) * n)
    by_rule = np.mean(
        [outcome(Spread(zeros.seeds, tuple(row)), zeros) == "beyond the noise" for row in noise]
    )
    assert by_rule == pytest.approx(false_alarm_rate(n, draws=4_000, seed=1))
    assert rate > 0.01  # a rule that never fires would pass the bound and find nothing


def _run(monkeypatch, notebook: str, seed: int, mode: str = "full") -> None:
    monkeypatch.setattr(runtime, "_state", {"notebook": notebook, "seed": seed})
    monkeypatch.setattr(seeds, "current_run", runtime.current_run)
    monkeypatch.setenv("FMNIST_RUN_MODE", mode)


def test_comparison_seeds_are_independent_across_run_seeds(monkeypatch):
    """No two notebook seeds (42 and 0-100) train the same network in any notebook: their derived
    training seeds are all distinct, and none is itself a run seed.
    """
    run_seeds = sorted({42, *range(101)})
    for path in notebook_paths():
        derived = []
        for run_seed in run_seeds:
            _run(monkeypatch, path.stem, run_seed)
            derived += comparison_seeds(5)
        assert len(set(derived)) == len(derived), f"{path.stem}: two run seeds share a training"
        assert not set(derived) & set(run_seeds)
        assert all(0 <= s < 2**32 for s in derived)  # what keras.utils.set_random_seed takes
    _run(monkeypatch, "05_deeper_dense_networks", 7)
    first = comparison_seeds()
    assert len(first) == 3 and comparison_seeds(4)[:3] == first
    assert first == [seeds.training_seed("05_deeper_dense_networks", 7, i) for i in range(3)]
    _run(monkeypatch, "05_deeper_dense_networks", 7, mode="smoke")
    assert comparison_seeds() == first[:2]
    with pytest.raises(ValueError, match="at least 2"):
        comparison_seeds(1)


def test_summary_table_and_plot_show_every_seed_best_first():
    spreads = {"sigmoid": Spread((1, 2), (0.85, 0.86)), "ReLU": Spread((1, 2), (0.87, 0.88))}
    lines = summary_table(spreads, label="activation").splitlines()
    assert lines[0].split()[:2] == ["activation", "mean"] and lines[0].endswith("seed 1  seed 2")
    assert (
        lines[1].startswith("ReLU") and "0.8750" in lines[1] and lines[1].endswith("0.8700  0.8800")
    )
    losses = summary_table(spreads, label="loss", higher_is_better=False).splitlines()
    assert losses[1].startswith("sigmoid") and losses[2].startswith("ReLU")  # lowest first
    fig = plot_seeds(spreads, title="t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["sigmoid", "ReLU"]  # best on top
    dots = [line for line in ax.lines if line.get_marker() == "o"]
    assert sum(len(line.get_xdata()) for line in dots) == 4
    with pytest.raises(ValueError):
        plot_seeds({})
