"""Exceptions and warnings raised by bayeslme.

Every error a user can trigger with bad input is a subclass of
:class:`BayeslmeError`, itself a :class:`ValueError`, so that callers can catch
either the specific class or everything from this package at once.
"""

from __future__ import annotations

__all__ = [
    "BayeslmeError",
    "ConvergenceWarning",
    "DataError",
    "DataWarning",
    "DroppedRowsWarning",
    "FamilyError",
    "FileFormatError",
    "FormulaError",
    "PriorError",
    "SamplerError",
    "SingularFitWarning",
    "UnseenLevelsError",
]


class BayeslmeError(ValueError):
    """Base class of every error raised by bayeslme for invalid input."""


class FormulaError(BayeslmeError):
    """A model formula that cannot be parsed or does not match the data.

    Parameters
    ----------
    message : str
        What is wrong.
    formula : str, optional
        The formula text; with ``position`` it is shown with a caret under the
        offending token.
    position : int, optional
        Character offset of the offending token in ``formula``.
    """

    def __init__(self, message: str, formula: str | None = None, position: int | None = None):
        text = message
        if formula is not None:
            text += f"\n    {formula}"
            if position is not None:
                text += "\n    " + " " * position + "^"
        super().__init__(text)
        self.formula = formula
        self.position = position


class DataError(BayeslmeError):
    """Data that cannot be used as given (missing columns, bad values, ...)."""


class UnseenLevelsError(DataError):
    """New data contain grouping or categorical levels absent from the fitted data."""


class PriorError(BayeslmeError):
    """An unknown prior key or an invalid prior specification."""


class FamilyError(BayeslmeError):
    """An unknown family or link, or a response the family cannot model."""


class SamplerError(BayeslmeError):
    """An unknown sampler, invalid sampler settings or a missing sampler package."""


class FileFormatError(BayeslmeError):
    """A file that is not a bayeslme fit, is damaged, or comes from a newer version."""


class DroppedRowsWarning(UserWarning):
    """Rows with missing values in model columns were dropped before fitting."""


class DataWarning(UserWarning):
    """Data that can be fitted but look like a mistake (e.g. one observation per group level)."""


class ConvergenceWarning(UserWarning):
    """The sampler's diagnostics suggest the posterior was not explored reliably."""


class SingularFitWarning(UserWarning):
    """A group-effect SD whose posterior piles up at zero: the data support no variation there."""


def label_repr(value: object) -> str:
    """``repr`` of a label for an error message, as the user wrote it (``1``, not ``np.int64(1)``)."""
    return repr(value.item() if hasattr(value, "item") else value)
