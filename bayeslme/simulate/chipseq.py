"""ChIP-seq style design: samples from donors, processed in batches that cut across donors."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeslme.simulate.basic import SimulatedData

__all__ = ["chipseq"]


def chipseq(
    *,
    n_donors: int = 16,
    n_batches: int = 10,
    replicates: int = 3,
    intercept: float = 5.0,
    condition: float = 0.8,
    sd_donor: float = 0.5,
    sd_batch: float = 0.4,
    sigma: float = 0.25,
    seed: int = 0,
) -> SimulatedData:
    """Simulate ``log_signal ~ condition + (1 | donor) + (1 | batch)``: crossed random intercepts.

    Every donor gives ``replicates`` samples in each of two conditions
    (``control``, ``treated``). Each sample is processed in one of ``n_batches``
    library-preparation batches, assigned at random, so batches cut across
    donors and conditions (the factors are crossed, not nested). The log
    signal of sample :math:`i` from donor :math:`d[i]` in batch :math:`b[i]` is

    .. math::

        y_i = \\beta_0 + \\beta_1\\,\\text{treated}_i + u_{d[i]} + v_{b[i]} + \\varepsilon_i,
        \\quad u_d \\sim N(0, \\sigma_\\text{donor}^2),\\;
        v_b \\sim N(0, \\sigma_\\text{batch}^2),\\;
        \\varepsilon_i \\sim N(0, \\sigma^2).

    Parameters
    ----------
    n_donors, n_batches : int
        Numbers of donors and batches.
    replicates : int
        Samples per donor and condition.
    intercept : float
        Mean log signal of a control sample.
    condition : float
        Effect of treatment on the log signal.
    sd_donor, sd_batch : float
        SDs of the donor and batch effects.
    sigma : float
        Residual (sample-to-sample) SD.
    seed : int
        Seed of the generator; same seed, same data.

    Returns
    -------
    SimulatedData
        Columns ``log_signal``, ``condition`` (``control``/``treated``),
        ``donor`` (``D01``...), ``batch`` (``B01``...) and ``sample``; truth keys
        ``Intercept``, ``condition[treated]``, ``sd_donor``, ``sd_batch``,
        ``sigma``. ``group_effects`` is ``None``: the realised donor and batch
        effects are in ``truth`` as ``donor_effect_sd`` and ``batch_effect_sd``
        (their sample SDs, what the data can actually reveal).
    """
    rng = np.random.default_rng(seed)
    donor_effect = rng.normal(0.0, sd_donor, size=n_donors)
    batch_effect = rng.normal(0.0, sd_batch, size=n_batches)
    donor = np.repeat(np.arange(n_donors), 2 * replicates)
    treated = np.tile(np.repeat([0, 1], replicates), n_donors)
    # Balanced random assignment: every batch gets (nearly) the same number of samples.
    batch = rng.permutation(np.arange(donor.size) % n_batches)
    log_signal = (
        intercept
        + condition * treated
        + donor_effect[donor]
        + batch_effect[batch]
        + rng.normal(0.0, sigma, size=donor.size)
    )
    data = pd.DataFrame(
        {
            "log_signal": log_signal,
            "condition": np.where(treated == 1, "treated", "control"),
            "donor": [f"D{k + 1:02d}" for k in donor],
            "batch": [f"B{k + 1:02d}" for k in batch],
            "sample": [f"S{k + 1:03d}" for k in range(donor.size)],
        }
    )
    truth = {
        "Intercept": intercept,
        "condition[treated]": condition,
        "sd_donor": sd_donor,
        "sd_batch": sd_batch,
        "sigma": sigma,
        "donor_effect_sd": float(donor_effect.std(ddof=1)),
        "batch_effect_sd": float(batch_effect.std(ddof=1)),
    }
    return SimulatedData(data, truth)
