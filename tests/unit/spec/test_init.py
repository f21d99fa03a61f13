"""``bayeslme.spec``'s names: everything importable from the single module before the split still is."""

from __future__ import annotations

import subprocess
import sys

import bayeslme.spec

# bayeslme/spec.py's __all__ before it became a package, and the names added since.
NAMES = ("BlockSpec", "FactorSpec", "ModelSpec", "RescorSpec", "build_spec")
ADDED = (
    "SPEC_VERSION",
    "coefficient_key",
    "unit_var",
    "value_var",
    "CENTERED_INTERCEPT",
    "COEFFICIENTS",
    "FIXED_DIM",
    "SLOPES",
    "auto_dim",
    "part_var",
    "prior_data_var",
)


def test_every_name_imports_from_the_package():
    for name in NAMES + ADDED:
        assert name in bayeslme.spec.__all__
        assert getattr(bayeslme.spec, name) is not None


def test_build_spec_is_the_builder():
    from bayeslme.spec import build_spec
    from bayeslme.spec.build import build_spec as built

    assert build_spec is built


def test_reading_a_spec_does_not_load_the_formula_machinery():
    code = (
        "import sys, bayeslme.spec; "
        "assert 'formulae' not in sys.modules and 'bayeslme.spec.build' not in sys.modules; "
        "from bayeslme.spec import build_spec; assert 'formulae' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
