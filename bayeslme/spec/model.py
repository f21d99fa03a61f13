"""The frozen model specification and its JSON form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayeslme.blocks import BlockSpec
from bayeslme.formula.levels import Levels
from bayeslme.priors import Prior
from bayeslme.spec.factor import FactorSpec
from bayeslme.spec.names import coefficient_key

__all__ = ["SPEC_VERSION", "DparSpec", "ModelSpec", "RescorSpec"]


SPEC_VERSION = 3
"""Version of :meth:`ModelSpec.to_dict`'s form: 3 added ``nested``; versions 2 and 3 are read."""


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
class DparSpec:
    """A family parameter modelled by a formula of its own (``sigma ~ arm + (1 | clinic)``).

    Its linear predictor is described by :attr:`spec`, a :class:`ModelSpec`
    whose fixed effects, factors and priors are those of the parameter's
    formula, named as in any model (``b[arm]``, ``sd[clinic|Intercept]``);
    the model's variables carry the prefix :attr:`var_prefix` and its table
    labels and prior keys the prefix :attr:`label_prefix`.

    Attributes
    ----------
    name : str
        The family parameter (``"sigma"``, ``"zi"``, ...).
    link : {"log", "logit"}
        The link its linear predictor is on.
    formula : str
        The formula as written, ``"sigma ~ arm + (1 | clinic)"``.
    spec : ModelSpec
        Its linear predictor's structure and priors.
    """

    name: str
    link: str
    formula: str
    spec: ModelSpec

    @property
    def var_prefix(self) -> str:
        """Prefix of its posterior variables and dimensions: ``sigma::`` (PyMC's sub-model names)."""
        return f"{self.name}::"

    @property
    def label_prefix(self) -> str:
        """Prefix of its table labels and prior keys: ``sigma:`` as in ``sigma:b[arm]``."""
        return f"{self.name}:"


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
    nested : tuple of (str, str)
        ``(inner, outer)`` factor names where every level of the inner factor
        lies within one level of the outer on the fitting data
        (:func:`~bayeslme.formula.factors.nested_pairs`). Specs written
        before version 3 read as having none; only sampling uses this.
    response_levels : tuple of str or None
        An ordinal response's categories in order (family ``cumulative``);
        written only for such models, so other specs' form is unchanged.
    dpars : tuple of DparSpec
        The family parameters with formulas of their own (``sigma ~ arm``),
        in formula order; their priors live in their own specs, not in
        :attr:`priors`. Written only when there are some.
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
    nested: tuple[tuple[str, str], ...] = ()
    response_levels: tuple[str, ...] | None = None
    dpars: tuple[DparSpec, ...] = ()

    def dpar(self, name: str) -> DparSpec:
        """The formula-modelled parameter called ``name``."""
        for dpar in self.dpars:
            if dpar.name == name:
                return dpar
        raise KeyError(name)

    @property
    def formulas(self) -> str | list[str]:
        """The formula as given to :class:`~bayeslme.GLMM`: the mean's, then each parameter's, if any."""
        return [self.formula, *(d.formula for d in self.dpars)] if self.dpars else self.formula

    def prior_overrides(self) -> dict[str, Prior]:
        """Every resolved prior, keyed as :class:`~bayeslme.GLMM` takes them (``sigma:b[arm]`` too)."""
        priors = dict(self.priors)
        for dpar in self.dpars:
            priors.update({dpar.label_prefix + key: prior for key, prior in dpar.spec.priors.items()})
        return priors

    def nests(self, inner: int, outer: int) -> bool:
        """Whether factor ``inner`` is nested in factor ``outer`` (positions in :attr:`factors`)."""
        return (self.factors[inner].name, self.factors[outer].name) in self.nested

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

        Predictors are centred only when the model has an intercept or
        thresholds (ordinal), which absorb the shift; the intercept column
        itself is never centred.
        """
        if not self.has_intercept and self.response_levels is None:
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

    @property
    def coefficient_labels(self) -> list[str]:
        """``b[<name>]`` of each fixed coefficient: its prior key and its label in tables."""
        return [coefficient_key(name) for name in self.fixed]

    def coefficient_prior(self, name: str) -> Prior:
        """The prior of fixed coefficient ``name`` (the centred intercept's for ``"Intercept"``)."""
        return self.priors["Intercept" if name == "Intercept" else coefficient_key(name)]

    def factor(self, name: str) -> FactorSpec:
        """The factor called ``name``."""
        for factor in self.factors:
            if factor.name == name:
                return factor
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (see :meth:`from_dict`)."""
        ordinal = {} if self.response_levels is None else {"response_levels": list(self.response_levels)}
        if self.dpars:
            ordinal["dpars"] = [
                {"name": d.name, "link": d.link, "formula": d.formula, "spec": d.spec.to_dict()}
                for d in self.dpars
            ]
        return ordinal | {
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
            "nested": [list(pair) for pair in self.nested],
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
            nested=tuple((inner, outer) for inner, outer in data.get("nested", ())),
            response_levels=None if data.get("response_levels") is None else tuple(data["response_levels"]),
            dpars=tuple(
                DparSpec(d["name"], d["link"], d["formula"], cls.from_dict(d["spec"]))
                for d in data.get("dpars", ())
            ),
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
