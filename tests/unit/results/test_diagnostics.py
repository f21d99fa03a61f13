"""Diagnostics on synthetic draws whose problems are known by construction; singular-fit detector."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import bayeslme as bl
from bayeslme.errors import ConvergenceWarning, SingularFitWarning
from bayeslme.results.diagnostics import (
    at_boundary,
    check_diagnostics,
    check_singular,
    compute_diagnostics,
)
from tests.helpers import synthetic_fit

CHAINS, DRAWS = 4, 500


def ar1(phi: float, rng: np.random.Generator, shape=(CHAINS, DRAWS)) -> np.ndarray:
    """Stationary AR(1) chains: ESS per chain is about DRAWS (1 - phi) / (1 + phi)."""
    out = np.empty(shape)
    out[:, 0] = rng.normal(size=shape[0])
    noise = rng.normal(size=shape) * np.sqrt(1 - phi**2)
    for t in range(1, shape[1]):
        out[:, t] = phi * out[:, t - 1] + noise[:, t]
    return out


def diagnose(theta: np.ndarray, **stats) -> bl.results.diagnostics.Diagnostics:
    rng = np.random.default_rng(1)
    posterior = xr.Dataset({"theta": (("chain", "draw"), theta)})
    sample_stats = {
        "diverging": np.zeros((CHAINS, DRAWS), dtype=bool),
        "energy": rng.normal(size=(CHAINS, DRAWS)),
        "reached_max_treedepth": np.zeros((CHAINS, DRAWS), dtype=bool),
    }
    sample_stats.update(stats)
    sample_stats = xr.Dataset({k: (("chain", "draw"), v) for k, v in sample_stats.items()})
    return compute_diagnostics(posterior, sample_stats, ["theta"])


@pytest.fixture()
def rng():
    return np.random.default_rng(0)


def test_clean_draws_pass(rng):
    result = diagnose(rng.normal(size=(CHAINS, DRAWS)))
    assert result.ok, result.problems()
    assert result.divergences == 0 and result.chains == CHAINS
    # Independent draws: R-hat within 1.01 and ESS near CHAINS * DRAWS = 2000 (sd of the estimate ~5%).
    assert result.max_rhat < 1.01
    assert 1500 < result.min_ess_bulk < 2600
    assert result.to_frame()["ok"].all()


def test_divergences_counted_and_explained(rng):
    diverging = np.zeros((CHAINS, DRAWS), dtype=bool)
    diverging[0, :3] = diverging[2, 10:14] = True
    result = diagnose(rng.normal(size=(CHAINS, DRAWS)), diverging=diverging)
    assert result.divergences == 7
    (problem,) = result.problems()
    assert problem.startswith("7 divergent transitions") and "target_accept" in problem


def test_chains_that_disagree_give_high_rhat(rng):
    theta = rng.normal(size=(CHAINS, DRAWS)) + np.array([0, 0, 0, 3])[:, None]
    result = diagnose(theta)
    assert result.max_rhat > 1.1
    assert any("R-hat" in p and "chains disagree" in p for p in result.problems())


def test_autocorrelated_chains_give_low_ess(rng):
    # phi = 0.95: expected ESS about 2000 * 0.05 / 1.95 = 51, far below the 400 required.
    result = diagnose(ar1(0.95, rng))
    assert result.min_ess_bulk < 150
    assert any(p.startswith("min ESS") and "run more draws" in p for p in result.problems())


def test_tree_depth_saturation(rng):
    saturated = rng.uniform(size=(CHAINS, DRAWS)) < 0.2
    result = diagnose(rng.normal(size=(CHAINS, DRAWS)), reached_max_treedepth=saturated)
    assert result.treedepth_saturated == pytest.approx(saturated.mean())
    assert any("maximum tree depth" in p for p in result.problems())


def test_random_walk_energy_gives_low_bfmi(rng):
    # E-BFMI = sum(diff(E)^2) / sum((E - mean E)^2): a random walk makes the numerator tiny.
    energy = np.cumsum(rng.normal(size=(CHAINS, DRAWS)), axis=1)
    result = diagnose(rng.normal(size=(CHAINS, DRAWS)), energy=energy)
    assert result.min_bfmi < 0.1
    assert any(p.startswith("E-BFMI") for p in result.problems())


def test_constant_parameters_are_ignored(rng):
    posterior = xr.Dataset(
        {
            "theta": (("chain", "draw"), rng.normal(size=(CHAINS, DRAWS))),
            "zero": (("chain", "draw"), np.zeros((CHAINS, DRAWS))),
        }
    )
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((CHAINS, DRAWS), dtype=bool))})
    result = compute_diagnostics(posterior, stats, ["theta", "zero"])
    assert np.isfinite(result.max_rhat)


def test_check_diagnostics_warns_once_with_every_problem(rng):
    diverging = np.zeros((CHAINS, DRAWS), dtype=bool)
    diverging[1, 5] = True
    result = diagnose(ar1(0.95, rng), diverging=diverging)
    with pytest.warns(ConvergenceWarning) as record:
        check_diagnostics(result)
    assert len(record) == 1
    message = str(record[0].message)
    assert "1 divergent transitions" in message and "min ESS" in message


def test_check_diagnostics_silent_when_ok(rng, recwarn):
    check_diagnostics(diagnose(rng.normal(size=(CHAINS, DRAWS))))
    assert not [w for w in recwarn if issubclass(w.category, ConvergenceWarning)]


# ---- singular (boundary) fits -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("draws", "expected"),
    [
        # Half-normal with scale 2% of the prior scale: density highest at zero, q05 ~ 0.0013.
        pytest.param(lambda r: np.abs(r.normal(0, 0.02, 4000)), True, id="halfnormal-near-zero"),
        # Exponential (mode at zero): q05 / q50 = 0.074 whatever its scale.
        pytest.param(lambda r: r.exponential(0.01, 4000), True, id="exponential-near-zero"),
        # Gamma with shape 2 (mode at 0.01, inside): q05 / q50 = 0.21.
        pytest.param(lambda r: r.gamma(2, 0.01, 4000), False, id="gamma2-near-zero"),
        # Well identified and away from zero.
        pytest.param(lambda r: r.normal(1.0, 0.1, 4000), False, id="identified"),
        # Small but identified (gamma shape 4): mode at 0.03, away from the boundary.
        pytest.param(lambda r: r.gamma(4, 0.01, 4000), False, id="small-identified"),
        # Half-normal at the prior's own scale: mode at zero but q05 = 0.063 > 0.05 of the prior scale.
        pytest.param(lambda r: np.abs(r.normal(0, 1.0, 4000)), False, id="prior-like"),
        pytest.param(lambda r: np.zeros(100), True, id="exactly-zero"),
    ],
)
def test_at_boundary(draws, expected):
    assert at_boundary(draws(np.random.default_rng(3)), prior_scale=1.0) is expected


def frame(seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"y": rng.normal(size=24), "x": rng.normal(size=24), "g": np.repeat(list("abcdef"), 4)}
    )


def test_fit_flags_singular_sd_and_reports_it():
    model = bl.LMM("y ~ x + (x | g)", frame())
    rng = np.random.default_rng(0)
    sd = np.stack([1 + 0.1 * rng.normal(size=(2, 300)), np.abs(rng.normal(0, 0.01, (2, 300)))], axis=-1)
    fit = synthetic_fit(model, draws=300, posterior={"g__sd": sd})
    assert fit.singular == ["sd[g|x]"]
    assert "singular fit" in repr(fit) and "sd[g|x] piles up at zero" in repr(fit)
    with pytest.warns(SingularFitWarning, match=r"sd\[g\|x\].*isSingular.*removing"):
        check_singular(fit.singular)


def test_regular_fit_is_not_singular(recwarn):
    fit = synthetic_fit(bl.LMM("y ~ x + (x | g)", frame()), draws=300)
    assert fit.singular == []
    assert "singular" not in repr(fit)
    check_singular(fit.singular)
    assert not recwarn.list


def test_report_lists_diagnostic_problems():
    model = bl.LMM("y ~ x + (1 | g)", frame())
    diverging = np.zeros((2, 100), dtype=bool)
    diverging[0, 0] = True
    fit = synthetic_fit(model, sample_stats={"diverging": diverging})
    text = repr(fit)
    assert "Diagnostics:" in text and "PROBLEMS:" in text and "1 divergent transitions" in text
