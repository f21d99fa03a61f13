"""ModelSpec's JSON form, which saved fits carry: pinned to files written before the spec's split.

``tests/data/spec/dicts.json`` holds ``spec.to_dict()`` of the models below
(SPEC_VERSION 3, which added ``nested``); ``dicts_v2.json`` holds them as the
single-module ``bayeslme/spec.py`` (SPEC_VERSION 2) wrote them. A fit saved by
any version with the same SPEC_VERSION must load unchanged, so a difference
here is a format change: bump SPEC_VERSION, keep reading the older versions,
and only then rewrite ``dicts.json`` (``python -m tests.unit.spec.test_model``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.spec import SPEC_VERSION, ModelSpec

DICTS = Path(__file__).parents[2] / "data" / "spec" / "dicts.json"
DICTS_V2 = DICTS.with_name("dicts_v2.json")


def _sleep() -> pd.DataFrame:
    frame = bl.datasets.sleepstudy()
    index = np.arange(len(frame))
    return frame.assign(
        x=np.sin(index),
        site=np.where(index % 2 == 0, "a", "b"),
        Daysf=pd.Categorical(frame["Days"].clip(upper=3).astype(str)),
        grp=frame["Subject"].astype(str).str[-1],
        cnt=index % 7,
        expo=1 + (index % 5) / 4,
    )


MODELS: dict[str, Callable[[], bl.GLMM]] = {
    "slopes_priors": lambda: bl.LMM(
        "Reaction ~ Days + x + (Days | Subject) + (1 | grp)",
        _sleep(),
        priors={"b": bl.Prior("normal", mu=0, sigma=5), "sd[Subject]": bl.Prior("halfnormal", sigma=20)},
    ),
    "blocks": lambda: bl.LMM(
        "Reaction ~ Days * site + (Days + x | Subject) + diag(0 + site | Subject, hom = TRUE)", _sleep()
    ),
    "ar1": lambda: bl.LMM("Reaction ~ Daysf + ar1(0 + Daysf | Subject)", _sleep()),
    "nested": lambda: bl.LMM("Reaction ~ Days + (1 | grp/Subject)", _sleep()),
    "rescor": lambda: bl.LMM("Reaction ~ Days + (1 | Subject) + ar(Days, Subject)", _sleep()),
    "binomial": lambda: bl.GLMM(
        "cbind(incidence, size - incidence) ~ period + (1 | herd)", bl.datasets.cbpp(), family="binomial"
    ),
    "poisson_offset": lambda: bl.GLMM(
        "cnt ~ x + offset(log(expo)) + (1 | Subject)", _sleep(), family="poisson"
    ),
    "student_uncorrelated": lambda: bl.GLMM(
        "Reaction ~ Days + (Days || Subject)", _sleep(), family="student_t"
    ),
}


@pytest.fixture(scope="module")
def pinned() -> dict:
    return json.loads(DICTS.read_text())


@pytest.mark.parametrize("name", sorted(MODELS))
def test_spec_dict_is_the_pinned_json(name, pinned):
    spec = MODELS[name]().spec
    assert json.loads(json.dumps(spec.to_dict())) == pinned[name]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_pinned_json_reads_back_to_the_same_spec(name, pinned):
    spec = ModelSpec.from_dict(pinned[name])
    assert spec == MODELS[name]().spec
    assert spec.to_dict() == pinned[name]


def test_pinned_json_is_this_spec_version(pinned):
    assert {data["version"] for data in pinned.values()} == {SPEC_VERSION}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_version_2_reads_as_the_same_spec_without_nesting(name, pinned):
    old = json.loads(DICTS_V2.read_text())[name]
    assert old["version"] == 2
    spec = ModelSpec.from_dict(old)
    current = ModelSpec.from_dict(pinned[name])
    assert spec.nested == ()
    assert spec == ModelSpec(**{**current.__dict__, "nested": ()})


def test_nesting_is_recorded_from_the_data(pinned):
    # grp is the last digit of Subject: every subject lies within one grp level.
    assert pinned["nested"]["nested"] == [["grp:Subject", "grp"]]
    assert pinned["slopes_priors"]["nested"] == [["Subject", "grp"]]
    assert pinned["blocks"]["nested"] == []


if __name__ == "__main__":
    DICTS.write_text(
        json.dumps({name: make().spec.to_dict() for name, make in MODELS.items()}, indent=1) + "\n"
    )
