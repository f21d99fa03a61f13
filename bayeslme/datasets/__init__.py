"""Small example data sets shipped with the package (no download needed)."""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["cbpp", "sleepstudy"]


def _read(name: str) -> pd.DataFrame:
    with resources.files(__name__).joinpath(name).open("r") as handle:
        return pd.read_csv(handle)


def sleepstudy() -> pd.DataFrame:
    """lme4's sleepstudy: reaction times (ms) of 18 subjects over 10 days of sleep deprivation.

    Columns ``Reaction`` (ms), ``Days`` (0-9) and ``Subject`` (string id).

    References
    ----------
    Belenky et al. (2003). Patterns of performance degradation and restoration
    during sleep restriction and subsequent recovery. *J. Sleep Research* 12, 1-12.
    """
    frame = _read("sleepstudy.csv")
    frame["Subject"] = frame["Subject"].astype(str)
    return frame


def cbpp() -> pd.DataFrame:
    """lme4's cbpp: contagious bovine pleuropneumonia incidence in 15 herds over 4 periods.

    Columns ``herd``, ``incidence`` (new cases), ``size`` (herd size) and
    ``period`` (1-4), all as in lme4; ``herd`` and ``period`` are strings.
    """
    frame = _read("cbpp.csv")
    frame["herd"] = frame["herd"].astype(str)
    frame["period"] = frame["period"].astype(str)
    return frame
