r"""Dyadic data: actor and partner predictors for the actor-partner interdependence model.

In a dyadic study (couples, parent and child, patient and caregiver) each
person's outcome may depend on their own predictor (the *actor* effect) and on
their partner's (the *partner* effect). With long data, one row per person (and
occasion), :func:`apim` adds both predictors to every row, and
:func:`apim_formula` writes the matching model formula.

For person :math:`p` of dyad :math:`d` on occasion :math:`t`, with
:math:`p'` the partner,

.. math::

    y_{dpt} = \beta_0 + a\,x_{dpt} + p\,x_{dp't} + u_d + \varepsilon_{dpt},
    \qquad u_d \sim N(0, \tau^2),

and the two partners' residuals on the same occasion may be correlated,
:math:`\operatorname{cor}(\varepsilon_{dpt}, \varepsilon_{dp't}) = \rho`. For
distinguishable dyads (each dyad has one member of each of two roles) the
intercept, the actor and the partner effect are role specific. The equations
are spelled out in the documentation page "Dyadic data (APIM)".
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import pandas as pd

from bayeslme.errors import DataError, label_repr

__all__ = ["apim", "apim_formula"]

ACTOR = "_actor"
PARTNER = "_partner"


def apim(
    data: pd.DataFrame,
    *,
    dyad: str,
    person: str,
    predictors: str | Sequence[str],
    role: str | None = None,
    occasion: str | None = None,
) -> pd.DataFrame:
    r"""Add actor and partner versions of predictors to dyadic long data.

    For every predictor ``x`` the result has ``x_actor``, the person's own
    value (a copy of ``x``), and ``x_partner``, the value of the other member
    of the dyad in the same row of the design: the same occasion when
    ``occasion`` is given, otherwise the partner's only row.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data: one row per person, or per person and occasion.
    dyad : str
        Column identifying the dyad (couple). Each dyad must have exactly two
        persons.
    person : str
        Column identifying the person. A person belongs to one dyad only.
    predictors : str or sequence of str
        Numeric columns to turn into actor and partner predictors.
    role : str, optional
        For distinguishable dyads: the column holding each person's role
        (e.g. ``"woman"``/``"man"``). There must be exactly two roles in the
        data, each dyad has one person of each role, and a person keeps one
        role. Leave it out for indistinguishable dyads (same-sex couples,
        twins, friends).
    occasion : str, optional
        Column of the measurement occasion (day, wave) for repeated
        measures; partners are matched on it. Without it each person must
        have exactly one row.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with the same rows, order and index and the new
        columns ``<x>_actor`` and ``<x>_partner`` for each predictor.

    Raises
    ------
    DataError
        A named column is missing or has missing values; a predictor is not
        numeric; a dyad does not have exactly two persons; a person appears
        in two dyads; a person has two rows for the same occasion (or two
        rows at all, without ``occasion``); with ``role``: not exactly two
        roles in the data, a role twice in a dyad, or a person with two roles.
        Each message names the dyad, person or column at fault.

    Notes
    -----
    When the partner has no row for an occasion (a missed diary day), or the
    partner's value is missing, ``x_partner`` is NaN on that row. A model
    using ``x_partner`` then drops the row, with a
    :class:`~bayeslme.errors.DroppedRowsWarning` saying how many rows and
    which columns.

    Examples
    --------
    >>> import pandas as pd
    >>> import bayeslme as bl
    >>> couples = pd.DataFrame({"couple": [1, 1, 2, 2], "id": ["a", "b", "c", "d"],
    ...                         "quality": [5.0, 3.0, 4.0, 6.0]})
    >>> bl.dyadic.apim(couples, dyad="couple", person="id", predictors="quality")
       couple id  quality  quality_actor  quality_partner
    0       1  a      5.0            5.0              3.0
    1       1  b      3.0            3.0              5.0
    2       2  c      4.0            4.0              6.0
    3       2  d      6.0            6.0              4.0
    """
    names = [predictors] if isinstance(predictors, str) else list(predictors)
    keys = [c for c in (dyad, person, role, occasion) if c is not None]
    _check_columns(data, keys, names)
    partner_of = _partners(data, dyad, person)
    if role is not None:
        _check_roles(data, dyad, person, role)
    _check_unique_rows(data, dyad, person, occasion)
    on = [person] + ([occasion] if occasion else [])
    # each row, relabelled as its partner's, is looked up by (partner, occasion)
    partner_rows = data[on + names].rename(columns={x: f"{x}{PARTNER}" for x in names})
    partner_rows[person] = partner_rows[person].map(partner_of)
    partners = data[on].merge(partner_rows, on=on, how="left")
    out = data.copy()
    for x in names:
        out[f"{x}{ACTOR}"] = data[x].to_numpy()
        out[f"{x}{PARTNER}"] = partners[f"{x}{PARTNER}"].to_numpy(dtype=float)
    return out


def apim_formula(
    response: str,
    predictors: str | Sequence[str],
    *,
    dyad: str,
    role: str | None = None,
) -> str:
    r"""Formula text of the standard APIM for data prepared with :func:`apim`.

    Parameters
    ----------
    response : str
        The outcome column.
    predictors : str or sequence of str
        The predictors given to :func:`apim` (without the suffixes).
    dyad : str
        The dyad column; it gets a random intercept.
    role : str, optional
        The role column of distinguishable dyads: the formula then has a
        separate intercept, actor and partner effect per role
        (``0 + role + role:x_actor + role:x_partner``).

    Returns
    -------
    str
        For indistinguishable dyads
        ``"y ~ x_actor + x_partner + (1 | dyad)"``; for distinguishable ones
        ``"y ~ 0 + role + role:x_actor + role:x_partner + (1 | dyad)"``.

    Notes
    -----
    The within-occasion residual correlation of the two partners is not part
    of this formula; see the documentation page "Dyadic data (APIM)" for how
    to add it.

    Examples
    --------
    >>> import bayeslme as bl
    >>> bl.dyadic.apim_formula("adherence", "quality", dyad="dyad")
    'adherence ~ quality_actor + quality_partner + (1 | dyad)'
    >>> bl.dyadic.apim_formula("adherence", "quality", dyad="dyad", role="role")
    'adherence ~ 0 + role + role:quality_actor + role:quality_partner + (1 | dyad)'
    """
    names = [predictors] if isinstance(predictors, str) else list(predictors)
    if not names:
        raise DataError("apim_formula needs at least one predictor")
    paths = [f"{x}{suffix}" for x in names for suffix in (ACTOR, PARTNER)]
    if role is None:
        fixed = " + ".join(paths)
    else:
        fixed = " + ".join([f"0 + {role}"] + [f"{role}:{path}" for path in paths])
    return f"{response} ~ {fixed} + (1 | {dyad})"


def _check_columns(data: pd.DataFrame, keys: list[str], predictors: list[str]) -> None:
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if not predictors:
        raise DataError("apim needs at least one predictor column")
    for name in keys + predictors:
        if name not in data.columns:
            close = difflib.get_close_matches(str(name), [str(c) for c in data.columns], n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise DataError(f"column {name!r} is not in the data{hint}")
    for name in keys:
        missing = int(data[name].isna().sum())
        if missing:
            raise DataError(f"column {name!r} has {missing} missing value(s); identifiers must be complete")
    for name in predictors:
        if not pd.api.types.is_numeric_dtype(data[name]) or pd.api.types.is_bool_dtype(data[name]):
            raise DataError(f"predictor column {name!r} must be numeric, got dtype {data[name].dtype}")
        clash = [f"{name}{s}" for s in (ACTOR, PARTNER) if f"{name}{s}" in data.columns]
        if clash:
            raise DataError(f"column {clash[0]!r} already exists; drop or rename it before calling apim")


def _partners(data: pd.DataFrame, dyad: str, person: str) -> dict:
    """Map each person to the other member of their dyad, checking dyad membership."""
    pairs = data[[dyad, person]].drop_duplicates()
    dyads_per_person = pairs.groupby(person, sort=False)[dyad].unique()
    for who, dyads in dyads_per_person.items():
        if len(dyads) > 1:
            shown = ", ".join(label_repr(d) for d in dyads)
            raise DataError(
                f"person {label_repr(who)} appears in more than one dyad ({shown}); a person belongs to one "
                "dyad. If person ids are numbered within each dyad (1, 2), make them unique first, "
                f"e.g. data[{person!r}] = data[{dyad!r}].astype(str) + '_' + data[{person!r}].astype(str)"
            )
    partner_of = {}
    for which, members in pairs.groupby(dyad, sort=False)[person]:
        people = list(members)
        if len(people) != 2:
            raise DataError(
                f"dyad {label_repr(which)} has {len(people)} person(s) "
                f"({', '.join(label_repr(p) for p in people)}); "
                "every dyad needs exactly two"
            )
        partner_of[people[0]], partner_of[people[1]] = people[1], people[0]
    return partner_of


def _check_roles(data: pd.DataFrame, dyad: str, person: str, role: str) -> None:
    roles = pd.unique(data[role])
    if len(roles) != 2:
        shown = ", ".join(label_repr(r) for r in roles)
        raise DataError(
            f"role column {role!r} must have exactly two roles for distinguishable dyads, found {len(roles)} "
            f"({shown}); leave role out for indistinguishable dyads"
        )
    per_person = data.groupby(person, sort=False)[role].nunique()
    changing = per_person[per_person > 1]
    if len(changing):
        raise DataError(
            f"person {label_repr(changing.index[0])} has more than one value in role column {role!r}"
        )
    pairs = data[[dyad, person, role]].drop_duplicates()
    repeated = pairs[pairs.duplicated([dyad, role], keep=False)]
    if len(repeated):
        first = repeated.iloc[0]
        raise DataError(
            f"dyad {label_repr(first[dyad])} has two persons with role {label_repr(first[role])}; "
            f"distinguishable dyads need one person of each role in column {role!r}"
        )


def _check_unique_rows(data: pd.DataFrame, dyad: str, person: str, occasion: str | None) -> None:
    on = [person] + ([occasion] if occasion else [])
    repeated = data[data.duplicated(on, keep=False)]
    if not len(repeated):
        return
    first = repeated.iloc[0]
    if occasion is None:
        raise DataError(
            f"person {label_repr(first[person])} of dyad {label_repr(first[dyad])} has more than one row; "
            "pass occasion= (e.g. the day column) for repeated measures"
        )
    raise DataError(
        f"person {label_repr(first[person])} of dyad {label_repr(first[dyad])} has more than one row for "
        f"{occasion} {label_repr(first[occasion])}; each person needs at most one row per occasion"
    )
