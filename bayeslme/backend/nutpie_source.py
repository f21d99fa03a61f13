"""Source of the nutpie callbacks bayeslme generates, and their numba cache keys."""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import sha256

import numpy as np

__all__ = ["_Slot", "_callback_key", "_callback_name", "_digest", "_expand_source", "_logp_source"]

# The generated source is part of the cache key; bump this when what the source
# refers to changes without changing the source (the helpers in its globals).
_SOURCE_VERSION = "4"  # 4: the helpers moved to nutpie_callbacks


@dataclass(frozen=True)
class _Slot:
    """Where one shared variable's pointer, size and shape sit in the user-data record.

    Attributes
    ----------
    dtype : numpy.dtype
        Element type of the shared array.
    data_word, size_word, shape_word : int
        Positions (in 8-byte words) of the data pointer, the element count and
        the first dimension in the record.
    ndim : int
        Number of dimensions.
    """

    dtype: np.dtype
    data_word: int
    size_word: int
    shape_word: int
    ndim: int


def _extraction_lines(slots: list[_Slot]) -> list[str]:
    """Source lines that view each shared array (``s0``, ``s1``, ...) from the record words."""
    lines = []
    for index, slot in enumerate(slots):
        shape = "".join(f"np.intp(words[{slot.shape_word + d}]), " for d in range(slot.ndim))
        lines.append(
            f"s{index} = carray(as_voidptr(words[{slot.data_word}]), "
            f"(np.intp(words[{slot.size_word}]),), dtype{index}).reshape(({shape}))"
        )
    return lines


def _input_lines(slots: list[_Slot], words: int, n_dim: int) -> list[str]:
    """Callback lines (inside its ``try``) that view the record, the shared arrays and ``x``."""
    return [
        f"    words = carray(user_data_, ({words},), np.uint64)",
        *("    " + line for line in _extraction_lines(slots)),
        f"    x = carray(x_, ({n_dim},))",
    ]


def _logp_source(name: str, slots: list[_Slot], words: int, n_dim: int) -> str:
    """Source of the log density callback: status 0 ok, 3 non-finite gradient, 4 non-finite logp, 1 error."""
    args = "".join(f", s{i}" for i in range(len(slots)))
    body = [
        f"if dim != {n_dim}:",
        "    return -1",
        "try:",
        *_input_lines(slots, words, n_dim),
        f"    out = carray(out_, ({n_dim},))",
        "    logp = carray(logp_, (1,))",
        f"    logp_val, grad = inner(x{args})",
        "    logp[0] = logp_val",
        f"    if grad.shape[0] != {n_dim}:",
        "        return 1",
        "    finite = True",
        f"    for i in range({n_dim}):",
        "        out[i] = grad[i]",
        "        finite = finite and np.isfinite(grad[i])",
        "    if not finite:",
        "        return 3",
        "    if not np.isfinite(logp_val):",
        "        return 4",
        "except Exception:",
        "    return 1",
        "return 0",
    ]
    return f"def {name}(dim, x_, out_, logp_, user_data_):\n" + "".join(f"    {line}\n" for line in body)


def _expand_source(name: str, slots: list[_Slot], words: int, n_dim: int, n_expanded: int) -> str:
    """Source of the expansion callback: status 0 ok, -1 wrong sizes, -2 error."""
    args = "".join(f", s{i}" for i in range(len(slots)))
    body = [
        f"if dim != {n_dim} or expanded != {n_expanded}:",
        "    return -1",
        "try:",
        *_input_lines(slots, words, n_dim),
        f"    out = carray(out_, ({n_expanded},))",
        f"    (values,) = inner(x{args})",
        "    if values.shape[0] != out.shape[0]:",
        "        return -2",
        f"    for i in range({n_expanded}):",
        "        out[i] = values[i]",
        "except Exception:",
        "    return -2",
        "return 0",
    ]
    return f"def {name}(dim, expanded, x_, out_, user_data_):\n" + "".join(f"    {line}\n" for line in body)


def _callback_name(kind: str) -> str:
    return f"bayeslme_nutpie_{kind}"


def _callback_key(inner_key: str, slots: list[_Slot], source: str) -> str:
    """The callback's numba cache key: its source, its data types and the inner function's key."""
    dtypes = [slot.dtype.str for slot in slots]
    return sha256(f"{_SOURCE_VERSION}\n{inner_key}\n{dtypes}\n{source}".encode()).hexdigest()


def _digest(source: str) -> str:
    return sha256(source.encode()).hexdigest()
