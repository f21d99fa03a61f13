"""The one source of report content: sections of lines and tables.

The terminal text (:mod:`bayeslme.report.text`), the notebook HTML repr and the
standalone report (:mod:`bayeslme.report.html`, :mod:`bayeslme.report.standalone`)
all render the :class:`Section` lists built here, so they always show the same
numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from bayeslme.errors import DataError
from bayeslme.formula.design import numeric_group_columns
from bayeslme.results.diagnostics import singular_message

if TYPE_CHECKING:
    from bayeslme.formula.design import Design
    from bayeslme.results.diagnostics import Diagnostics
    from bayeslme.spec import FactorSpec, ModelSpec

__all__ = ["ReportedFit", "Section", "effects_section", "fit_sections", "model_sections"]


class ReportedFit(Protocol):
    """What a report reads from a fit (:class:`bayeslme.Fit` provides it)."""

    @property
    def spec(self) -> ModelSpec:
        """The model."""

    @property
    def design(self) -> Design:
        """The fitting data."""

    @property
    def info(self) -> dict[str, Any]:
        """Sampler settings and timings."""

    @property
    def diagnostics(self) -> Diagnostics:
        """Convergence diagnostics."""

    @property
    def singular(self) -> list[str]:
        """Group-effect SDs piled up at zero."""

    @property
    def plot(self) -> Any:
        """The fit's plots."""

    def fixed_effects(self, *, prob: float = 0.95, dpar: str | None = None) -> pd.DataFrame:
        """The fixed-effects table (of a parameter's formula with ``dpar``)."""

    def variance_components(self, *, prob: float = 0.95, dpar: str | None = None) -> pd.DataFrame:
        """The variance-components table (of a parameter's formula with ``dpar``)."""

    def r2(self, *, prob: float = 0.95) -> pd.DataFrame:
        """The R² table."""

    def comparisons(self, variable: str, **kwargs: Any) -> pd.DataFrame:
        """Contrasts of a variable's values on the outcome scale."""

    def slopes(self, variable: str, **kwargs: Any) -> pd.DataFrame:
        """Derivatives of the expected outcome in a numeric variable."""


@dataclass(frozen=True)
class Section:
    """A titled part of a report.

    Attributes
    ----------
    title : str
        Heading.
    lines : list of str
        Plain sentences shown before the table.
    table : pandas.DataFrame, optional
        Numbers of the section.
    warning : bool
        Whether the lines are a warning the user must act on.
    """

    title: str
    lines: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None
    warning: bool = False


def _groups(spec: ModelSpec) -> str:
    return ", ".join(f"{f.name} ({len(f.levels)} levels)" for f in spec.factors) or "none"


def _rescor_lines(spec: ModelSpec) -> list[str]:
    rescor = spec.rescor
    if rescor is None:
        return []
    what = "AR(1)" if rescor.kind == "ar" else "compound symmetry"
    return [f"residual correlation: {rescor} ({what}; sigma is the marginal residual SD)"]


def model_sections(spec: ModelSpec) -> list[Section]:
    """Formula, family, data size, groups and priors of a model (no draws needed)."""
    every = spec.prior_overrides()  # the parameters' formulas' priors too, keyed sigma:b[arm]
    priors = pd.DataFrame(
        {"prior": [str(p) for p in every.values()]},
        index=pd.Index(list(every), name="parameter"),
    )
    effects = pd.DataFrame(
        {
            "levels": [len(f.levels) for f in spec.factors],
            "effects": [", ".join(f.effects) for f in spec.factors],
            "correlation": [_correlation(f) for f in spec.factors],
        },
        index=pd.Index([f.name for f in spec.factors], name="group"),
    )
    model = Section(
        "Model",
        [
            *_formula_lines(spec),
            f"family: {spec.family} (link: {spec.link}); observations: {spec.n_obs}",
            f"groups: {_groups(spec)}",
            *_rescor_lines(spec),
            *_coding_lines(spec),
        ],
        effects if spec.factors else None,
    )
    return [model, Section("Priors", [], priors)]


def _formula_lines(spec: ModelSpec) -> list[str]:
    return [f"formula: {spec.formula}"] + [f"         {d.formula} (link: {d.link})" for d in spec.dpars]


def _dpar_sections(fit: ReportedFit, prob: float) -> list[Section]:
    """Per parameter with a formula: its coefficients and group effects, on its link scale."""
    sections = []
    for dpar in fit.spec.dpars:
        lines = [f"{dpar.formula}: coefficients on the {dpar.link} scale of {dpar.name}"]
        sections.append(
            Section(f"{dpar.name}: fixed effects", lines, fit.fixed_effects(prob=prob, dpar=dpar.name))
        )
        if dpar.spec.factors:
            table = fit.variance_components(prob=prob, dpar=dpar.name)
            sections.append(Section(f"{dpar.name}: variance components ({dpar.link} scale)", [], table))
    return sections


_STRUCTURE_NAMES = {"us": "unstructured (LKJ)", "cs": "compound symmetry", "ar1": "AR(1)"}


def _correlation(factor: FactorSpec) -> str:
    kinds = [_STRUCTURE_NAMES[b.structure] for b in factor.blocks if b.correlated]
    return ", ".join(dict.fromkeys(kinds)) if kinds else "none"


