"""Build a :class:`~bayeslme.spec.ModelSpec` from a design: default priors, overrides, checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from bayeslme.errors import DataError, FamilyError, PriorError
from bayeslme.formula.design import Design
from bayeslme.formula.factors import nested_pairs
from bayeslme.formula.rescor import RescorDesign, correlation_bounds
from bayeslme.priors import LOCATION_DISTS, SCALE_DISTS, Prior, check_kind
from bayeslme.spec.factor import FactorSpec
from bayeslme.spec.model import ModelSpec, RescorSpec
from bayeslme.spec.names import coefficient_key

__all__ = ["ColumnScales", "build_spec", "column_scales"]


@dataclass(frozen=True)
class ColumnScales:
    """Means and SDs of the design's columns that default priors are scaled to.

    Attributes
    ----------
    x_means, x_sds : tuple of float
        Per fixed-effect column (an SD of 0, a constant column, reads as 1).
    z_sds : tuple of tuple of float
        Per factor, per effect: the SD of the effect's ``Z`` column (likewise).
    """

    x_means: tuple[float, ...]
    x_sds: tuple[float, ...]
    z_sds: tuple[tuple[float, ...], ...]


def column_scales(design: Design) -> ColumnScales:
    """:class:`ColumnScales` of a design of rows."""
    X = design.X
    return ColumnScales(
        x_means=tuple(float(v) for v in X.mean(axis=0)) if X.size else (),
        x_sds=tuple(_column_scale(X[:, j]) for j in range(X.shape[1])),
        z_sds=tuple(tuple(_column_scale(f.Z[:, e]) for e in range(f.Z.shape[1])) for f in design.factors),
    )


def build_spec(
    design: Design,
    *,
    family: str = "gaussian",
    link: str = "identity",
    priors: Mapping[str, Prior] | None = None,
    response_scale: tuple[float, float] | None = None,
    family_priors: Mapping[str, Prior] | None = None,
    scales: ColumnScales | None = None,
    nested: tuple[tuple[str, str], ...] | None = None,
) -> ModelSpec:
    """Build the :class:`ModelSpec` of a design, resolving every prior.

    Parameters
    ----------
    design : Design
        Evaluated design.
    family, link : str
        Response distribution and link.
    priors : mapping, optional
        User overrides keyed as documented in :mod:`bayeslme.priors`.
    response_scale : (center, scale), optional
        Location and scale that default priors are scaled to. Defaults to the
        mean and SD of the response (identity link).
    family_priors : mapping, optional
        Default priors of family-specific parameters (``sigma``, ``nu``, ...).
    scales : ColumnScales, optional
        Column means and SDs; from ``design``'s rows when not given (a design
        held as statistics passes its own).
    nested : tuple of (inner, outer) factor names, optional
        Which factors nest in which (:attr:`ModelSpec.nested`); found on
        ``design``'s rows when not given.

    Raises
    ------
    PriorError
        Unknown prior keys or a prior family not allowed for its parameter.
    """
    center, scale = response_scale or _response_scale(design.y)
    scales = scales or column_scales(design)
    factors = tuple(FactorSpec(f.name, f.levels, f.effects, f.blocks, f.columns) for f in design.factors)
    defaults = _default_priors(design.fixed_names, scales, factors, center, scale, dict(family_priors or {}))
    rescor = None if design.rescor is None else _rescor_spec(design.rescor, family)
    if rescor is not None:
        defaults[rescor.kind] = Prior("uniform", lower=rescor.lower, upper=rescor.upper)
    resolved = _apply_overrides(defaults, dict(priors or {}), factors, design.fixed_names)
    if rescor is not None:
        _check_rescor_prior(rescor, resolved[rescor.kind])
    for factor in factors:
        if factor.rho_key in resolved:
            _check_rho_prior(factor, resolved[factor.rho_key])
    x_means = scales.x_means
    return ModelSpec(
        formula=design.formula.text,
        family=family,
        link=link,
        response=design.formula.response,
        fixed=design.fixed_names,
        x_means=x_means,
        factors=factors,
        priors=resolved,
        n_obs=design.n_obs,
        rescor=rescor,
        column_levels=dict(design.column_levels),
        notes=tuple(note for factor in design.factors for note in factor.notes),
        nested=nested_pairs(design.factors) if nested is None else nested,
        response_levels=design.response_levels,
    )


def _rescor_spec(rescor: RescorDesign, family: str) -> RescorSpec:
    term = rescor.term
    if family != "gaussian":
        raise FamilyError(
            f"{term}: residual correlation terms need the Gaussian family (LMM); this model has "
            f"family {family!r}"
        )
    if term.kind == "cosy" and rescor.max_size < 2:
        raise DataError(
            f"{term}: every group {term.group!r} has a single row, so there is no residual "
            "correlation to estimate; check the gr column"
        )
    lower, upper = correlation_bounds(term.kind, rescor.max_size)
    return RescorSpec(term.kind, term.time, term.group_columns, lower, upper)


def _check_rescor_prior(rescor: RescorSpec, prior: Prior) -> None:
    low, high = prior["lower"], prior["upper"]
    if low < rescor.lower - 1e-12 or high > rescor.upper + 1e-12:
        raise PriorError(
            f"prior for {rescor.kind!r} must lie within ({rescor.lower:.4g}, {rescor.upper:.4g}), "
            f"the range where the residual correlation matrix is valid; got {prior}"
        )


def _rho_bounds(factor: FactorSpec) -> tuple[float, float]:
    """The widest range valid for some ``cs``/``ar1`` block of ``factor``.

    Each block's correlation is uniform on the prior's range intersected with
    the block's own valid range (``BlockSpec.rho_bounds``), so a ``cs`` block's
    narrower range never narrows an ``ar1`` block of the same factor.
    """
    bounds = [b.rho_bounds for b in factor.blocks if b.correlated and b.structure in ("cs", "ar1")]
    return min(low for low, _ in bounds), max(high for _, high in bounds)


def _check_rho_prior(factor: FactorSpec, prior: Prior) -> None:
    lower, upper = _rho_bounds(factor)
    if prior["lower"] < lower - 1e-12 or prior["upper"] > upper + 1e-12:
        raise PriorError(
            f"prior for {factor.rho_key!r} must lie within ({lower:.4g}, {upper:.4g}), the range where "
            f"the correlation matrix of {factor.name!r} is valid; got {prior}"
        )


def _response_scale(y: np.ndarray) -> tuple[float, float]:
    scale = float(np.std(y)) if y.size > 1 else 1.0
    return float(np.mean(y)), scale if scale > 0 else 1.0


def _column_scale(values: np.ndarray) -> float:
    spread = float(np.std(values))
    return spread if spread > 0 else 1.0


def _default_priors(
    fixed: tuple[str, ...],
    scales: ColumnScales,
    factors: tuple[FactorSpec, ...],
    center: float,
    scale: float,
    family_priors: dict[str, Prior],
) -> dict[str, Prior]:
    priors: dict[str, Prior] = {}
    for j, name in enumerate(fixed):
        if name == "Intercept":
            priors["Intercept"] = Prior("normal", mu=center, sigma=2.5 * scale)
        else:
            priors[coefficient_key(name)] = Prior("normal", mu=0.0, sigma=2.5 * scale / scales.x_sds[j])
    for factor, z_sds in zip(factors, scales.z_sds, strict=True):
        for key, (e, *_) in factor.sd_slots():
            z_scale = 1.0 if factor.effects[e] == "Intercept" else z_sds[e]
            priors[key] = Prior("halfstudent_t", nu=3, sigma=scale / z_scale)
        structures = {b.structure for b in factor.blocks if b.correlated}
        if "us" in structures:
            priors[factor.cor_key] = Prior("lkj", eta=1.0)
        if structures & {"cs", "ar1"}:
            lower, upper = _rho_bounds(factor)
            priors[factor.rho_key] = Prior("uniform", lower=lower, upper=upper)
    priors.update(family_priors)
    return priors


def _apply_overrides(
    defaults: dict[str, Prior],
    overrides: dict[str, Prior],
    factors: tuple[FactorSpec, ...],
    fixed: tuple[str, ...],
) -> dict[str, Prior]:
    resolved = dict(defaults)
    # General keys first, specific keys after, so that "b[x]" beats "b".
    for key in sorted(overrides, key=lambda k: ("[" in k, k.count("|"))):
        prior = overrides[key]
        targets = _targets(key, defaults, factors, fixed)
        allowed = _allowed(key)
        check_kind(key, prior, allowed)
        for target in targets:
            resolved[target] = prior
    return resolved


def _allowed(key: str) -> tuple[str, ...]:
    base = key.split("[", 1)[0]
    if base in ("Intercept", "b"):
        return LOCATION_DISTS
    if base == "cor":
        return ("lkj",)
    if base in ("ar", "cosy", "rho", "zi", "hu"):
        return ("uniform",)
    if base == "thresholds":
        return LOCATION_DISTS
    return SCALE_DISTS


def _targets(
    key: str, defaults: dict[str, Prior], factors: tuple[FactorSpec, ...], fixed: tuple[str, ...]
) -> list[str]:
    if key in defaults:
        return [key]
    prefix = key.split("[", 1)[0]
    if key == "b":
        return [k for k in defaults if k.startswith("b[")]
    if key == "sd":
        return [k for k in defaults if k.startswith("sd[")]
    if key in ("cor", "rho"):
        return [k for k in defaults if k.startswith(f"{key}[")]
    if prefix == "sd" and key.endswith("]") and "|" not in key:
        name = key[3:-1]
        targets = [k for k in defaults if k.startswith(f"sd[{name}|")]
        if targets:
            return targets
    known = sorted(
        {"Intercept", "b", "sd", "cor"} | {k for k in defaults} | {f"sd[{f.name}]" for f in factors}
    )
    raise PriorError(f"unknown prior key {key!r}; valid keys: {known}")
