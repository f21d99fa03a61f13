"""What the results layer reads from a fit, and the names it labels draws with.

:class:`FitLike` is the part of :class:`bayeslme.Fit` that the modules of
``results/`` use (the spec, the design and the posterior draws), so they take
any object with those attributes and none of them imports the ``Fit`` class:
``fit.py`` sits on top of them, and nothing below imports it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bayeslme.errors import BayeslmeError
from bayeslme.spec.names import COEFFICIENTS, THRESHOLDS, threshold_key, threshold_labels

if TYPE_CHECKING:
    import numpy as np
    import xarray as xr

    from bayeslme.formula.design import Design
    from bayeslme.spec import FactorSpec, ModelSpec

__all__ = [
    "FAMILY_PARAMETERS",
    "FitLike",
    "draw_labels",
    "factor_or_error",
    "StatisticsDesign",
    "has_latent_scale",
    "held_as_statistics",
    "population_var_names",
]

FAMILY_PARAMETERS = ("sigma", "nu", "alpha", "shape", "phi", "zi", "hu", "thresholds")


class FitLike(Protocol):
    """A model's spec and design with posterior draws (what :class:`bayeslme.Fit` provides)."""

    @property
    def spec(self) -> ModelSpec:
        """The model's structure, names and priors."""

    @property
    def design(self) -> Design:
        """The fitting data, encoded against the spec."""

    @property
    def idata(self) -> xr.DataTree:
        """Every stored group of draws."""

    @property
    def posterior(self) -> xr.Dataset:
        """The posterior draws."""

    def draws(self, name: str, levels: np.ndarray | None = None) -> np.ndarray:
        """Draws of one posterior variable, ``(chain, draw, ...)``; ``levels`` of group effects only."""

    def level_blocks(self, factor: FactorSpec) -> list[np.ndarray]:
        """Level indices of ``factor`` to summarise together."""

    def family_parameters(self) -> list[str]:
        """The family's own parameters present in the posterior."""

    def population_var_names(self) -> list[str]:
        """The population parameters' posterior variables."""

    def latent_variances(self) -> Any:
        """Latent-scale variances per draw."""

    def predict(self, newdata: Any = None, **kwargs: Any) -> Any:
        """Predictions for the fitted or new rows."""

    def posterior_predictive(self, *, random_seed: int | None = None, store: bool = True) -> Any:
        """Replicated responses of the fitted rows."""


@runtime_checkable
class StatisticsDesign(Protocol):
    """A design held as sums over rows it does not keep (a model of Parquet files).

    :class:`bayeslme.bigdata.design.StreamedDesign` is one. Where a design of
    rows is read row by row, the results ask such a design instead
    (:func:`held_as_statistics`): this is the one place that says what they
    may ask.
    """

    @property
    def encoder_rows(self) -> Any:
        """The few rows its encoder was built from (they have every column)."""

    def factor_moment(self, name: str) -> np.ndarray:
        """:math:`Z^\\top Z / n` of factor ``name`` over all rows."""

    def effect_draws(
        self, spec: ModelSpec, posterior: xr.Dataset, name: str, random_seed: int | None, levels: Any = None
    ) -> np.ndarray:
        """Draws of group effects ``name`` (not stored: made on demand), ``levels`` only when given."""

    def level_blocks(self, name: str) -> list[np.ndarray]:
        """The levels of factor ``name`` to summarise together, block by block."""

    def fixed_variance(self, b: np.ndarray) -> np.ndarray:
        """The variance over rows of :math:`X b`, per draw of ``b``."""

    def bayes_r2(self, spec: ModelSpec, posterior: xr.Dataset, random_seed: int | None) -> np.ndarray:
        """Bayesian R² per draw, from the sums."""


def held_as_statistics(design: Any) -> StatisticsDesign | None:
    """``design`` as a :class:`StatisticsDesign`, or ``None`` for a design of rows."""
    return design if isinstance(design, StatisticsDesign) else None


def has_latent_scale(spec: ModelSpec) -> bool:
    """Whether the model has Nakagawa et al.'s latent scale: ICC, marginal and conditional R².

    Not for families without one (beta, zero-inflated, hurdle; see
    :attr:`~bayeslme.families.Family.has_latent_scale`), nor for models whose
    parameters have formulas: their residual variance differs by row.
    """
    from bayeslme.families import get_family

    return get_family(spec.family).has_latent_scale and not spec.dpars


def factor_or_error(spec: ModelSpec, name: str) -> FactorSpec:
    """The factor called ``name``, or a :class:`BayeslmeError` listing the model's factors."""
    try:
        return spec.factor(name)
    except KeyError:
        known = [f.name for f in spec.factors]
        hint = "".join(
            f"; {name!r} is a factor of the formula {d.formula!r}: pass dpar={d.name!r}"
            for d in spec.dpars
            if any(f.name == name for f in d.spec.factors)
        )
        raise BayeslmeError(f"unknown grouping factor {name!r}; the model has {known}{hint}") from None


def population_var_names(spec: ModelSpec, stored: set[str] | Any) -> list[str]:
    """Posterior variables of the population parameters, in table order.

    Fixed effects, each factor's SDs and correlations, the family's own
    parameters among ``stored`` (the posterior's variable names), and the
    residual correlation of an ``ar()``/``cosy()`` term.
    """
    names = [COEFFICIENTS] if spec.fixed else []
    for factor in spec.factors:
        names.append(factor.sd_var)
        if factor.pairs():
            names.append(factor.cor_var)
    names += [n for n in FAMILY_PARAMETERS if n in stored]
    if spec.rescor is not None:
        names.append(spec.rescor.kind)
    for dpar in spec.dpars:  # sigma::b, sigma::clinic__sd, ...: after the family's parameters
        names += [dpar.var_prefix + name for name in population_var_names(dpar.spec, ())]
    return names


def draw_labels(spec: ModelSpec, name: str) -> list[str]:
    """Row labels of variable ``name``'s entries in the summary tables.

    A parameter's formula's variables (``sigma::b``) get its labels with its
    prefix: ``sigma:b[arm[B]]``, ``sigma:sd[clinic|Intercept]``.
    """
    for dpar in spec.dpars:
        if name.startswith(dpar.var_prefix):
            rest = name[len(dpar.var_prefix) :]
            return [dpar.label_prefix + label for label in draw_labels(dpar.spec, rest)]
    if name == "b":
        return spec.coefficient_labels
    for factor in spec.factors:
        if name == factor.sd_var:
            return factor.sd_labels()
        if name == factor.cor_var:
            return factor.cor_labels()
    if name == THRESHOLDS and spec.response_levels is not None:
        return [threshold_key(label) for label in threshold_labels(spec.response_levels)]
    return [name]
