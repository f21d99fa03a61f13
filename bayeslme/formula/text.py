"""Reading formula text at the top level: outside parentheses, quotes and backquotes."""

from __future__ import annotations

from collections.abc import Iterator

from bayeslme.errors import FormulaError

__all__ = ["check_parentheses", "split_top_level", "top_level_find", "unquote_name"]


def _scan(text: str) -> Iterator[tuple[int, str, int]]:
    """``(index, char, depth)`` of each character outside quotes; depth before the character."""
    depth, quote = 0, None
    for i, char in enumerate(text):
        if quote is not None:
            if char == quote:
                quote = None
            continue
        if char in "'\"`":
            quote = char
            continue
        yield i, char, depth
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1


def check_parentheses(text: str) -> None:
    """Raise :class:`FormulaError` with a caret at an unmatched parenthesis or quote."""
    quote, start = None, 0
    for i, char in enumerate(text):
        if quote is None and char in "'\"`":
            quote, start = char, i
        elif char == quote:
            quote = None
    if quote is not None:
        raise FormulaError(f"unclosed {quote} in formula", text, start)
    opened: list[int] = []
    for i, char, _ in _scan(text):
        if char == "(":
            opened.append(i)
        elif char == ")":
            if not opened:
                raise FormulaError("unmatched ')' in formula", text, i)
            opened.pop()
    if opened:
        raise FormulaError("unclosed '(' in formula", text, opened[-1])


def top_level_find(text: str, token: str) -> int:
    """Index of the first ``token`` outside parentheses and quotes, or -1."""
    for i, _, depth in _scan(text):
        if depth == 0 and text.startswith(token, i):
            return i
    return -1


def split_top_level(text: str, separator: str) -> list[tuple[str, int]]:
    """Split on ``separator`` outside parentheses and quotes; return pieces and their offsets."""
    pieces: list[tuple[str, int]] = []
    start = 0
    for i, char, depth in _scan(text):
        if depth == 0 and char == separator:
            pieces.append((text[start:i], start))
            start = i + 1
    pieces.append((text[start:], start))
    return pieces


def unquote_name(name: str) -> str:
    """``"`Animal ID`"`` -> ``"Animal ID"``; other names unchanged (stripped)."""
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == "`":
        return name[1:-1]
    return name
