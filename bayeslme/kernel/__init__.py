"""Precompiled log density of the mixed models, generic in every size (compiled once per machine).

:mod:`~bayeslme.kernel.density` is the log density and gradient of the
non-centered model, of the one-factor collapsed model and of the marginal
model (the non-centered one with one Gaussian factor integrated out), written
once in numba and cached on disk; :mod:`~bayeslme.kernel.layout` turns a spec and its design
into the numbers the density reads; :mod:`~bayeslme.kernel.draws` turns
sampled unconstrained vectors into the posterior variables of the PyMC model;
:mod:`~bayeslme.kernel.nutpie_model` hands the density to nutpie.
"""
