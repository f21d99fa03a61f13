"""Interpretation on the outcome scale: grids, predictions, comparisons, slopes, marginal means, hypotheses.

The methods of :class:`bayeslme.Fit` (``fit.predictions``, ``fit.comparisons``,
``fit.slopes``, ``fit.marginal_means``, ``fit.hypothesis``) call the modules
here; :func:`datagrid` builds the rows they evaluate. See
``docs/interpretation.md``.
"""

from __future__ import annotations

from bayeslme.interpret.grid import datagrid

__all__ = ["datagrid"]
