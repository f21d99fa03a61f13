"""The model specification: everything about the model except data and PyMC.

A :class:`ModelSpec` is built from a :class:`~bayeslme.formula.design.Design`
and the user's prior overrides. It is frozen, JSON-serialisable
(:meth:`ModelSpec.to_dict`) and is what a saved fit carries, so that a loaded
fit answers exactly like a fresh one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayeslme.errors import DataError, FamilyError, PriorError
from bayeslme.formula.design import Design
from bayeslme.formula.rescor import RescorDesign, correlation_bounds
from bayeslme.priors import LOCATION_DISTS, SCALE_DISTS, Prior, check_kind

__all__ = ["BlockSpec", "FactorSpec", "ModelSpec", "RescorSpec", "build_spec"]

SPEC_VERSION = 1


@dataclass(frozen=True)
class BlockSpec:
    """Effects of one group term; correlated when there are two or more."""

    effects: tuple[str, ...]

    @property
    def correlated(self) -> bool:
        """Whether the block has an LKJ correlation matrix."""
        return len(self.effects) > 1

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """Effect pairs ``(a, b)`` with ``a`` before ``b``, row-major."""
        e = self.effects
        return tuple((e[i], e[j]) for i in range(len(e)) for j in range(i + 1, len(e)))


@dataclass(frozen=True)
class FactorSpec:
    """A grouping factor: its levels, effects and correlated blocks."""

    name: str
    levels: tuple[str, ...]
    effects: tuple[str, ...]
    blocks: tuple[BlockSpec, ...]

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """All correlated effect pairs of the factor, block by block."""
        return tuple(pair for block in self.blocks for pair in block.pairs())

    def pair_labels(self) -> list[str]:
        """Coordinate labels of the correlation pairs, ``"a, b"``."""
        return [f"{a}, {b}" for a, b in self.pairs()]


@dataclass(frozen=True)
class RescorSpec:
    """A residual correlation term: ``ar`` (AR(1)) or ``cosy`` (compound symmetry).

    Attributes
    ----------
    kind : {"ar", "cosy"}
        Also the name of the correlation parameter in the posterior.
    time : str or None
        Column ordering the rows of a group.
    group_columns : tuple of str
        Columns defining the groups (empty: one series).
    lower, upper : float
        Open range of the correlation allowed by the data's group sizes.
    """

    kind: str
    time: str | None
    group_columns: tuple[str, ...]
    lower: float
    upper: float

    def __str__(self) -> str:
        args = [f"time = {self.time}"] if self.time else []
        args += [f"gr = {':'.join(self.group_columns)}"] if self.group_columns else []
        return f"{self.kind}({', '.join(args)})"


@dataclass(frozen=True)
class ModelSpec:
    """Family, fixed and group structure, and resolved priors of a model.

    Attributes
    ----------
    formula : str
        Formula text as given.
    family, link : str
        Response distribution and link function.
    response : str
        Response name.
    fixed : tuple of str
        Fixed-effect coefficient names (``"Intercept"`` first when present).
    x_means : tuple of float
        Means of the fixed-effect columns, used to centre predictors.
    factors : tuple of FactorSpec
        Grouping factors in formula order.
    priors : dict of str to Prior
        One resolved prior per parameter key (see :mod:`bayeslme.priors`).
    n_obs : int
        Rows used in the fit.
    rescor : RescorSpec or None
        Residual correlation term, if the formula has one.
    """

    formula: str
    family: str
    link: str
    response: str
    fixed: tuple[str, ...]
    x_means: tuple[float, ...]
    factors: tuple[FactorSpec, ...]
    priors: Mapping[str, Prior]
    n_obs: int
    rescor: RescorSpec | None = None

    @property
    def has_intercept(self) -> bool:
        """Whether the fixed part includes an intercept."""
        return "Intercept" in self.fixed

    @property
    def slopes(self) -> tuple[str, ...]:
        """Fixed-effect names other than the intercept."""
        return tuple(name for name in self.fixed if name != "Intercept")

    def factor(self, name: str) -> FactorSpec:
        """The factor called ``name``."""
        for factor in self.factors:
            if factor.name == name:
                return factor
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (see :meth:`from_dict`)."""
        return {
            "version": SPEC_VERSION,
            "formula": self.formula,
            "family": self.family,
            "link": self.link,
            "response": self.response,
            "fixed": list(self.fixed),
            "x_means": list(self.x_means),
            "factors": [
                {
                    "name": f.name,
                    "levels": list(f.levels),
                    "effects": list(f.effects),
                    "blocks": [list(b.effects) for b in f.blocks],
                }
                for f in self.factors
            ],
            "priors": {key: prior.to_dict() for key, prior in self.priors.items()},
            "n_obs": self.n_obs,
            "rescor": None if self.rescor is None else _rescor_dict(self.rescor),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        """Rebuild a spec written by :meth:`to_dict`."""
        factors = tuple(
            FactorSpec(
                f["name"],
                tuple(f["levels"]),
                tuple(f["effects"]),
                tuple(BlockSpec(tuple(b)) for b in f["blocks"]),
            )
            for f in data["factors"]
        )
        return cls(
            formula=data["formula"],
            family=data["family"],
            link=data["link"],
            response=data["response"],
            fixed=tuple(data["fixed"]),
            x_means=tuple(float(v) for v in data["x_means"]),
            factors=factors,
            priors={key: Prior.from_dict(value) for key, value in data["priors"].items()},
            n_obs=int(data["n_obs"]),
            rescor=_rescor_from_dict(data.get("rescor")),
        )


def _rescor_dict(rescor: RescorSpec) -> dict[str, Any]:
    return {
        "kind": rescor.kind,
        "time": rescor.time,
        "group_columns": list(rescor.group_columns),
        "lower": rescor.lower,
        "upper": rescor.upper,
    }


def _rescor_from_dict(data: dict[str, Any] | None) -> RescorSpec | None:
    if data is None:
        return None
    return RescorSpec(
        data["kind"], data["time"], tuple(data["group_columns"]), float(data["lower"]), float(data["upper"])
    )


def build_spec(
    design: Design,
    *,
    family: str = "gaussian",
    link: str = "identity",
    priors: Mapping[str, Prior] | None = None,
    response_scale: tuple[float, float] | None = None,
    family_priors: Mapping[str, Prior] | None = None,
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

    Raises
    ------
    PriorError
        Unknown prior keys or a prior family not allowed for its parameter.
    """
    center, scale = response_scale or _response_scale(design.y)
    factors = tuple(
        FactorSpec(f.name, f.levels, f.effects, tuple(BlockSpec(b.effects) for b in f.blocks))
        for f in design.factors
    )
    defaults = _default_priors(design, center, scale, dict(family_priors or {}))
    rescor = None if design.rescor is None else _rescor_spec(design.rescor, family)
    if rescor is not None:
        defaults[rescor.kind] = Prior("uniform", lower=rescor.lower, upper=rescor.upper)
    resolved = _apply_overrides(defaults, dict(priors or {}), factors, design.fixed_names)
    if rescor is not None:
        _check_rescor_prior(rescor, resolved[rescor.kind])
    x_means = tuple(float(v) for v in design.X.mean(axis=0)) if design.X.size else ()
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


def _response_scale(y: np.ndarray) -> tuple[float, float]:
    scale = float(np.std(y)) if y.size > 1 else 1.0
    return float(np.mean(y)), scale if scale > 0 else 1.0


def _column_scale(values: np.ndarray) -> float:
    spread = float(np.std(values))
    return spread if spread > 0 else 1.0


def _default_priors(
    design: Design, center: float, scale: float, family_priors: dict[str, Prior]
) -> dict[str, Prior]:
    priors: dict[str, Prior] = {}
    for j, name in enumerate(design.fixed_names):
        if name == "Intercept":
            priors["Intercept"] = Prior("normal", mu=center, sigma=2.5 * scale)
        else:
            column = design.X[:, j]
            priors[f"b[{name}]"] = Prior("normal", mu=0.0, sigma=2.5 * scale / _column_scale(column))
    for factor in design.factors:
        for e, effect in enumerate(factor.effects):
            z = factor.Z[:, e]
            z_scale = 1.0 if effect == "Intercept" else _column_scale(z)
            priors[f"sd[{factor.name}|{effect}]"] = Prior("halfstudent_t", nu=3, sigma=scale / z_scale)
        if any(b.correlated for b in factor.blocks):
            priors[f"cor[{factor.name}]"] = Prior("lkj", eta=1.0)
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
    if base in ("ar", "cosy"):
        return ("uniform",)
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
    if key == "cor":
        return [k for k in defaults if k.startswith("cor[")]
    if prefix == "sd" and key.endswith("]") and "|" not in key:
        name = key[3:-1]
        targets = [k for k in defaults if k.startswith(f"sd[{name}|")]
        if targets:
            return targets
    known = sorted(
        {"Intercept", "b", "sd", "cor"} | {k for k in defaults} | {f"sd[{f.name}]" for f in factors}
    )
    raise PriorError(f"unknown prior key {key!r}; valid keys: {known}")
