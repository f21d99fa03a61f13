"""Posterior results: pure numpy maths on draws plus thin labelling layers."""
