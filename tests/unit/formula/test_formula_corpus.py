"""156 formulas from lme4, glmmTMB, brms, bambi and statsmodels documentation, examples and tests,
each built by bayeslme and compared with what lme4 1.1-31 builds on the same data.

The corpus, its data sets and lme4's structures (``lFormula``/``glFormula``) are in
``tests/data/formula_corpus/`` (``make_corpus.R`` writes them; R is not needed here).
For every formula lme4 accepts, bayeslme builds the same structure (rows used,
fixed-effect columns, group terms with their effects and number of levels) or raises
one of the documented limitations below; every formula lme4 refuses, bayeslme
refuses too. Documented differences in coding are listed in ``CODING``; both lists
are in docs/formulas.md.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.errors import BayeslmeError, DataError, FamilyError
from bayeslme.formula.rsyntax import display_name

CORPUS_DIR = Path(__file__).parents[2] / "data" / "formula_corpus"
CORPUS = json.loads((CORPUS_DIR / "corpus.json").read_text())
SCHEMA = json.loads((CORPUS_DIR / "datasets" / "schema.json").read_text())

# Formulas lme4 accepts that bayeslme refuses: a documented limitation each, with the error.
LIMITATIONS = {
    # rank-deficient fixed parts: lme4 drops columns with a message, bayeslme names them
    "sleep_age_rank_deficient": (DataError, r"collinear: 'ns\(Days, df=4\)\[3\]' is a linear combination"),
    "rank_identical_columns": (DataError, r"collinear: 'y' is a linear combination of \['x'\]"),
    "rank_empty_cell": (DataError, r"collinear"),
    "rank_constant_column": (DataError, r"collinear"),
    "contraception_poly_logical": (DataError, r"collinear"),
    # a proportion response needs the trials: lme4 takes them from weights=, bayeslme from cbind()
    "cbpp_prop": (FamilyError, r"needs a number of trials: write 'cbind"),
}

# Where bayeslme codes a term with other columns than lme4, by design (docs/formulas.md).
CODING = {
    # ordered factors: treatment coding, where R uses polynomial contrasts (.L, .Q, ...)
    "cake_fm1": "ordered",
    "cake_fm2": "ordered",
    "oats_ordered_nitro": "ordered",
    "synth_ordered_nested": "ordered",
    "insteval_service_dept": "ordered",
    "insteval_dept_service_re": "ordered",
}

FAMILIES = {"gaussian": "gaussian", "poisson": "poisson", "negativebinomial": "negativebinomial"}


def load_dataset(name: str) -> pd.DataFrame:
    """A corpus data set with R's column types: factors as Categoricals in R's level order."""
    columns = SCHEMA[name]["columns"]
    text = [c for c, info in columns.items() if info["type"] in ("factor", "ordered", "character")]
    frame = pd.read_csv(
        CORPUS_DIR / "datasets" / f"{name}.csv",
        dtype={c: str for c in text},
        keep_default_na=False,
        na_values={c: [""] for c in columns},
    )
    for column, info in columns.items():
        kind = info["type"]
        if kind in ("factor", "ordered"):
            frame[column] = pd.Categorical(
                frame[column], categories=info["levels"], ordered=kind == "ordered"
            )
        elif kind == "logical":
            frame[column] = frame[column].map({"TRUE": True, "FALSE": False, True: True, False: False})
            if frame[column].isna().any():
                frame[column] = frame[column].astype("boolean")
            else:
                frame[column] = frame[column].astype(bool)
        elif kind == "integer" and frame[column].isna().any():
            frame[column] = frame[column].astype("Int64")
    return frame


def _family(entry: dict, data: pd.DataFrame) -> str:
    family = entry["family"]
    if family != "binomial":
        return FAMILIES.get(family, family)
    response = entry["formula"].split("~")[0].strip()
    if response in data.columns and not pd.api.types.is_numeric_dtype(data[response]):
        return "bernoulli"  # lme4's binomial on a factor or logical response
    return "binomial"


def _build(entry: dict) -> bl.GLMM:
    data = load_dataset(entry["dataset"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dropped rows, singleton groups: counted below
        return bl.GLMM(entry["formula"], data, family=_family(entry, data))


def _norm(name: str) -> str:
    """One spelling for lme4's and bayeslme's column names.

    ``(Intercept)`` -> ``Intercept``; ``Sex[Female]`` -> ``SexFemale``; no spaces,
    backquotes or quote differences; R's ``TRUE`` suffix of a logical ``I()`` dropped;
    formulae's 0-based index of ``poly()`` columns made 1-based as R's; interaction
    parts sorted.
    """
    parts = []
    for part in re.sub(r"\b(splines|stats)::", "", name).split(":"):
        part = part.replace(" ", "").replace("`", "").replace("'", '"')
        part = "Intercept" if part == "(Intercept)" else part
        part = re.sub(r"^(I\(.*\))TRUE$", r"\1", part)
        match = re.match(r"^((?:poly|bs|ns)\(.*\))\[(\d+)\]$", part)
        if match:
            part = f"{match.group(1)}{int(match.group(2)) + 1}"
        part = re.sub(r"\[(True|False)\]$", lambda m: m.group(1).upper(), part)
        parts.append(re.sub(r"\[([^\[\]]*)\]$", r"\1", part))
    return ":".join(sorted(parts))


def _our_terms(model: bl.GLMM) -> list[tuple]:
    design = model.design
    spelling = model.formula.spelling
    terms = []
    for factor in design.factors:
        for position in factor.terms:
            names = design.term_matrices[position].as_dataframe().columns
            # R orders the columns of a:b with a varying fastest, formulae with b: compare as sets
            effects = tuple(sorted(_norm(display_name(n, spelling)) for n in names))
            terms.append((tuple(sorted(factor.columns)), effects, len(factor.levels)))
    return sorted(terms)


def _lme4_terms(entry: dict) -> list[tuple]:
    terms = []
    for term in entry["lme4"]["terms"]:
        columns = tuple(sorted(c.strip().strip("`") for c in term["group"].split(":")))
        terms.append((columns, tuple(sorted(_norm(e) for e in term["effects"])), term["n_levels"]))
    return sorted(terms)


ACCEPTED = [e for e in CORPUS if e["lme4"]["ok"]]
REFUSED = [e for e in CORPUS if not e["lme4"]["ok"]]


def test_corpus_size_and_sources():
    assert len(CORPUS) >= 80 and len(ACCEPTED) >= 130
    sources = " ".join(e["source"] for e in CORPUS)
    for package in ("lme4", "glmmTMB", "brms", "statsmodels", "bambi"):
        assert package in sources, package


@pytest.mark.parametrize("entry", ACCEPTED, ids=[e["id"] for e in ACCEPTED])
def test_builds_lme4_structure_or_a_documented_limitation(entry):
    if entry["id"] in LIMITATIONS:
        error, message = LIMITATIONS[entry["id"]]
        with pytest.raises(error, match=message):
            _build(entry)
        return
    model = _build(entry)
    lme4 = entry["lme4"]
    assert model.spec.n_obs == lme4["n_obs"]
    ours = [_norm(n) for n in model.spec.fixed]
    if (
        model.spec.family == "cumulative"
    ):  # lme4's structure from lFormula; the thresholds replace its intercept
        ours = [_norm("(Intercept)"), *ours]
    if CODING.get(entry["id"]) == "ordered":
        assert len(ours) == len(lme4["fixed"])
    else:
        assert sorted(ours) == sorted(_norm(n) for n in lme4["fixed"])
    theirs = _lme4_terms(entry)
    mine = _our_terms(model)
    if model.spec.notes:
        # (a:b | g): our full-rank coding has fewer effects; the printed note gives lme4's count
        counts = sorted(int(re.search(r"lme4 codes it with (\d+)", n).group(1)) for n in model.spec.notes)
        assert counts == sorted(len(t[1]) for t in theirs if len(t[1]) in counts)
        assert [(c, k) for c, _, k in mine] == [(c, k) for c, _, k in theirs]
    else:
        assert mine == theirs


@pytest.mark.parametrize("entry", REFUSED, ids=[e["id"] for e in REFUSED])
def test_refuses_what_lme4_refuses(entry):
    with pytest.raises(BayeslmeError):
        _build(entry)


def test_every_limitation_and_coding_difference_is_documented():
    docs = (Path(__file__).parents[3] / "docs" / "formulas.md").read_text()
    for phrase in ("collinear", "cbind(", "polynomial contrasts", "full rank", "ordinal"):
        assert phrase in docs, phrase


@pytest.mark.parametrize("entry_id", ["verbagg_interaction_slope_re", "pastes_cask_batch_interaction_re"])
def test_full_rank_coding_of_a_two_factor_interaction_is_noted_with_lme4s_count(entry_id):
    entry = next(e for e in CORPUS if e["id"] == entry_id)
    model = _build(entry)
    (note,) = model.spec.notes
    (term,) = entry["lme4"]["terms"]
    # lme4 keeps the intercept and one indicator per level combination; we code one column fewer
    assert f"lme4 codes it with {len(term['effects'])}" in note
    assert len(model.spec.factors[0].effects) == len(term["effects"]) - 1
    assert "Model:" in str(model) and note in str(model)


COVSTRUCT = json.loads((CORPUS_DIR / "covstruct.json").read_text())


def _n_covariance_parameters(model: bl.GLMM) -> int:
    """Free covariance parameters: SD slots, plus a correlation per cs/ar1 block or LKJ's p(p-1)/2."""
    count = 0
    for factor in model.spec.factors:
        count += len(factor.sd_slots())
        for block in factor.blocks:
            if block.correlated:
                p = len(block.effects)
                count += p * (p - 1) // 2 if block.structure == "us" else 1
    return count


@pytest.mark.parametrize("entry", COVSTRUCT, ids=[e["id"] for e in COVSTRUCT])
def test_covariance_structures_have_lme4_2_parameters(entry):
    """lme4 2.0's us(), diag(), cs() and ar1() (counts read from lme4's source, covstruct.json)."""
    model = _build(entry)
    expected = entry["lme4_2_0_expected"]["terms"]
    assert _n_covariance_parameters(model) == sum(t["n_par"] for t in expected)
    blocks = [b for f in model.spec.factors for b in f.blocks]
    assert [(b.structure, len(b.effects)) for b in blocks] == [(t["structure"], t["nc"]) for t in expected]
    if entry["glmmTMB"]["ok"]:
        (term,) = entry["glmmTMB"]["terms"]
        assert model.spec.n_obs == entry["glmmTMB"]["n_obs"]
        assert len(model.spec.factors[0].levels) == term["n_levels"]
        assert sorted(_norm(e) for e in model.spec.factors[0].effects) == sorted(
            _norm(e) for e in term["effects"]
        )
