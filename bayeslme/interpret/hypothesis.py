"""brms-style hypotheses: ``"Days > 8"``, ``"b[treat] - b[control] = 0"``, ``"b2 = b1"``.

A hypothesis is a relation between two expressions of parameters (or of the
rows of an interpretation result: ``b1, b2, ...`` in row order, as in
marginaleffects). Its posterior is that of ``left - right``. As brms's
``hypothesis()`` reports:

* for ``<``, ``<=``, ``>``, ``>=``: the posterior probability that the relation
  holds and the evidence ratio ``P / (1 - P)``;
* for ``=``: the Savage-Dickey density ratio, the posterior density of
  ``left - right`` at 0 over its prior density there (the Bayes factor in
  favour of the point hypothesis; Wagenmakers et al. 2010), with both
  densities from Gaussian kernel density estimates. It needs proper priors
  for every parameter named, so it is missing (NaN) for flat priors and for
  results of ``predictions``/``comparisons``/``slopes``, which have none.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from bayeslme.errors import BayeslmeError, PriorError
from bayeslme.interpret.tables import ROW_DIM
from bayeslme.results.prediction import check_prob
from bayeslme.results.summaries import summarize_draws
from bayeslme.results.view import draw_labels, population_var_names

if TYPE_CHECKING:
    from bayeslme.results.view import FitLike
    from bayeslme.spec import ModelSpec

__all__ = ["PriorDraws", "hypothesis", "parameter_draws"]

RELATIONS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "="}
FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "inv_logit": lambda x: 1 / (1 + np.exp(-x)),
}
PRIOR_DRAWS = 20_000


def parameter_draws(fit: FitLike) -> dict[str, np.ndarray]:
    """Flattened draws of every population parameter by its table label, plus bare coefficient names."""
    out: dict[str, np.ndarray] = {}
    for name in population_var_names(fit.spec, set(fit.posterior.data_vars)):
        values = fit.draws(name)
        flat = values.reshape(values.shape[0] * values.shape[1], -1)
        for k, label in enumerate(draw_labels(fit.spec, name)):
            out[label] = flat[:, k]
    for name, label in zip(fit.spec.fixed, fit.spec.coefficient_labels, strict=True):
        out.setdefault(name, out[label])
    return out


def _correlation_prior(spec: ModelSpec, label: str, rng: np.random.Generator, n: int) -> np.ndarray | None:
    for factor in spec.factors:
        for (a, b), name in zip(factor.pairs(), factor.cor_labels(), strict=True):
            if name != label:
                continue
            block = next(block for block in factor.blocks if a in block.effects and b in block.effects)
            if block.structure == "us":
                # One entry of an LKJ(eta) k x k correlation matrix: 2 Beta(eta - 1 + k/2, same) - 1.
                shape = spec.priors[factor.cor_key]["eta"] - 1 + len(block.effects) / 2
                return 2 * rng.beta(shape, shape, size=n) - 1
            prior = spec.priors[factor.rho_key]
            low, high = block.rho_bounds
            rho = rng.uniform(max(prior["lower"], low), min(prior["upper"], high), size=n)
            lag = abs(block.effects.index(b) - block.effects.index(a))
            return rho**lag if block.structure == "ar1" else rho
    return None


class PriorDraws:
    """Prior draws of parameters by table label, drawn when first asked for (``None``: improper prior).

    Slopes are drawn once and shared, so that the intercept on the data's
    scale (the sampled centred intercept minus the slopes times the
    predictors' means) and the slopes it involves are drawn jointly.
    """

    def __init__(self, spec: ModelSpec, rng: np.random.Generator, n: int = PRIOR_DRAWS) -> None:
        self.spec, self.rng, self.n = spec, rng, n
        self._cache: dict[str, np.ndarray | None] = {}
        self._slopes: dict[str, np.ndarray] | None = None

    def __getitem__(self, label: str) -> np.ndarray | None:
        if label not in self._cache:
            try:
                self._cache[label] = self._draw(label)
            except PriorError:
                self._cache[label] = None
        return self._cache[label]

    def slopes(self) -> dict[str, np.ndarray]:
        """Prior draws of every slope, by coefficient name."""
        if self._slopes is None:
            self._slopes = {
                s: self.spec.coefficient_prior(s).sample(self.rng, self.n) for s in self.spec.slopes
            }
        return self._slopes

    def _draw(self, label: str) -> np.ndarray | None:
        spec = self.spec
        for dpar in spec.dpars:  # a parameter's formula: its own priors, labels without the prefix
            if label.startswith(dpar.label_prefix):
                return PriorDraws(dpar.spec, self.rng, self.n)[label[len(dpar.label_prefix) :]]
        coefficients = dict(zip(spec.coefficient_labels, spec.fixed, strict=True))
        name = coefficients.get(label, label)
        if name in spec.slopes:
            return self.slopes()[name]
        if name == "Intercept" and spec.has_intercept:
            means = dict(zip(spec.fixed, spec.x_means, strict=True))
            centred = spec.priors["Intercept"].sample(self.rng, self.n)
            return centred - sum(means[s] * values for s, values in self.slopes().items())
        for factor in spec.factors:
            labels = factor.sd_labels()
            for key, positions in factor.sd_slots():
                if label in [labels[p] for p in positions]:
                    return self[key] if key != label else spec.priors[key].sample(self.rng, self.n)
        if label in spec.priors:
            return spec.priors[label].sample(self.rng, self.n)
        return _correlation_prior(spec, label, self.rng, self.n)


def _placeholders(text: str, names: Sequence[str]) -> tuple[str, dict[str, str]]:
    """Replace each known name in ``text`` (longest first, whole names only) by a Python identifier."""
    ordered = sorted(names, key=len, reverse=True)
    pattern = re.compile("|".join(rf"(?<![\w.\[]){re.escape(name)}(?![\w\[])" for name in ordered))
    found: dict[str, str] = {}

    def swap(match: re.Match) -> str:
        name = match.group(0)
        found.setdefault(name, f"_p{len(found)}")
        return found[name]

    replaced = pattern.sub(swap, text) if ordered else text
    replaced = re.sub(r"(?<![<>=!])=(?!=)", "==", replaced)
    return replaced, {placeholder: name for name, placeholder in found.items()}


def _evaluate(
    node: ast.AST, values: Mapping[str, np.ndarray], text: str, names: Mapping[str, str]
) -> np.ndarray | float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in values:
        return values[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluate(node.operand, values, text, names)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, values, text, names), _evaluate(node.right, values, text, names)
        operations = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}
        operations[ast.Pow] = np.power
        for kind, operation in operations.items():
            if isinstance(node.op, kind):
                return operation(left, right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
        if len(node.args) == 1 and not node.keywords:
            return FUNCTIONS[node.func.id](_evaluate(node.args[0], values, text, names))
    shown = re.sub(r"_p\d+", lambda m: names.get(m.group(0), m.group(0)), ast.unparse(node))
    raise BayeslmeError(
        f"hypothesis {text!r}: cannot read {shown!r}; use parameter names, numbers, + - * / ** and "
        f"{sorted(FUNCTIONS)}"
    )


def _parse(text: str, names: Sequence[str]) -> tuple[ast.AST, ast.AST, str, dict[str, str]]:
    replaced, found = _placeholders(text, names)
    try:
        tree = ast.parse(replaced, mode="eval").body
    except SyntaxError:
        raise BayeslmeError(
            f"hypothesis {text!r} is not an expression such as 'Days > 8' or 'b1 = b2'"
        ) from None
    if not (isinstance(tree, ast.Compare) and len(tree.ops) == 1 and type(tree.ops[0]) in RELATIONS):
        raise BayeslmeError(
            f"hypothesis {text!r} needs one relation (<, <=, >, >=, =) between two expressions"
        )
    unknown = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - set(found) - set(FUNCTIONS))
    if unknown:
        shown = [found.get(u, u) for u in unknown]
        raise BayeslmeError(f"hypothesis {text!r}: unknown names {shown}; known names: {list(names)}")
    return tree.left, tree.comparators[0], RELATIONS[type(tree.ops[0])], found


def _density_at_zero(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    if values.size < 10 or np.ptp(values) == 0:
        return np.nan
    return float(stats.gaussian_kde(values)(0.0)[0])


def _row_draws(on: xr.DataArray) -> dict[str, np.ndarray]:
    if ROW_DIM not in on.dims:
        raise BayeslmeError(
            f"on must be the draws of an interpretation result (summary=False), dims (..., {ROW_DIM!r})"
        )
    flat = on.transpose(..., ROW_DIM).values.reshape(-1, on.sizes[ROW_DIM])
    return {f"b{k + 1}": flat[:, k] for k in range(flat.shape[1])}


def hypothesis(
    fit: FitLike,
    hypotheses: str | Sequence[str],
    *,
    on: xr.DataArray | None = None,
    prob: float = 0.95,
    random_seed: int | None = None,
) -> pd.DataFrame:
    """Implementation of :meth:`bayeslme.Fit.hypothesis`."""
    check_prob(prob)
    texts = [hypotheses] if isinstance(hypotheses, str) else list(hypotheses)
    draws = parameter_draws(fit) if on is None else _row_draws(on)
    priors = PriorDraws(fit.spec, np.random.default_rng(random_seed)) if on is None else None
    columns, post_prob, evidence = [], [], []
    for text in texts:
        left, right, relation, found = _parse(text, list(draws))
        values = {placeholder: draws[name] for placeholder, name in found.items()}
        diff = np.asarray(
            _evaluate(left, values, text, found) - _evaluate(right, values, text, found), dtype=float
        )
        diff = np.broadcast_to(diff, (next(iter(draws.values())).shape[0],))
        columns.append(diff)
        if relation == "=":
            post_prob.append(np.nan)
            evidence.append(_savage_dickey(diff, left, right, found, priors, text))
        else:
            p = float((diff < 0 if relation in ("<", "<=") else diff > 0).mean())
            post_prob.append(p)
            evidence.append(p / (1 - p) if p < 1 else np.inf)
    summary = summarize_draws(
        np.column_stack(columns)[None], pd.RangeIndex(len(texts)), prob=prob, diagnostics=False
    )
    table = summary.reset_index(drop=True)
    table.insert(0, "hypothesis", [text.strip() for text in texts])
    table["post_prob"] = post_prob
    table["evidence_ratio"] = evidence
    table.attrs["prob"] = prob
    return table


def _savage_dickey(diff, left, right, found, priors, text) -> float:
    if priors is None:
        return np.nan
    prior_values = {placeholder: priors[name] for placeholder, name in found.items()}
    if any(value is None for value in prior_values.values()):
        return np.nan
    prior_diff = np.asarray(
        _evaluate(left, prior_values, text, found) - _evaluate(right, prior_values, text, found)
    )
    if prior_diff.ndim == 0:
        return np.nan
    return _density_at_zero(diff) / _density_at_zero(prior_diff)