def _coding_lines(spec: ModelSpec) -> list[str]:
    """Reference levels of categorical predictors, and where lme4 would code a term otherwise."""
    lines = [
        f"{column}: treatment coding, reference level {levels[0]!r} (levels {', '.join(levels)})"
        for column, levels in spec.column_levels.items()
    ]
    return lines + [f"note: {note}" for note in spec.notes]


def _sampler_lines(fit: ReportedFit) -> list[str]:
    info = fit.info
    lines = [
        f"sampler: {info.get('sampler', '?')}, {info.get('chains', '?')} chains x "
        f"{info.get('draws', '?')} draws (tune {info.get('tune', '?')}, "
        f"target_accept {info.get('target_accept', '?')}, seed {info.get('random_seed', '?')})"
    ]
    if fit.design.dropped.count:
        lines.append(
            f"dropped rows with missing values: {fit.design.dropped.count} {fit.design.dropped.by_column}"
        )
    try:
        numeric = numeric_group_columns(fit.design)
    except DataError:  # a model of Parquet files keeps no rows to look at
        numeric = []
    if numeric:
        lines.append(f"numeric grouping columns read as category labels: {numeric}")
    return lines


def diagnostics_section(fit: ReportedFit) -> Section:
    """Divergences, max R-hat and min ESS at a glance, with plain-words advice."""
    diagnostics = fit.diagnostics
    glance = (
        f"divergences {diagnostics.divergences}, max R-hat {diagnostics.max_rhat:.3f}, "
        f"min ESS bulk {diagnostics.min_ess_bulk:.0f}, tail {diagnostics.min_ess_tail:.0f}"
    )
    singular = fit.singular
    extra = [f"singular fit: {singular_message(singular)}"] if singular else []
    if diagnostics.ok and not singular:
        return Section("Diagnostics", [f"ok: {glance}"])
    if diagnostics.ok:
        return Section("Diagnostics", [f"ok: {glance}", *extra], warning=True)
    return Section("Diagnostics", [f"PROBLEMS: {glance}", *diagnostics.problems(), *extra], warning=True)


def effects_section(fit: ReportedFit, *, prob: float = 0.95) -> Section | None:
    """Average effect of each predictor on the outcome scale (``None`` without predictors).

    Each categorical predictor's levels against its reference level
    (``fit.comparisons``), each numeric predictor's slope (``fit.slopes``),
    averaged over the fitting rows at the population level.
    """
    from bayeslme.formula.design import predictor_columns
    from bayeslme.interpret.grid import grouping_columns, is_categorical

    design = fit.design
    grouping = set(grouping_columns(fit))
    columns = [c for c in predictor_columns(design.formula, design.data.columns) if c in design.data.columns]
    tables = []
    for column in (c for c in columns if c not in grouping):
        if is_categorical(fit, column):
            table = fit.comparisons(column, groups="population", prob=prob)
        else:
            table = fit.slopes(column, groups="population", prob=prob).assign(contrast="slope")
        values = [c for c in table.columns if c not in ("term", "contrast")]
        tables.append(table[["term", "contrast", *values]])
    if not tables:
        return None
    table = pd.concat(tables, ignore_index=True).set_index(["term", "contrast"])
    scale = (
        "expected response" if fit.spec.link == "identity" else f"expected response (inverse {fit.spec.link})"
    )
    return Section(
        "Average effects on the outcome scale",
        [
            f"differences of the {scale} between levels, and slopes of it for numeric predictors, "
            "averaged over the fitting rows without group effects; P(>0) is the posterior probability "
            "that the effect is positive (see docs/interpretation.md)"
        ],
        table,
    )


def fit_sections(fit: ReportedFit, *, prob: float = 0.95, effects: bool = False) -> list[Section]:
    """All sections of a fit: header, sampler, diagnostics, fixed effects, variance, R².

    R² rows are described in :mod:`bayeslme.results.r2`. With ``effects``
    the average effects on the outcome scale follow the fixed effects
    (:func:`effects_section`; the standalone report shows them).
    """
    spec = fit.spec
    header = Section(
        "Fit",
        [
            *_formula_lines(spec),
            f"family: {spec.family} (link: {spec.link}); observations: {spec.n_obs}; groups: {_groups(spec)}",
            *_rescor_lines(spec),
            *(f"note: {note}" for note in spec.notes),
            *_sampler_lines(fit),
        ],
    )
    sections = [header, diagnostics_section(fit), Section("Fixed effects", [], fit.fixed_effects(prob=prob))]
    average = effects_section(fit, prob=prob) if effects else None
    if average is not None:
        sections.append(average)
    if spec.factors or spec.rescor is not None:
        scale = "" if spec.link == "identity" else f" (on the {spec.link} scale)"
        sections.append(
            Section(
                f"Variance components{scale}",
                ["SDs, correlations, variances and ICC of the group effects"],
                fit.variance_components(prob=prob),
            )
        )
    sections += _dpar_sections(fit, prob)
    about = "marginal: fixed effects only; conditional: with group effects; bayes: Gelman et al. (2019)"
    try:
        sections.append(Section("R²", [about], fit.r2(prob=prob)))
    except DataError as error:  # a model of Parquet files keeps no rows
        sections.append(Section("R²", [f"not available: {error}"]))
    return sections
