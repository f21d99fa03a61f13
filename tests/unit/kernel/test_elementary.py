"""The kernel's own exp and log1p (arithmetic only, so that row loops vectorise) against numpy's."""

from __future__ import annotations

import numba
import numpy as np

from bayeslme.kernel.elementary import _exp_nonpositive, _log1p_unit


@numba.njit
def _apply_exp(x, out):
    for i in range(x.shape[0]):
        out[i] = _exp_nonpositive(x[i])


@numba.njit
def _apply_log1p(x, out):
    for i in range(x.shape[0]):
        out[i] = _log1p_unit(x[i])


def test_exp_of_nonpositive_values_to_rounding():
    # A degree-13 Taylor polynomial on |r| <= log(2) / 2 truncates at 4e-18
    # and Cody-Waite's split of log 2 keeps r exact to 1e-19 at k = 62: what
    # is left is the rounding of about 20 operations, a few units of 1.1e-16.
    rng = np.random.default_rng(0)
    x = -np.concatenate([np.linspace(0.0, 43.0, 100_001), rng.exponential(3.0, 100_000), [0.0, 1e-300]])
    out = np.empty_like(x)
    _apply_exp(x, out)
    ref = np.exp(x)
    assert np.max(np.abs(out - ref) / ref) < 5e-16
    # Below -43 the value is exp(-43): at most 2e-19 away from the truth, absolutely.
    below = np.array([-43.5, -100.0, -1e6])
    out = np.empty(3)
    _apply_exp(below, out)
    np.testing.assert_array_equal(out, np.full(3, out[0]))
    assert abs(out[0] - np.exp(-43.0)) < 1e-30


def test_log1p_on_the_unit_interval_to_rounding():
    # 2 atanh(s) with s <= 1/3: the series' first dropped term is below
    # (1/9)^19 / 39 = 3e-20 relative; the rest is rounding.
    rng = np.random.default_rng(1)
    tiny = np.exp(-np.linspace(0, 43, 1000))
    e = np.concatenate([np.linspace(0.0, 1.0, 100_001), rng.random(100_000), tiny])
    out = np.empty_like(e)
    _apply_log1p(e, out)
    ref = np.log1p(e)
    positive = ref > 0
    assert np.max(np.abs(out[positive] - ref[positive]) / ref[positive]) < 6e-16
    assert out[e == 0.0].tolist() == [0.0] * int(np.sum(e == 0.0))
