r"""Couples' daily diary: actor and partner effects of relationship quality on adherence."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeslme.errors import BayeslmeError
from bayeslme.simulate.basic import SimulatedData, level_labels

__all__ = ["couples_adherence"]

ROLES = ("woman", "man")
MEMBERS = ("A", "B")


def couples_adherence(
    *,
    n_couples: int = 60,
    n_days: int = 14,
    intercept: float | tuple[float, float] = 40.0,
    actor: float | tuple[float, float] = 4.0,
    partner: float | tuple[float, float] = 2.0,
    sd_dyad: float = 6.0,
    sigma: float = 8.0,
    residual_correlation: float = 0.4,
    distinguishable: bool = False,
    seed: int = 0,
) -> SimulatedData:
    r"""Simulate a couples' daily diary study analysed with the APIM.

    Both members of each couple report their relationship quality and their
    medication adherence on each of ``n_days`` days. Adherence depends on
    one's own quality that day (actor effect) and on the partner's (partner
    effect), on a couple-level random intercept, and on a residual that is
    correlated between the two partners on the same day:

    .. math::

        y_{dpt} = \beta_{0r} + a_r\,q_{dpt} + p_r\,q_{dp't} + u_d + \varepsilon_{dpt},
        \quad u_d \sim N(0, \tau^2),
        \quad (\varepsilon_{d1t}, \varepsilon_{d2t}) \sim
        N\!\left(0, \sigma^2 \begin{pmatrix} 1 & \rho \\ \rho & 1 \end{pmatrix}\right),

    where :math:`r` is the person's role (one value for all when the dyads
    are indistinguishable). Quality (about 6 on a 0-10 scale) varies between
    couples, between partners, and from day to day, with a part shared by the
    partners on the same day, so the actor and partner predictors are
    correlated as in real diaries.

    Parameters
    ----------
    n_couples, n_days : int
        Couples and diary days (every person reports every day).
    intercept, actor, partner : float or (float, float)
        Adherence at quality 0, and the actor and partner slopes. With
        ``distinguishable=True`` a pair gives the values for the roles
        ``("woman", "man")``; a single number is used for both.
    sd_dyad : float
        SD :math:`\tau` of the couple random intercept.
    sigma : float
        Residual SD.
    residual_correlation : float
        Correlation :math:`\rho` of the partners' residuals on the same day,
        in (-1, 1).
    distinguishable : bool
        If true the roles are ``"woman"``/``"man"`` and effects may differ by
        role; otherwise the role column holds arbitrary member labels
        ``"A"``/``"B"`` that play no part in the outcome.
    seed : int
        Same seed, same data.

    Returns
    -------
    SimulatedData
        Long data, one row per person and day, with columns ``dyad``
        (``"c00"``...), ``person`` (``"c00A"``... or ``"c00woman"``...),
        ``role``, ``day`` (1..n_days), ``quality`` and ``adherence``.
        Truth keys use the fixed-effect names of
        :func:`bayeslme.dyadic.apim_formula`: ``Intercept``,
        ``quality_actor``, ``quality_partner`` for indistinguishable dyads;
        ``role[woman]``, ``role[woman]:quality_actor``,
        ``role[woman]:quality_partner`` and the same for ``man`` otherwise;
        plus ``sd_dyad``, ``sigma`` and ``residual_correlation``.
        ``group_effects`` holds the couple intercepts.

    Raises
    ------
    BayeslmeError
        A role-specific pair given for indistinguishable dyads, or a
        correlation outside (-1, 1).
    """
    if not -1 < residual_correlation < 1:
        raise BayeslmeError(f"residual_correlation must lie in (-1, 1), got {residual_correlation}")
    values = {"intercept": intercept, "actor": actor, "partner": partner}
    pairs = {name: _by_role(name, value, distinguishable) for name, value in values.items()}
    rng = np.random.default_rng(seed)
    shape = (n_couples, n_days, 2)
    quality = (
        6.0
        + rng.normal(0.0, 0.8, size=(n_couples, 1, 1))
        + rng.normal(0.0, 0.5, size=(n_couples, 1, 2))
        + rng.normal(0.0, 0.6, size=(n_couples, n_days, 1))
        + rng.normal(0.0, 0.8, size=shape)
    )
    u = rng.normal(0.0, sd_dyad, size=n_couples)
    cov = sigma**2 * np.array([[1.0, residual_correlation], [residual_correlation, 1.0]])
    eps = rng.multivariate_normal(np.zeros(2), cov, size=(n_couples, n_days))
    b0, a, p = (pairs[k][None, None, :] for k in ("intercept", "actor", "partner"))
    adherence = b0 + a * quality + p * quality[:, :, ::-1] + u[:, None, None] + eps
    labels = ROLES if distinguishable else MEMBERS
    couple = level_labels("c", n_couples)
    index = np.indices(shape).reshape(3, -1)
    data = pd.DataFrame(
        {
            "dyad": couple[index[0]],
            "person": np.char.add(couple[index[0]], np.array(labels)[index[2]]),
            "role": np.array(labels)[index[2]],
            "day": index[1] + 1,
            "quality": quality.ravel(),
            "adherence": adherence.ravel(),
        }
    )
    truth = _truth(pairs, distinguishable)
    truth.update({"sd_dyad": sd_dyad, "sigma": sigma, "residual_correlation": residual_correlation})
    return SimulatedData(data, truth, u[:, None])


def _by_role(name: str, value: float | tuple[float, float], distinguishable: bool) -> np.ndarray:
    if np.ndim(value) == 0:
        return np.full(2, float(value))
    if not distinguishable:
        raise BayeslmeError(
            f"{name}={value!r} gives one value per role; pass distinguishable=True or one number"
        )
    pair = np.asarray(value, dtype=float)
    if pair.shape != (2,):
        raise BayeslmeError(f"{name} must be one number or a pair for the roles {ROLES}, got {value!r}")
    return pair


def _truth(pairs: dict[str, np.ndarray], distinguishable: bool) -> dict[str, float]:
    if not distinguishable:
        return {
            "Intercept": float(pairs["intercept"][0]),
            "quality_actor": float(pairs["actor"][0]),
            "quality_partner": float(pairs["partner"][0]),
        }
    truth = {}
    for k, role in enumerate(ROLES):
        truth[f"role[{role}]"] = float(pairs["intercept"][k])
        truth[f"role[{role}]:quality_actor"] = float(pairs["actor"][k])
        truth[f"role[{role}]:quality_partner"] = float(pairs["partner"][k])
    return truth
