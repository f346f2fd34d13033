"""utils.seeds: spreads over seeds, paired differences, and verdicts that say "within the noise"."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest

from utils import runtime, seeds
from utils.plots import plot_seeds
from utils.seeds import (
    Spread,
    beyond_noise,
    comparison_seeds,
    difference,
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


def test_verdict_says_within_the_noise_unless_every_seed_agrees_and_the_mean_stands_out():
    seeds_ = (1, 2, 3)
    relu = Spread(seeds_, (0.870, 0.866, 0.872))
    # differences -0.001, +0.003, +0.002: signs disagree
    sigmoid_close = Spread(seeds_, (0.871, 0.863, 0.870))
    sigmoid_far = Spread(seeds_, (0.850, 0.848, 0.851))  # +0.020, +0.018, +0.021 on every seed
    assert not beyond_noise(relu, sigmoid_close)
    assert verdict(relu, sigmoid_close, "ReLU", "sigmoid").endswith("within the noise")
    assert beyond_noise(relu, sigmoid_far) and beyond_noise(sigmoid_far, relu)
    text = verdict(relu, sigmoid_far, "ReLU", "sigmoid")
    assert text.startswith("ReLU - sigmoid = +0.0197") and "over 3 seeds" in text
    assert text.endswith("ReLU is higher on every seed, beyond the noise")
    assert verdict(sigmoid_far, relu, "sigmoid", "ReLU").endswith(
        "ReLU is higher on every seed, beyond the noise"
    )
    # Same sign everywhere but a mean small next to its spread is still noise.
    wobbly = Spread(seeds_, (0.871, 0.8665, 0.890))  # +0.001, +0.0005, +0.018
    assert not beyond_noise(wobbly, relu)
    # One seed can never beat the noise.
    assert not beyond_noise(Spread((1,), (0.9,)), Spread((1,), (0.1,)))


def test_comparison_seeds_start_at_the_run_seed(monkeypatch):
    monkeypatch.setattr(runtime, "_state", {"notebook": "x", "seed": 7})
    monkeypatch.setattr(seeds, "current_run", runtime.current_run)
    monkeypatch.setenv("FMNIST_RUN_MODE", "full")
    assert comparison_seeds() == [7, 8, 9] and comparison_seeds(4) == [7, 8, 9, 10]
    monkeypatch.setenv("FMNIST_RUN_MODE", "smoke")
    assert comparison_seeds() == [7, 8]
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
