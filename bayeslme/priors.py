"""Prior specifications and the data-scaled defaults.

Prior keys
----------
``"Intercept"``
    Intercept of the model with *centred* predictors (the expected response at
    the predictor means), as in brms and rstanarm. The reported intercept is
    transformed back to the original predictors.
``"b"``, ``"b[name]"``
    Fixed-effect slopes: all of them, or the one named ``name``.
``"sd"``, ``"sd[factor]"``, ``"sd[factor|effect]"``
    Standard deviations of group effects: all, one factor, or one effect.
``"cor"``, ``"cor[factor]"``
    LKJ prior (``Prior("lkj", eta=...)``) on the correlations of a factor's
    correlated block(s).
``"sigma"``
    Residual standard deviation (Gaussian and Student-t families).
``"ar"``, ``"cosy"``
    Residual correlation of an ``ar()`` or ``cosy()`` term
    (``Prior("uniform", lower=..., upper=...)`` inside the allowed range).

Defaults (Gaussian), with :math:`s_y` the sample SD of the response and
:math:`s_x` the SD of a predictor column:

* Intercept ~ Normal(mean(y), 2.5 s_y): weakly informative around the data.
* slope ~ Normal(0, 2.5 s_y / s_x): a one-SD change in x moves y by at most a
  few SDs of y (rstanarm's scaling).
* sd ~ half-Student-t(3, 0, s_y / s_z), with s_z the SD of the effect's Z
  column (1 for intercepts): heavy-tailed, on the scale of the response
  (brms's choice of family).
* cor ~ LKJ(1): uniform over correlation matrices (brms's default).
* sigma ~ half-Student-t(3, 0, s_y).
* ar ~ Uniform(-1, 1); cosy ~ Uniform(-1/(n_max - 1), 1), with n_max the
  largest group of the ``cosy`` term: flat over every allowed value.

For non-identity links the data scale ``s_y`` is replaced by 1 (the link
scale); see :mod:`bayeslme.families`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bayeslme.errors import PriorError

__all__ = ["Prior", "graph_constants", "shape_parameters"]

_PARAMETERS: dict[str, tuple[str, ...]] = {
    "normal": ("mu", "sigma"),
    "student_t": ("nu", "mu", "sigma"),
    "flat": (),
    "halfnormal": ("sigma",),
    "halfstudent_t": ("nu", "sigma"),
    "halfcauchy": ("beta",),
    "exponential": ("lam",),
    "gamma": ("alpha", "beta"),
    "lkj": ("eta",),
    "uniform": ("lower", "upper"),
}
_POSITIVE_PARAMETERS = {"sigma", "nu", "beta", "lam", "eta", "alpha"}
LOCATION_DISTS = ("normal", "student_t", "flat")
SCALE_DISTS = ("halfnormal", "halfstudent_t", "halfcauchy", "exponential", "gamma")


@dataclass(frozen=True, init=False)
class Prior:
    """A prior distribution for one model parameter.

    Parameters
    ----------
    dist : str
        One of ``normal(mu, sigma)``, ``student_t(nu, mu, sigma)``, ``flat()``
        for location parameters; ``halfnormal(sigma)``,
        ``halfstudent_t(nu, sigma)``, ``halfcauchy(beta)``,
        ``exponential(lam)``, ``gamma(alpha, beta)`` for scales; ``lkj(eta)``
        for correlation matrices; ``uniform(lower, upper)`` for residual
        correlations.
    **params : float
        The distribution's parameters, all required.

    Examples
    --------
    >>> Prior("normal", mu=0, sigma=10)
    Prior('normal', mu=0.0, sigma=10.0)
    """

    dist: str
    params: tuple[tuple[str, float], ...]

    def __init__(self, dist: str, **params: float):
        if dist not in _PARAMETERS:
            raise PriorError(f"unknown prior distribution {dist!r}; choose one of {sorted(_PARAMETERS)}")
        expected = _PARAMETERS[dist]
        unknown = sorted(set(params) - set(expected))
        missing = [name for name in expected if name not in params]
        if unknown or missing:
            raise PriorError(
                f"prior {dist!r} takes parameters {list(expected)}; unknown: {unknown}, missing: {missing}"
            )
        values = []
        for name in expected:
            value = params[name]
            try:
                value = float(value)
            except (TypeError, ValueError) as err:
                raise PriorError(
                    f"prior {dist!r} parameter {name!r} must be a number, got {value!r}"
                ) from err
            if value != value or abs(value) == float("inf"):
                raise PriorError(f"prior {dist!r} parameter {name!r} must be finite, got {value}")
            if name in _POSITIVE_PARAMETERS and value <= 0:
                raise PriorError(f"prior {dist!r} parameter {name!r} must be positive, got {value}")
            values.append((name, value))
        if dist == "uniform" and values[0][1] >= values[1][1]:
            raise PriorError(f"prior 'uniform' needs lower < upper, got {values[0][1]} and {values[1][1]}")
        object.__setattr__(self, "dist", dist)
        object.__setattr__(self, "params", tuple(values))

    def __getitem__(self, name: str) -> float:
        return dict(self.params)[name]

    def __repr__(self) -> str:
        inner = "".join(f", {k}={v!r}" for k, v in self.params)
        return f"Prior({self.dist!r}{inner})"

    def __str__(self) -> str:
        inner = ", ".join(f"{v:.4g}" for _, v in self.params)
        return f"{self.dist}({inner})"

    @property
    def scale(self) -> float:
        """Scale factor of a positive prior (its unit version times this)."""
        values = dict(self.params)
        if self.dist in ("halfnormal", "halfstudent_t"):
            return values["sigma"]
        if self.dist == "halfcauchy":
            return values["beta"]
        if self.dist == "exponential":
            return 1.0 / values["lam"]
        if self.dist == "gamma":
            return 1.0 / values["beta"]
        raise PriorError(f"prior {self.dist!r} has no scale")

    def sample(
        self, rng: np.random.Generator, size: int | tuple[int, ...] | None = None
    ) -> float | np.ndarray:
        """Draws from this prior.

        Scale priors draw their unit version (:math:`|Z|`, :math:`|t_\\nu|`,
        :math:`|\\mathrm{Cauchy}|`, Exp(1), Gamma(alpha, 1)) times
        :attr:`scale`. One draw (``size=None``) takes the same values from
        ``rng`` as every earlier version of the prior simulation, so seeded
        SBC runs reproduce; ``size=n`` gives the same values as ``n`` calls
        in a row.

        Parameters
        ----------
        rng : numpy.random.Generator
        size : int or tuple of int, optional
            Shape of the draws; ``None`` for one draw.

        Returns
        -------
        float or numpy.ndarray
            A float when ``size`` is ``None``, else an array of shape ``size``.

        Raises
        ------
        PriorError
            For ``flat`` (improper), ``lkj`` (over matrices: see
            :func:`bayeslme.validate.prior_draws.lkj_correlation`), and any
            distribution without a sampler here.
        """
        v = dict(self.params)
        if self.dist == "normal":
            draws = rng.normal(v["mu"], v["sigma"], size)
        elif self.dist == "student_t":
            draws = v["mu"] + v["sigma"] * rng.standard_t(v["nu"], size)
        elif self.dist == "uniform":
            draws = rng.uniform(v["lower"], v["upper"], size)
        elif self.dist in SCALE_DISTS:
            draws = self._unit_scale_draws(rng, size) * self.scale
        elif self.dist == "flat":
            raise PriorError(f"prior {self} is improper: drawing from it needs proper priors")
        elif self.dist == "lkj":
            raise PriorError(f"prior {self} is over matrices: draw it with lkj_correlation")
        else:
            raise PriorError(f"prior {self}: no sampler for distribution {self.dist!r}")
        return float(draws) if size is None else np.asarray(draws, dtype=float)

    def logpdf(self, x: np.ndarray | float) -> np.ndarray:
        """Log density of this prior at ``x`` (elementwise; ``-inf`` outside the support).

        ``flat`` gives 0 (an improper constant). Scale priors are their unit
        version at ``x / scale`` minus ``log(scale)``.

        Raises
        ------
        PriorError
            For ``lkj`` (a density over matrices: see
            :func:`bayeslme.results.log_prior.lkj_logpdf`) and unknown distributions.
        """
        from scipy import stats

        x = np.asarray(x, dtype=float)
        v = dict(self.params)
        if self.dist == "normal":
            return stats.norm.logpdf(x, v["mu"], v["sigma"])
        if self.dist == "student_t":
            return stats.t.logpdf(x, v["nu"], v["mu"], v["sigma"])
        if self.dist == "uniform":
            return stats.uniform.logpdf(x, v["lower"], v["upper"] - v["lower"])
        if self.dist == "flat":
            return np.zeros_like(x)
        if self.dist in SCALE_DISTS:
            unit = x / self.scale
            if self.dist == "halfnormal":
                out = stats.halfnorm.logpdf(unit)
            elif self.dist == "halfstudent_t":
                out = np.where(unit >= 0, np.log(2.0) + stats.t.logpdf(unit, v["nu"]), -np.inf)
            elif self.dist == "halfcauchy":
                out = stats.halfcauchy.logpdf(unit)
            elif self.dist == "exponential":
                out = stats.expon.logpdf(unit)
            else:
                out = stats.gamma.logpdf(unit, v["alpha"])
            return out - np.log(self.scale)
        raise PriorError(f"prior {self}: no log density for distribution {self.dist!r} here")

    def _unit_scale_draws(
        self, rng: np.random.Generator, size: int | tuple[int, ...] | None
    ) -> float | np.ndarray:
        """Draws of a scale prior with :attr:`scale` 1 (the rng calls :meth:`sample` has always made)."""
        if self.dist == "halfnormal":
            return np.abs(rng.normal(size=size))
        if self.dist == "halfstudent_t":
            return np.abs(rng.standard_t(self["nu"], size))
        if self.dist == "halfcauchy":
            return np.abs(rng.standard_cauchy(size))
        if self.dist == "exponential":
            return rng.exponential(size=size)
        if self.dist == "gamma":
            return rng.gamma(self["alpha"], size=size)
        raise PriorError(f"prior {self}: no sampler for distribution {self.dist!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"dist": self.dist, **dict(self.params)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Prior:
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        return cls(data.pop("dist"), **data)


def check_kind(key: str, prior: Prior, allowed: tuple[str, ...]) -> None:
    """Raise if ``prior`` is not a family allowed for parameter ``key``."""
    if not isinstance(prior, Prior):
        raise PriorError(f"prior for {key!r} must be a bayeslme.Prior, got {type(prior).__name__}")
    if prior.dist not in allowed:
        raise PriorError(f"prior for {key!r} must be one of {list(allowed)}, got {prior.dist!r}")


def shape_parameters(prior: Prior) -> tuple[float, ...]:
    """The shape parameters of a scale prior: half-Student-t ``nu``, gamma ``alpha``."""
    if prior.dist == "halfstudent_t":
        return (prior["nu"],)
    if prior.dist == "gamma":
        return (prior["alpha"],)
    return ()


def graph_constants(prior: Prior) -> tuple:
    """What of ``prior`` stays a constant of a compiled model (the rest may be data).

    The family and its shape parameters (Student-t ``nu`` of a scale prior,
    gamma ``alpha``, LKJ ``eta``); locations and scales can change without
    a new compile.
    """
    if prior.dist == "lkj":
        return (prior.dist, prior["eta"])
    if prior.dist in ("normal", "student_t", "flat"):
        return (prior.dist,)
    return (prior.dist, *shape_parameters(prior))
