"""Test helpers: fits built from synthetic draws, so results code runs without MCMC."""

from __future__ import annotations

import numpy as np
import xarray as xr

import bayeslme as bl
from bayeslme.spec.names import THRESHOLD_DIM, THRESHOLDS, threshold_labels


def synthetic_fit(
    model: bl.GLMM,
    *,
    chains: int = 2,
    draws: int = 100,
    seed: int = 0,
    posterior: dict[str, np.ndarray] | None = None,
    sample_stats: dict[str, np.ndarray] | None = None,
) -> bl.Fit:
    """A :class:`bayeslme.Fit` of ``model`` whose draws are independent normals.

    ``posterior`` and ``sample_stats`` replace chosen variables (arrays shaped
    (chain, draw, ...)); everything else is well-mixed noise, so the default
    fit has no convergence problems.
    """
    rng = np.random.default_rng(seed)
    spec = model.spec
    shape = (chains, draws)
    variables: dict = {}
    coords: dict = {"chain": np.arange(chains), "draw": np.arange(draws)}
    # the mean's linear predictor, then each parameter's formula's (prefixed: sigma::b, ...)
    for p, part in [("", spec)] + [(d.var_prefix, d.spec) for d in spec.dpars]:
        variables[p + "b"] = (("chain", "draw", p + "fixed"), rng.normal(size=shape + (len(part.fixed),)))
        coords[p + "fixed"] = list(part.fixed)
        for factor in part.factors:
            k = len(factor.effects)
            dim, level_dim = p + factor.effect_dim, p + factor.level_dim
            coords[level_dim] = list(factor.levels)
            coords[dim] = list(factor.effects)
            variables[p + factor.sd_var] = (("chain", "draw", dim), 1 + 0.1 * rng.normal(size=shape + (k,)))
            u = rng.normal(size=shape + (len(factor.levels), k))
            variables[p + factor.u_var] = (("chain", "draw", level_dim, dim), u)
            if factor.pairs():
                coords[p + factor.pair_dim] = factor.pair_labels()
                cor = np.tanh(0.2 * rng.normal(size=shape + (len(factor.pairs()),)))
                variables[p + factor.cor_var] = (("chain", "draw", p + factor.pair_dim), cor)
    if "sigma" in spec.priors:
        variables["sigma"] = (("chain", "draw"), 1 + 0.1 * rng.normal(size=shape))
    # other scalar parameters (family: nu, alpha; residual correlation: ar, cosy): inside
    # a uniform prior's range; otherwise near 5 (a Student-t nu above 2 has a finite variance)
    for name, prior in spec.priors.items():
        if name in ("Intercept", "sigma") or "[" in name:
            continue
        bounds = dict(prior.params)
        if name == THRESHOLDS:  # an ordinal model's increasing cut points, one per pair of categories
            labels = threshold_labels(spec.response_levels)
            coords[THRESHOLD_DIM] = labels
            steps = np.exp(0.1 * rng.normal(size=shape + (len(labels),)))
            variables[name] = (("chain", "draw", THRESHOLD_DIM), np.cumsum(steps, axis=-1) - len(labels) / 2)
            continue
        if prior.dist == "uniform":
            middle, half = (bounds["lower"] + bounds["upper"]) / 2, (bounds["upper"] - bounds["lower"]) / 2
            values = middle + half * (0.5 + 0.1 * rng.normal(size=shape))
        else:
            values = 5 * np.exp(0.1 * rng.normal(size=shape))
        variables[name] = (("chain", "draw"), values)
    for name, values in (posterior or {}).items():
        variables[name] = (variables[name][0], np.asarray(values, dtype=float))
    stats = {
        "diverging": (("chain", "draw"), np.zeros(shape, dtype=bool)),
        "energy": (("chain", "draw"), rng.normal(size=shape)),
        "reached_max_treedepth": (("chain", "draw"), np.zeros(shape, dtype=bool)),
    }
    for name, values in (sample_stats or {}).items():
        stats[name] = (("chain", "draw"), np.asarray(values))
    idata = xr.DataTree.from_dict(
        {
            "/posterior": xr.Dataset(variables, coords=coords),
            "/sample_stats": xr.Dataset(stats, coords={"chain": coords["chain"], "draw": coords["draw"]}),
        }
    )
    info = {"draws": draws, "chains": chains, "tune": 0, "sampler": "synthetic", "random_seed": seed}
    return bl.Fit(spec=spec, design=model.design, idata=idata, info=info)


def synthetic_sampling(monkeypatch, *, seed: int = 0) -> list[dict]:
    """Make ``GLMM.fit`` return a :func:`synthetic_fit` instead of sampling.

    For code that fits internally (the command line): returns the list to which
    each call's settings are appended, so a test can check what was asked for.
    """
    calls: list[dict] = []

    def fit(self, *, draws=1000, chains=4, **settings):
        calls.append({"draws": draws, "chains": chains, **settings})
        return synthetic_fit(self, chains=chains, draws=draws, seed=seed)

    monkeypatch.setattr(bl.GLMM, "fit", fit)
    monkeypatch.setenv("BAYESLME_COMPILE_WORKERS", "0")  # nothing to compile
    return calls


def assert_sbc_calibrated(table, n_datasets: int) -> None:
    """The SBC thresholds of 40-data-set runs (``tests/statistical/test_sbc.py`` explains them).

    Chi-square and ECDF p-values above 0.001; 90% coverage at least 31/40
    (Binomial(40, 0.9) gives 30 or fewer with probability 0.005); 50% coverage
    within [12/40, 28/40] (Binomial(40, 0.5) falls outside with probability 0.006).
    """
    assert n_datasets == 40, "the coverage bounds are derived for 40 data sets"
    assert (table["chi2_p"] > 0.001).all(), table
    assert (table["ecdf_p"] > 0.001).all(), table
    assert (table["cover90"] >= 31 / 40).all(), table
    assert table["cover50"].between(12 / 40, 28 / 40).all(), table
