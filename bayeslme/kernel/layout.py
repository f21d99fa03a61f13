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
from scipy import special

from bayeslme.backend.suffstats import group_stats, segment_sums
from bayeslme.families import get_family, log_binomial_coefficient
from bayeslme.formula.design import Design
from bayeslme.kernel import density as d
from bayeslme.priors import Prior, graph_constants
from bayeslme.spec import ModelSpec

__all__ = [
    "KernelLayout",
    "ValueVar",
    "build_layout",
    "integrated_factors",
    "marginal_factors",
    "unsupported_reason",
]

FAMILIES = {"gaussian": 0, "student_t": 1, "bernoulli": 2, "binomial": 3, "poisson": 4, "negativebinomial": 5}
LOCATION_KINDS = {"normal": 0, "student_t": 1, "flat": 2}
SCALE_KINDS = {"halfnormal": 0, "halfstudent_t": 1, "halfcauchy": 2, "exponential": 3, "gamma": 4}
BLOCK_KINDS = {"diag": 0, "us": 1, "cs": 2, "ar1": 3}
# The canonical link of each family the kernel evaluates is code 0; probit (Bernoulli, binomial) is 1.
LINKS = {
    ("gaussian", "identity"): 0,
    ("student_t", "identity"): 0,
    ("bernoulli", "logit"): 0,
    ("bernoulli", "probit"): 1,
    ("binomial", "logit"): 0,
    ("binomial", "probit"): 1,
    ("poisson", "log"): 0,
    ("negativebinomial", "log"): 0,
}


@dataclass(frozen=True)
class ValueVar:
    """A PyMC value variable's place in ``q``.

    Attributes
    ----------
    name : str
        PyMC's value-variable name (``sigma_unit_log__``, ``Subject__L0_cholesky_corr__``, ...).
    start : int
        Its first position in ``q``.
    shape : tuple of int
        Its shape (``q[start:start + size]`` reshaped).
    """

    name: str
    start: int
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        """Number of entries."""
        return int(np.prod(self.shape, dtype=int))


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
            value_vars.append(ValueVar("Intercept_centered", q + position, (1,)))
            if slopes:
                # theta is in spec.fixed order: the slopes must be contiguous in it.
                if slopes != list(range(slopes[0], slopes[0] + len(slopes))):
                    raise ValueError("the intercept must come first or last among the fixed effects")
                value_vars.append(ValueVar("b_slopes", q + slopes[0], (len(slopes),)))
        else:
            value_vars.append(ValueVar("b", q, (p,)))
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
        value_vars.append(ValueVar(f"{name}_unit_log__", first, (len(slots),)))
    family_records = {}
    for name in get_family(spec.family).parameters():
        family_records[name] = add_scale(spec.priors[name])
        value_vars.append(ValueVar(f"{name}_unit_log__", q - 1, ()))
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
                value_vars.append(ValueVar(f"{factor.chol_var(k)}_cholesky_corr__", q, (m,)))
                start.append(np.zeros(m))
                jitter.append(np.ones(m))
                q += m
            elif kind >= 2:
                prior = spec.priors[factor.rho_key]
                low, high = block.rho_bounds
                qc = q
                fc = builder.floats([max(prior["lower"], low), min(prior["upper"], high)])
                value_vars.append(ValueVar(f"{factor.rho_var(k)}_interval__", q, ()))
                start.append(np.zeros(1))
                jitter.append(np.ones(1))
                q += 1
            blocks += [offset, width, kind, qc, fc, mo, 0]
            offset += width
        factor_records.append((factor, owner, blocks))
    fields = []
    parent = _parent(design, marginal, outer) if outer >= 0 else None
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
        stats = group_stats(design.y, spec.centered_X(design.X), factor.Z, factor.index, len(factor.levels))
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


def integrated_factors(spec: ModelSpec, method: str, design: Design) -> list[str]:
    """Names of the factors whose effects ``method`` integrates out while sampling (drawn afterwards)."""
    if method == "collapsed":
        return [factor.name for factor in spec.factors]
    if method == "marginal":
        return [spec.factors[p].name for p in marginal_factors(spec, design) if p >= 0]
    return []


