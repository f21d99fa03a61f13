"""R spellings of formula terms, rewritten for formulae, and formulae's names shown as written.

lme4 users write terms in R: ``I(x^2)``, ``(a + b)^2``, ``a %in% b``, ``a/b``
(nesting in the fixed part), ``scale(x)``. formulae reads Python-like terms,
so :func:`translate` rewrites the few spellings it would read differently or
not at all:

* ``^`` becomes ``**`` (formulae's power of terms outside ``I()``, Python's
  power inside, as R's ``^`` in both places);
* ``a %in% b`` becomes ``a:b`` (the same columns in R);
* ``scale(`` and ``bs(`` call R's versions (:mod:`bayeslme.formula.rfunctions`),
  because formulae's own ``scale`` divides by n and its ``bs`` is another
  basis than ``splines::bs``;
* R's package prefixes ``splines::``, ``stats::``, ``base::`` and ``lme4::`` are
  dropped (``splines::ns(x, 3)`` is ``ns(x, 3)``);
* in a fixed part, ``a/b`` becomes ``a + a:b`` and ``(a + b)/c`` becomes
  ``a + b + a:b:c`` (R's nesting operator).

Everything else R users write (``log``, ``exp``, ``sqrt``, ``round``,
``factor``, ``as.factor``, ``TRUE``, ...) is provided as a function of the
evaluation namespace (:mod:`bayeslme.formula.rfunctions`), so names stay as
written. :func:`display_name` turns formulae's column names back into the
spelling of the formula (``I(x ** 2)`` -> ``I(x^2)`` when ``^`` was written).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bayeslme.formula.text import split_top_level

__all__ = ["Spelling", "display_name", "expand_nesting", "translate"]

SCALE_CALLEE = "bl_scale"
"""Name under which R's ``scale`` is evaluated (formulae's own ``scale`` would shadow it)."""

BS_CALLEE = "bl_bs"
"""Name under which R's ``bs`` is evaluated (formulae's own ``bs`` would shadow it)."""

_CALLEES = {"scale": SCALE_CALLEE, "bs": BS_CALLEE}
_RENAME = re.compile(r"(?<![\w.])(scale|bs)\s*\(")
_PACKAGE = re.compile(r"(?<![\w.])(?:splines|stats|base|lme4)::")


@dataclass(frozen=True)
class Spelling:
    """How a formula was written, for showing formulae's column names as written.

    Attributes
    ----------
    caret : bool
        The formula wrote powers with ``^`` (show ``x^2``, not ``x ** 2``).
    """

    caret: bool = False


def spelling_of(text: str) -> Spelling:
    """The :class:`Spelling` of formula ``text``."""
    return Spelling(caret="^" in _unquoted(text))


def translate(expr: str) -> str:
    """Rewrite R spellings in a term expression into formulae syntax (see the module docstring)."""
    return _map_unquoted(expr, _translate_segment)


def _translate_segment(segment: str) -> str:
    segment = _PACKAGE.sub("", segment.replace("%in%", ":").replace("^", "**"))
    return _RENAME.sub(lambda m: f"{_CALLEES[m.group(1)]}(", segment)


def display_name(name: str, spelling: Spelling) -> str:
    """Formulae's column name in the user's spelling."""
    for shown, callee in _CALLEES.items():
        name = name.replace(f"{callee}(", f"{shown}(")
    if spelling.caret:
        name = name.replace(" ** ", "^").replace("**", "^")
    return name


def expand_nesting(fixed: str) -> str:
    """Expand R's nesting operator ``/`` between top-level terms of a fixed part.

    ``a/b`` is ``a + a:b``; ``a/b/c`` is ``a + a:b + a:b:c``; ``(a + b)/c`` is
    ``a + b + a:b:c``; ``a/(b + c)`` is ``a + a:b + a:c``. A ``/`` inside a
    call or ``I()`` is division and is left alone.
    """
    pieces: list[str] = []
    for piece, _ in split_top_level(fixed, "+"):
        parts = [part for part, _ in split_top_level(piece.strip(), "/")]
        if len(parts) == 1 or any(not part.strip() for part in parts):
            pieces.append(piece.strip())
            continue
        left = _sum_terms(parts[0])
        pieces.extend(left)
        prefix = ":".join(left)
        for part in parts[1:]:
            right = _sum_terms(part)
            pieces.extend(f"{prefix}:{term}" for term in right)
            prefix = f"{prefix}:{':'.join(right)}"
    return " + ".join(pieces)


def _sum_terms(text: str) -> list[str]:
    """``"(a + b)"`` -> ``["a", "b"]``; ``"a"`` -> ``["a"]``."""
    text = text.strip()
    if text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        inner = text[1:-1]
        return [p.strip() for p, _ in split_top_level(inner, "+") if p.strip()]
    return [text]


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if depth < 0:
            return False
    return depth == 0


def _unquoted(text: str) -> str:
    """``text`` with string literals and backquoted names removed."""
    out: list[str] = []
    _map_unquoted(text, lambda segment: out.append(segment) or segment)
    return "".join(out)


def _map_unquoted(text: str, function) -> str:
    """Apply ``function`` to the parts of ``text`` outside quotes and backquotes."""
    out: list[str] = []
    start, i, quote = 0, 0, None
    while i < len(text):
        char = text[i]
        if quote is None and char in "'\"`":
            out.append(function(text[start:i]))
            quote, start = char, i
        elif quote is not None and char == quote:
            out.append(text[start : i + 1])
            quote, start = None, i + 1
        i += 1
    tail = text[start:]
    out.append(tail if quote is not None else function(tail))
    return "".join(out)
