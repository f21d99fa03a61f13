"""Log prior density of each posterior draw, per population parameter (ArviZ's ``log_prior`` group).

Prior sensitivity by power-scaling (Kallioinen et al. 2024;
:func:`arviz_stats.psense`) reweights the draws by a power of the prior, so it
needs :math:`\\log p(\\theta)` per draw. As brms's ``lprior``, this covers the
priors the user sets: fixed effects, group-effect SDs and correlations, the
family's own parameters and a residual correlation; the group effects'
hierarchical normal prior belongs to the model's structure and is left out.
Constants are kept where cheap and dropped where not (LKJ's normalising
constant): power-scaling weights do not depend on them.

The fixed effects' prior is on the centred intercept and the slopes (see
:mod:`bayeslme.priors`); the reported intercept is a shift of the centred one
by the slopes, a map with unit Jacobian, so the density is read at the
centred intercept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from bayeslme.families import get_family
from bayeslme.results.dpar_view import unprefixed
from bayeslme.spec.names import CENTERED_THRESHOLDS, COEFFICIENTS, THRESHOLDS

if TYPE_CHECKING:
    from bayeslme.spec import FactorSpec, ModelSpec

__all__ = ["LOG_PRIOR_GROUP", "lkj_logpdf", "log_prior_dataset"]

LOG_PRIOR_GROUP = "log_prior"


def lkj_logpdf(corr: np.ndarray, eta: float) -> np.ndarray:
    """Unnormalised LKJ(eta) log density, :math:`(\\eta - 1) \\log\\det C`, of matrices ``(..., k, k)``."""
    sign, logdet = np.linalg.slogdet(corr)
    return np.where(sign > 0, (eta - 1.0) * logdet, -np.inf)


def _fixed(spec: ModelSpec, b: np.ndarray) -> np.ndarray:
    """Log prior of the fixed effects, ``b`` (..., p) on the data's scale."""
    out = np.zeros(b.shape[:-1])
    columns = dict(zip(spec.fixed, range(len(spec.fixed)), strict=True))
    for name in spec.slopes:
        out = out + spec.coefficient_prior(name).logpdf(b[..., columns[name]])
    if spec.has_intercept:  # the sampled intercept: at the slopes' column means
        centred = b[..., columns["Intercept"]] + b @ spec.column_means
        out = out + spec.priors["Intercept"].logpdf(centred)
    return out


def _factor(spec: ModelSpec, factor: FactorSpec, sd: np.ndarray, cor: np.ndarray | None) -> tuple:
    """Log prior of one factor's SDs and of its correlations (``None`` without correlations)."""
    sds = sum(spec.priors[key].logpdf(sd[..., positions[0]]) for key, positions in factor.sd_slots())
    if cor is None:
        return sds, None
    pairs = {pair: k for k, pair in enumerate(factor.pairs())}
    cors = np.zeros(sd.shape[:-1])
    for block in factor.blocks:
        if not block.correlated:
            continue
        width = len(block.effects)
        if block.structure == "us":
            matrix = np.broadcast_to(np.eye(width), sd.shape[:-1] + (width, width)).copy()
            for (a, b), k in pairs.items():
                if a in block.effects and b in block.effects:
                    i, j = block.effects.index(a), block.effects.index(b)
                    matrix[..., i, j] = matrix[..., j, i] = cor[..., k]
            cors = cors + lkj_logpdf(matrix, spec.priors[factor.cor_key]["eta"])
        else:
            # cs and ar1: the first pair's correlation is rho itself.
            first = pairs[(block.effects[0], block.effects[1])]
            cors = cors + spec.priors[factor.rho_key].logpdf(cor[..., first])
    return sds, cors


def log_prior_dataset(spec: ModelSpec, posterior: xr.Dataset) -> xr.Dataset:
    """Log prior density per draw, one ``(chain, draw)`` variable per posterior variable it covers.

    Parameters
    ----------
    spec : ModelSpec
        Supplies the resolved priors.
    posterior : xarray.Dataset
        Posterior draws with dims ``(chain, draw, ...)``.

    Returns
    -------
    xarray.Dataset
        ``b``, ``<f>__sd``, ``<f>__cor``, the family's parameters and any
        residual correlation, each the summed log density of that variable's
        entries.
    """
    dims = ("chain", "draw")
    out: dict[str, tuple] = {}
    if spec.fixed:
        out[COEFFICIENTS] = (dims, _fixed(spec, posterior[COEFFICIENTS].values))
    for factor in spec.factors:
        cor = posterior[factor.cor_var].values if factor.pairs() else None
        sds, cors = _factor(spec, factor, posterior[factor.sd_var].values, cor)
        out[factor.sd_var] = (dims, sds)
        if cors is not None:
            out[factor.cor_var] = (dims, cors)
    names = list(get_family(spec.family).parameters())
    names += [] if spec.rescor is None else [spec.rescor.kind]
    for name in names:
        if name in posterior and name in spec.priors:
            value = posterior[name].values
            if name == THRESHOLDS and spec.fixed and CENTERED_THRESHOLDS in posterior:  # prior at the means
                # (fits saved before the centring have no thresholds_centered: their prior is on thresholds)
                value = value - (posterior[COEFFICIENTS].values @ spec.column_means)[..., None]
            values = spec.priors[name].logpdf(value)  # a vector (thresholds): summed
            out[name] = (dims, values.reshape(values.shape[:2] + (-1,)).sum(axis=-1))
    for dpar in spec.dpars:  # a parameter's formula: its coefficients' priors, prefixed (sigma::b)
        part = unprefixed(posterior, dpar.var_prefix)
        for name, variable in log_prior_dataset(dpar.spec, part).data_vars.items():
            out[dpar.var_prefix + str(name)] = (dims, variable.values)
    coords = {dim: posterior[dim].values for dim in dims}
    return xr.Dataset(out, coords=coords)