def marginal_factors(spec: ModelSpec, design: Design) -> tuple[int, int]:
    """The factor method ``"marginal"`` integrates out, and a factor it is nested in that goes with it.

    Two group intercepts of which one is nested in the other (every level of
    the inner factor within one level of the outer, on the data: lecturers
    within departments) are integrated out together by a two-level Woodbury
    step; the largest such pair is taken. Measured on lme4's InstEval
    (docs/performance.md): with the lecturers and departments integrated out
    and the students sampled, the ridge between the intercept and the 14
    department effects is gone (its bulk ESS 426 with the students
    integrated out instead). Otherwise the factor with the most group
    effects: it removes the most dimensions from the sampled vector, and in
    a crossed design the largest factor carries the ridge between the
    intercept and the effects' mean that a diagonal mass matrix adapts to
    worst. The cost per evaluation is the same for any choice (one more pass
    over the rows per effect, a k x k Cholesky per level). Ties go to the
    first. Returns ``(inner, outer)`` positions, ``outer`` -1 for none.
    """
    from bayeslme.backend.nested_stats import parent_levels

    intercepts = [
        p
        for p, (factor, own) in enumerate(zip(spec.factors, design.factors, strict=True))
        if tuple(factor.effects) == ("Intercept",) and np.all(np.asarray(own.Z) == 1.0)
    ]
    best, best_size = (-1, -1), 0
    for inner in intercepts:
        for outer in intercepts:
            if inner == outer:
                continue
            size = len(spec.factors[inner].levels) + len(spec.factors[outer].levels)
            if size <= best_size:
                continue
            own = design.factors[inner]
            if parent_levels(own.index, design.factors[outer].index, len(own.levels)) is not None:
                best, best_size = (inner, outer), size
    if best[0] >= 0:
        return best
    sizes = [len(factor.levels) * len(factor.effects) for factor in spec.factors]
    return int(np.argmax(sizes)), -1


def _parent(design: Design, inner: int, outer: int) -> np.ndarray:
    """The outer level of each inner level (the two nested on ``design``)."""
    from bayeslme.backend.nested_stats import parent_levels

    own = design.factors[inner]
    parent = parent_levels(own.index, design.factors[outer].index, len(own.levels))
    assert parent is not None
    return np.asarray(parent, dtype=np.int64)


def lkj_positions(width: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of each unconstrained LKJ parameter in the strictly lower triangle.

    PyMC's ``CholeskyCorrTransform(n, upper=False)`` fills the triangle in
    "spiral" order (taken over from TensorFlow Probability): with ``m`` =
    ``n (n - 1) / 2`` values ``x``, the ``(n - 1) x (n - 1)`` matrix
    ``concat(x[n - 1:], reverse(x))`` reshaped, lower triangle, sits below the
    diagonal of ``W``.
    """
    n = width - 1
    m = width * (width - 1) // 2
    x = np.arange(m)
    filled = np.concatenate([x[n:], x[::-1]]).reshape(n, n)
    rows, cols = np.tril_indices(n)
    order = filled[rows, cols]
    position = np.empty(m, dtype=np.int64)
    position[order] = np.arange(m)
    return (rows + 1)[position].astype(np.int64), cols[position].astype(np.int64)


class _Builder:
    """Appends arrays to the flat ``F`` and ``I`` arrays and returns their offsets."""

    def __init__(self) -> None:
        self._floats: list[np.ndarray] = []
        self._ints: list[np.ndarray] = []
        self._nf = 0
        self._ni = d.HEADER

    def floats(self, values) -> int:
        array = np.asarray(values, dtype=np.float64).ravel()
        self._floats.append(array)
        offset = self._nf
        self._nf += array.size
        return offset

    def ints(self, values) -> int:
        array = np.asarray(values, dtype=np.int64).ravel()
        self._ints.append(array)
        offset = self._ni
        self._ni += array.size
        return offset

    def finish(self, header: list[int]) -> tuple[np.ndarray, np.ndarray]:
        F = np.concatenate(self._floats) if self._floats else np.zeros(0)
        I = np.concatenate([np.asarray(header, dtype=np.int64), *self._ints])
        return np.ascontiguousarray(F), np.ascontiguousarray(I)


def _theta_priors(spec: ModelSpec) -> list[Prior]:
    if spec.has_intercept:
        return [spec.priors["Intercept"] if n == "Intercept" else spec.priors[f"b[{n}]"] for n in spec.fixed]
    return [spec.priors[f"b[{n}]"] for n in spec.fixed]


def _get(prior: Prior, name: str, default: float = 0.0) -> float:
    return dict(prior.params).get(name, default)


def _normaliser(builder: _Builder, spec: ModelSpec, y: np.ndarray, trials) -> int:
    """Each row's log normalising constant where the density leaves it out (zeros otherwise)."""
    if spec.family == "binomial":
        return builder.floats(log_binomial_coefficient(trials, y))
    if spec.family in ("poisson", "negativebinomial"):
        return builder.floats(-special.gammaln(y + 1.0))
    return builder.floats(np.zeros(len(y)))
