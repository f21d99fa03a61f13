"""Plots of fits. Each module imports matplotlib lazily and returns its axes.

Plot functions with a ``_draws`` suffix take plain numpy arrays so they can be
tested and reused without a fit; the :class:`~bayeslme.Fit` methods add labels.
"""
