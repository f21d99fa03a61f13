"""Turn a spec and its design into the arrays :func:`bayeslme.kernel.density.logp_grad` reads.

The unconstrained vector ``q`` is laid out as: fixed effects ``theta`` (in
``spec.fixed`` order, centred predictors), the log unit scales (each factor's
SD slots, then ``sigma``, ``nu``, ``alpha``), each factor's correlation
parameters block by block, and (non-centered) each factor's ``z``, row-major
``(levels, effects)`` (method ``"marginal"``: every factor but the one
integrated out). :class:`KernelLayout` records where each PyMC value
variable lives in ``q``, which is all :mod:`bayeslme.kernel.draws` and the
tests need.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bayeslme.backend.suffstats import group_stats, segment_sums
from bayeslme.bigdata.design import streamed_stats
from bayeslme.families import get_family
from bayeslme.formula.design import Design
from bayeslme.kernel import header as d
from bayeslme.kernel.factor_choice import marginal_factors, parent_map
from bayeslme.kernel.records import (
    BLOCK_KINDS,
    FAMILIES,
    LINKS,
    LOCATION_KINDS,
    SCALE_KINDS,
    ValueVar,
    _Builder,
    _get,
    _normaliser,
    _theta_priors,
    lkj_positions,
)
from bayeslme.priors import Prior, graph_constants
from bayeslme.spec import ModelSpec, unit_var, value_var
from bayeslme.spec.names import CENTERED_INTERCEPT, COEFFICIENTS, SLOPES

__all__ = ["KernelLayout", "build_layout", "unsupported_reason"]


@dataclass(frozen=True)
class KernelLayout:
    """Everything the density reads, and where each PyMC value variable sits in ``q``."""

    F: np.ndarray
    I: np.ndarray
    n_q: int
    method: str
    value_vars: tuple[ValueVar, ...] = field(default_factory=tuple)
    start: np.ndarray = field(default_factory=lambda: np.zeros(0))
    jitter: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Half-width of each chain's uniform jitter around ``start``, per entry of ``q``."""
    marginal: int = -1
    """Position of the factor integrated out (method ``"marginal"``), -1 for none."""
    marginal_outer: int = -1
    """Position of a factor it is nested in that is integrated out with it, -1 for none."""
    marginal_parent: np.ndarray | None = None
    """With ``marginal_outer``: the outer level of each of the integrated factor's levels."""

    @property
    def callback(self) -> str:
        """The density callback that evaluates this layout (:func:`bayeslme.kernel.density.logp_callback`)."""
        return "collapsed" if self.method == "collapsed" else "noncentered"

    def value_var(self, name: str) -> ValueVar:
        """The value variable called ``name``."""
        for var in self.value_vars:
            if var.name == name:
                return var
        raise KeyError(name)


def unsupported_reason(spec: ModelSpec, design: Design, method: str) -> str | None:
    """Why the kernel cannot evaluate this model (``None`` when it can)."""
    if spec.rescor is not None:
        return "residual correlation terms"
    if spec.dpars:
        return "formulas for family parameters"
    if (spec.family, spec.link) not in LINKS:
        return f"family {spec.family!r} with link {spec.link!r}"
    if method == "collapsed" and len(spec.factors) != 1:
        return "collapsed model with two nested factors"
    if method == "marginal" and (spec.family, spec.link) != ("gaussian", "identity"):
        return f"method 'marginal' with family {spec.family!r} and link {spec.link!r}"
    if method not in ("collapsed", "noncentered", "marginal"):
        return f"method {method!r}"
    priors = zip(spec.fixed, _theta_priors(spec), strict=True)
    slopes = [prior for name, prior in priors if name != "Intercept"]
    if len({prior.dist for prior in slopes}) > 1:
        return "fixed effects with priors of several families"
    for factor in spec.factors:
        priors = [spec.priors[key] for key, _ in factor.sd_slots()]
        # The PyMC model makes one variable per SD prior family and shape (prior_vars.scale_vector).
        if len({graph_constants(p) for p in priors}) > 1:
            return f"SDs of {factor.name!r} with priors of several families"
    return None


