"""Models on which the kernel is checked against PyMC (shared by the test and its reference script)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import bayeslme as bl

CASES = [
    # (formula, family, link, method)
    ("Reaction ~ Days + (Days | Subject)", "gaussian", None, "collapsed"),
    ("Reaction ~ Days + (Days | Subject)", "gaussian", None, "noncentered"),
    ("Reaction ~ Days * site + (Days + x | Subject)", "gaussian", None, "collapsed"),
    ("Reaction ~ Days * site + (Days + x | Subject)", "gaussian", None, "noncentered"),
    ("Reaction ~ Days + (Days || Subject)", "gaussian", None, "noncentered"),
    ("Reaction ~ Days + (1 | Subject) + (0 + x | site)", "gaussian", None, "noncentered"),
    ("Reaction ~ 0 + Days + (1 | Subject)", "gaussian", None, "noncentered"),
    ("Reaction ~ Days + cs(1 + Days + x | Subject)", "gaussian", None, "noncentered"),
    ("Reaction ~ Days + ar1(0 + site | Subject)", "gaussian", None, "collapsed"),
    ("Reaction ~ Days + diag(1 + Days + x | Subject, hom = TRUE)", "gaussian", None, "noncentered"),
    ("Reaction ~ Days + (Days | Subject)", "student_t", None, "noncentered"),
    ("yb ~ Days + (Days | Subject)", "bernoulli", None, "noncentered"),
    ("yb ~ Days + (1 | Subject)", "bernoulli", "probit", "noncentered"),
    ("cnt ~ Days + (Days | Subject)", "poisson", None, "noncentered"),
    ("cnt ~ Days + offset(log(tr)) + (1 | Subject)", "poisson", None, "noncentered"),
    ("cnt ~ Days + (Days | Subject)", "negativebinomial", None, "noncentered"),
    # Counts of 16 and more take the lgamma/digamma branch of the negative binomial.
    ("big ~ Days + (1 | Subject)", "negativebinomial", None, "noncentered"),
    ("cbind(succ, tr - succ) ~ Days + (1 | Subject)", "binomial", None, "noncentered"),
    ("cbind(succ, tr - succ) ~ Days + (1 | Subject)", "binomial", "probit", "noncentered"),
]


def case_id(case: tuple) -> str:
    formula, family, link, method = case
    return f"{family}{'-' + link if link else ''}-{method}: {formula}"


def case_data() -> pd.DataFrame:
    """sleepstudy with seeded extra columns: a covariate, a two-level factor and responses of each family."""
    data = bl.datasets.sleepstudy()
    rng = np.random.default_rng(1)
    n = len(data)
    data["x"] = rng.normal(size=n)
    data["site"] = np.where(rng.random(n) < 0.5, "a", "b")
    data["yb"] = (rng.random(n) < 0.4).astype(int)
    data["cnt"] = rng.poisson(3, size=n)
    data["big"] = rng.negative_binomial(4, 4 / (4 + 30), size=n)
    data["tr"] = rng.integers(5, 12, size=n)
    data["succ"] = rng.binomial(data["tr"], 0.3)
    # Six groups of three subjects: a factor Subject is nested in.
    data["grp"] = "g" + (pd.factorize(data["Subject"], sort=True)[0] // 3).astype(str)
    return data


def case_model(case: tuple, data: pd.DataFrame):
    formula, family, link, _ = case
    if family == "gaussian":
        return bl.LMM(formula, data)
    return bl.GLMM(formula, data, family=family, **({} if link is None else {"link": link}))


def case_points(layout, n_points: int = 3) -> np.ndarray:
    """Seeded points around the kernel's starting point."""
    rng = np.random.default_rng(7)
    return layout.start + rng.normal(scale=0.7, size=(n_points, layout.n_q))


def assert_gradient_matches_differences(layout, q: np.ndarray) -> None:
    """The kernel's gradient at ``q`` equals central finite differences of its log density.

    Central differences with step h err by O(h^2) times the third derivative
    plus rounding O(eps |f| / h); with h = 1e-5 and |f| ~ 1e3 both are below
    1e-4, far below any real error in a hand-written derivative (a wrong term
    is O(1)).
    """
    import pytest

    from bayeslme.kernel.callbacks import logp_grad

    grad = np.zeros(layout.n_q)
    logp_grad(q, grad, layout.F, layout.I)
    scratch = np.zeros(layout.n_q)
    h = 1e-5
    for t in range(layout.n_q):
        step = np.zeros(layout.n_q)
        step[t] = h
        up = logp_grad(q + step, scratch, layout.F, layout.I)
        numeric = (up - logp_grad(q - step, scratch, layout.F, layout.I)) / (2 * h)
        assert grad[t] == pytest.approx(numeric, rel=1e-4, abs=1e-4), t
