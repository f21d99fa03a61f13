"""The model specification: everything about the model except data and PyMC.

A :class:`ModelSpec` is built from a :class:`~bayeslme.formula.design.Design`
and the user's prior overrides. It is frozen, JSON-serialisable
(:meth:`ModelSpec.to_dict`) and is what a saved fit carries, so that a loaded
fit answers exactly like a fresh one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayeslme.blocks import BlockSpec
from bayeslme.errors import DataError, FamilyError, PriorError
from bayeslme.formula.design import Design
from bayeslme.formula.levels import Levels
from bayeslme.formula.rescor import RescorDesign, correlation_bounds
from bayeslme.priors import LOCATION_DISTS, SCALE_DISTS, Prior, check_kind

__all__ = ["BlockSpec", "FactorSpec", "ModelSpec", "RescorSpec", "build_spec"]

SPEC_VERSION = 2


@dataclass(frozen=True)
class FactorSpec:
    """A grouping factor: its levels, effects and blocks, and the names it gives the model.

    Every model variable and dimension of a factor is named ``<name>__<role>``
    (``Subject__sd``, ``Subject__level``); names of the model's own
    variables (``b``, ``sigma``, ``obs``, ...) never contain ``__``, so no
    column name can collide with them.

    Attributes
    ----------
    name : str
        Factor name: the grouping column (``"Subject"``), columns joined by
        ``:`` (``"school:class"``), or lme4's ``"g.1"`` for a second term of
        ``g`` that repeats an effect.
    levels : tuple of str
        Level labels in order.
    effects : tuple of str
        Effect names (columns of ``Z``).
    blocks : tuple of BlockSpec
        Partition of the effects into blocks with a covariance structure.
    columns : tuple of str
        Data columns that define the levels.
    """

    name: str
    levels: tuple[str, ...]
    effects: tuple[str, ...]
    blocks: tuple[BlockSpec, ...]
    columns: tuple[str, ...] = ()

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """All correlated effect pairs of the factor, block by block."""
        return tuple(pair for block in self.blocks for pair in block.pairs())

    def pair_labels(self) -> list[str]:
        """Coordinate labels of the correlation pairs, ``"a, b"``."""
        return [f"{a}, {b}" for a, b in self.pairs()]

    @property
    def stem(self) -> str:
        """The factor name as the prefix of its variable names (PyMC refuses ``/``: written ``\u2215``)."""
        return self.name.replace("/", "\u2215")

    @property
    def level_dim(self) -> str:
        """Dimension of the factor's levels."""
        return f"{self.stem}__level"

    @property
    def effect_dim(self) -> str:
        """Dimension of the factor's effects."""
        return f"{self.stem}__effect"

    @property
    def pair_dim(self) -> str:
        """Dimension of the factor's correlated effect pairs."""
        return f"{self.stem}__cor_pair"

    @property
    def sd_var(self) -> str:
        """Variable of the effects' SDs, dims ``(effect_dim,)``."""
        return f"{self.stem}__sd"

    @property
    def cor_var(self) -> str:
        """Variable of the correlations, dims ``(pair_dim,)``."""
        return f"{self.stem}__cor"

    @property
    def u_var(self) -> str:
        """Variable of the group effects, dims ``(level_dim, effect_dim)``."""
        return f"{self.stem}__u"

    @property
    def z_var(self) -> str:
        """Variable of the standardised group effects, dims ``(level_dim, effect_dim)``."""
        return f"{self.stem}__z"

    @property
    def index_var(self) -> str:
        """Data variable of each row's level index."""
        return f"{self.stem}__index"

    @property
    def Z_var(self) -> str:
        """Data variable of the values multiplying the effects."""
        return f"{self.stem}__Z"

    def chol_var(self, block: int) -> str:
        """Variable of block ``block``'s LKJ Cholesky factor."""
        return f"{self.stem}__L{block}"

    def rho_var(self, block: int) -> str:
        """Variable of block ``block``'s correlation parameter (``cs``, ``ar1``)."""
        return f"{self.stem}__rho{block}"

    @property
    def sd_free_var(self) -> str:
        """Variable of the free SDs when blocks share one (``hom``): one per SD slot."""
        return f"{self.stem}__sd_free"

    def sd_key(self, effect: str) -> str:
        """Prior key of one effect's SD (of its block's first effect when the block shares one)."""
        for block in self.blocks:
            if effect in block.effects and block.shared_sd:
                return f"sd[{self.name}|{block.effects[0]}]"
        return f"sd[{self.name}|{effect}]"

    def sd_slots(self) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """Free SDs as ``(prior key, positions of the effects they scale)``, in effect order."""
        slots = []
        start = 0
        for block in self.blocks:
            width = len(block.effects)
            if block.shared_sd:
                slots.append((self.sd_key(block.effects[0]), tuple(range(start, start + width))))
            else:
                slots += [(self.sd_key(e), (start + i,)) for i, e in enumerate(block.effects)]
            start += width
        return tuple(slots)

    @property
    def rho_key(self) -> str:
        """Prior key of the correlation parameter of the factor's ``cs``/``ar1`` blocks."""
        return f"rho[{self.name}]"

    @property
    def cor_key(self) -> str:
        """Prior key of the factor's correlations."""
        return f"cor[{self.name}]"

    def sd_labels(self) -> list[str]:
        """Row labels of the SDs in summaries, one per effect (``sd[factor|effect]``)."""
        return [f"sd[{self.name}|{effect}]" for effect in self.effects]

    def cor_labels(self) -> list[str]:
        """Row labels of the correlations in summaries."""
        return [f"cor[{self.name}|{a}, {b}]" for a, b in self.pairs()]


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
    column_levels : mapping of str to tuple of str
        Levels of each categorical predictor column, in coding order (the
        first is the reference level); see :mod:`bayeslme.formula.levels`.
    notes : tuple of str
        Where the model's coding differs from lme4's for the same formula.
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
    column_levels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def levels(self) -> Levels:
        """The levels a design for this model is coded against."""
        return Levels({f.name: f.levels for f in self.factors}, dict(self.column_levels))

    @property
    def has_intercept(self) -> bool:
        """Whether the fixed part includes an intercept."""
        return "Intercept" in self.fixed

    @property
    def column_means(self) -> np.ndarray:
        """Centre of each fixed-effect column as sampled: ``x_means`` for slopes, 0 otherwise.

        Predictors are centred only when the model has an intercept; the
        intercept column itself is never centred.
        """
        if not self.has_intercept:
            return np.zeros(len(self.fixed))
        return np.array(
            [0.0 if name == "Intercept" else m for name, m in zip(self.fixed, self.x_means, strict=True)]
        )

    def centered_X(self, X: np.ndarray) -> np.ndarray:
        """The fixed-effects matrix on the scale the coefficients are sampled on."""
        return X - self.column_means

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
                    "blocks": [
                        {"effects": list(b.effects), "structure": b.structure, "homogeneous": b.homogeneous}
                        for b in f.blocks
                    ],
                    "columns": list(f.columns),
                }
                for f in self.factors
            ],
            "priors": {key: prior.to_dict() for key, prior in self.priors.items()},
            "n_obs": self.n_obs,
            "rescor": None if self.rescor is None else _rescor_dict(self.rescor),
            "column_levels": {column: list(levels) for column, levels in self.column_levels.items()},
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        """Rebuild a spec written by :meth:`to_dict` (this or an earlier version)."""
        factors = tuple(
            FactorSpec(
                f["name"],
                tuple(f["levels"]),
                tuple(f["effects"]),
                tuple(_block_from_dict(b) for b in f["blocks"]),
                tuple(f.get("columns", f["name"].split(":"))),
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
            column_levels={c: tuple(v) for c, v in data.get("column_levels", {}).items()},
            notes=tuple(data.get("notes", ())),
        )


def _block_from_dict(data: Any) -> BlockSpec:
    if isinstance(data, list):  # version 1: a list of effects, unstructured
        return BlockSpec(tuple(data))
    return BlockSpec(tuple(data["effects"]), data["structure"], bool(data["homogeneous"]))


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
    factors = tuple(FactorSpec(f.name, f.levels, f.effects, f.blocks, f.columns) for f in design.factors)
    defaults = _default_priors(design, factors, center, scale, dict(family_priors or {}))
    rescor = None if design.rescor is None else _rescor_spec(design.rescor, family)
    if rescor is not None:
        defaults[rescor.kind] = Prior("uniform", lower=rescor.lower, upper=rescor.upper)
    resolved = _apply_overrides(defaults, dict(priors or {}), factors, design.fixed_names)
    if rescor is not None:
        _check_rescor_prior(rescor, resolved[rescor.kind])
    for factor in factors:
        if factor.rho_key in resolved:
            _check_rho_prior(factor, resolved[factor.rho_key])
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
        column_levels=dict(design.column_levels),
        notes=tuple(note for factor in design.factors for note in factor.notes),
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
    design: Design,
    factors: tuple[FactorSpec, ...],
    center: float,
    scale: float,
    family_priors: dict[str, Prior],
) -> dict[str, Prior]:
    priors: dict[str, Prior] = {}
    for j, name in enumerate(design.fixed_names):
        if name == "Intercept":
            priors["Intercept"] = Prior("normal", mu=center, sigma=2.5 * scale)
        else:
            column = design.X[:, j]
            priors[f"b[{name}]"] = Prior("normal", mu=0.0, sigma=2.5 * scale / _column_scale(column))
    for factor, columns in zip(factors, design.factors, strict=True):
        for key, (e, *_) in factor.sd_slots():
            z_scale = 1.0 if factor.effects[e] == "Intercept" else _column_scale(columns.Z[:, e])
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
    if base in ("ar", "cosy", "rho"):
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