def build_layout(
    spec: ModelSpec, design: Design, method: str, centered: tuple[bool, ...] | None = None
) -> KernelLayout:
    """The kernel's arrays for ``spec`` on ``design`` (see :func:`unsupported_reason` first).

    ``centered`` says per factor (not the integrated ones) whether ``q``
    holds its group effects ``u`` themselves (value variable ``<f>__u``,
    prior ``N(0, L L')``) instead of ``z`` with ``u = z L'``: the same
    posterior, better geometry for factors whose levels the data pin down.
    """
    centered = centered or (False,) * len(spec.factors)
    marginal, outer = marginal_factors(spec, design) if method == "marginal" else (-1, -1)
    if any(centered) and (
        method == "collapsed" or (marginal >= 0 and centered[marginal]) or (outer >= 0 and centered[outer])
    ):
        raise ValueError("centered factors need per-level effects; this one is integrated out")
    per_level = method in ("noncentered", "marginal")  # row-level data, eta built per row
    builder = _Builder()
    header = [0] * d.HEADER
    header[d.H_METHOD] = 1 if method == "collapsed" else 0
    header[d.H_FAMILY] = FAMILIES[spec.family]
    header[d.H_LINK] = LINKS[(spec.family, spec.link)]
    header[d.H_N] = design.n_obs
    p = len(spec.fixed)
    header[d.H_P] = p
    header[d.H_NF] = len(spec.factors)
    q = 0
    value_vars: list[ValueVar] = []
    start: list[np.ndarray] = []
    # A chain starts at start + U(-jitter, jitter). PyMC jitters every
    # unconstrained value by 1; a coefficient whose prior is narrower (a
    # predictor in large units, such as grouseticks' height in metres with a
    # Poisson link) then starts tens of units of eta away and chains stick:
    # such coefficients jitter by their prior SD.
    jitter: list[np.ndarray] = []

    # Fixed effects.
    priors = _theta_priors(spec)
    header[d.H_QTHETA] = q
    header[d.H_TPRIOR_I] = builder.ints([LOCATION_KINDS[pr.dist] for pr in priors])
    header[d.H_TPRIOR_F] = builder.floats(
        [_get(pr, "mu") for pr in priors]
        + [_get(pr, "sigma", 1.0) for pr in priors]
        + [_get(pr, "nu", 1.0) for pr in priors]
    )
    if p:
        if spec.has_intercept:
            position = spec.fixed.index("Intercept")
            slopes = [j for j in range(p) if j != position]
            value_vars.append(ValueVar(CENTERED_INTERCEPT, q + position, (1,)))
            if slopes:
                # theta is in spec.fixed order: the slopes must be contiguous in it.
                if slopes != list(range(slopes[0], slopes[0] + len(slopes))):
                    raise ValueError("the intercept must come first or last among the fixed effects")
                value_vars.append(ValueVar(SLOPES, q + slopes[0], (len(slopes),)))
        else:
            value_vars.append(ValueVar(COEFFICIENTS, q, (p,)))
    start.append(np.array([_get(pr, "mu") for pr in priors]))
    jitter.append(np.array([min(1.0, _get(pr, "sigma", 1.0)) for pr in priors]))
    q += p

    # Positive scales: each factor's SD slots, then the family's parameters.
    records: list[int] = []
    scale_start: list[float] = []

    def add_scale(prior: Prior) -> int:
        nonlocal q
        (shape,) = graph_constants(prior)[1:] or (1.0,)  # half-Student-t nu, gamma alpha
        records.extend([q, SCALE_KINDS[prior.dist], builder.floats([prior.scale, shape])])
        q += 1
        scale_start.append(0.0)
        return len(records) // 3 - 1

    owners: list[list[int]] = []
    for factor in spec.factors:
        slots = factor.sd_slots()
        first = q
        slot_records = [add_scale(spec.priors[key]) for key, _ in slots]
        owner = [0] * len(factor.effects)
        for record, (_, positions) in zip(slot_records, slots, strict=True):
            for position in positions:
                owner[position] = record
        owners.append(owner)
        name = factor.sd_var if len(slots) == len(factor.effects) else factor.sd_free_var
        value_vars.append(ValueVar(value_var(unit_var(name), "log"), first, (len(slots),)))
    family_records = {}
    for name in get_family(spec.family).parameters():
        family_records[name] = add_scale(spec.priors[name])
        value_vars.append(ValueVar(value_var(unit_var(name), "log"), q - 1, ()))
    header[d.H_SIGMA] = family_records.get("sigma", -1)
    header[d.H_NU] = family_records.get("nu", -1)
    header[d.H_ALPHA] = family_records.get("alpha", -1)
    header[d.H_NSCALE] = len(records) // 3
    header[d.H_SCALES] = builder.ints(records)
    start.append(np.array(scale_start))
    jitter.append(np.ones(len(scale_start)))

    # Factors: correlation parameters, then z (u for a centered factor).
    factor_records = []
    for factor, owner in zip(spec.factors, owners, strict=True):
        blocks = []
        offset = 0
        for k, block in enumerate(factor.blocks):
            width = len(block.effects)
            kind = BLOCK_KINDS[block.structure] if block.correlated else 0
            qc, fc, mo = -1, -1, -1
            if kind == 1:
                m = width * (width - 1) // 2
                qc = q
                fc = builder.floats([spec.priors[factor.cor_key]["eta"]])
                rows, cols = lkj_positions(width)
                mo = builder.ints(np.column_stack([rows, cols]).ravel().tolist())
                value_vars.append(ValueVar(value_var(factor.chol_var(k), "cholesky_corr"), q, (m,)))
                start.append(np.zeros(m))
                jitter.append(np.ones(m))
                q += m
            elif kind >= 2:
                prior = spec.priors[factor.rho_key]
                low, high = block.rho_bounds
                qc = q
                fc = builder.floats([max(prior["lower"], low), min(prior["upper"], high)])
                value_vars.append(ValueVar(value_var(factor.rho_var(k), "interval"), q, ()))
                start.append(np.zeros(1))
                jitter.append(np.ones(1))
                q += 1
            blocks += [offset, width, kind, qc, fc, mo, 0]
            offset += width
        factor_records.append((factor, owner, blocks))
    fields = []
    parent = parent_map(design, marginal, outer) if outer >= 0 else None
    for position, (factor, owner, blocks) in enumerate(factor_records):
        G, k = len(factor.levels), len(factor.effects)
        qz, index_o, Z_o, ones, ZZ_o = -1, -1, -1, [0] * k, -1
        mode = 2 if position == marginal else 3 if position == outer else int(centered[position])
        outer_f, parent_o = -1, -1
        if position == outer:
            pass  # integrated with the factor nested in it: no z, no rows
        elif position == marginal:
            design_factor = design.factors[position]
            index = np.asarray(design_factor.index, dtype=np.int64)
            Z = np.asarray(design_factor.Z, dtype=np.float64)
            ZZ_o = builder.floats(segment_sums(index, G, Z[:, :, None] * Z[:, None, :]).ravel())
            index_o = builder.ints(index)
            Z_o = builder.floats(Z.T.ravel())
            ones = [int(np.all(Z[:, e] == 1.0)) for e in range(k)]
            if outer >= 0:
                outer_f = outer
                parent_o = builder.ints(parent)
        elif per_level:
            design_factor = design.factors[position]
            qz = q
            value_vars.append(ValueVar(factor.u_var if centered[position] else factor.z_var, q, (G, k)))
            start.append(np.zeros(G * k))
            # Centered effects start within their SD prior's scale, as z within 1.
            widths = [min(1.0, spec.priors[key].scale) for key, _ in factor.sd_slots()]
            per_effect = np.ones(k)
            for width, (_, positions) in zip(widths, factor.sd_slots(), strict=True):
                per_effect[list(positions)] = width
            jitter.append(np.tile(per_effect, G) if centered[position] else np.ones(G * k))
            q += G * k
            index_o = builder.ints(np.asarray(design_factor.index, dtype=np.int64))
            Z = np.asarray(design_factor.Z, dtype=np.float64)
            Z_o = builder.floats(Z.T.ravel())  # column by column: each effect's values contiguous
            # Columns of ones (group intercepts) are added without reading Z.
            ones = [int(np.all(Z[:, e] == 1.0)) for e in range(k)]
        # A factor's record, slot by slot: 0 levels G, 1 effects k, 2 offset of
        # its z (or u) in q, 3 offset of its level index per row in I, 4 offset
        # of Z (column by column) in F, 5 offset of each effect's owning SD slot
        # in I, 6 number of blocks, 7 offset of the block records in I, 8 offset
        # of the ones-column flags in I, 9 mode (0 non-centered, 1 centered, 2
        # integrated out; 3 integrated out as the outer factor of the mode-2
        # one), 10 offset of the per-level Z'Z in F (mode 2 only), 11 position
        # of the outer factor integrated with it (-1 for none), 12 offset of
        # its inner levels' outer levels in I.
        fields.append(
            [
                G,
                k,
                qz,
                index_o,
                Z_o,
                builder.ints(owner),
                len(factor.blocks),
                builder.ints(blocks),
                builder.ints(ones),
                mode,
                ZZ_o,
                outer_f,
                parent_o,
            ]
        )
    header[d.H_FACTORS] = builder.ints([builder.ints(f) for f in fields])

    # Data.
    if per_level:
        # Column by column (each column contiguous), centred.
        header[d.H_X] = builder.floats(spec.centered_X(np.asarray(design.X, dtype=np.float64)).T.ravel())
        y = np.asarray(design.y, dtype=np.float64)
        header[d.H_Y] = builder.floats(y)
        # Always present (ones, zeros) so the density allocates nothing per evaluation for them.
        trials = np.ones(design.n_obs) if design.trials is None else np.asarray(design.trials, dtype=float)
        header[d.H_TRIALS] = builder.floats(trials)
        header[d.H_NORM] = _normaliser(builder, spec, y, design.trials)
        header[d.H_OFFSET] = (
            -1 if design.offset is None else builder.floats(np.asarray(design.offset, dtype=float))
        )
        header[d.H_STATS] = -1
    else:
        factor = design.factors[0]
        stats = streamed_stats(spec, design)  # a design held as statistics (bayeslme.bigdata)
        if stats is None:
            X = spec.centered_X(design.X)
            stats = group_stats(design.y, X, factor.Z, factor.index, len(factor.levels))
        arrays = stats.arrays()
        offsets = [
            builder.floats(np.asarray(arrays[name], dtype=np.float64).ravel())
            for name in ("stats_ZZ", "stats_ZX", "stats_Zy", "stats_XX", "stats_Xy", "stats_yy", "stats_n")
        ]
        header[d.H_STATS] = builder.ints(offsets)
        header[d.H_NORM] = header[d.H_TRIALS] = header[d.H_OFFSET] = -1
    header[d.H_NQ] = q
    F, I = builder.finish(header)
    return KernelLayout(
        F=F,
        I=I,
        n_q=q,
        method=method,
        value_vars=tuple(value_vars),
        start=np.concatenate(start),
        jitter=np.concatenate(jitter),
        marginal=marginal,
        marginal_outer=outer,
        marginal_parent=parent,
    )
