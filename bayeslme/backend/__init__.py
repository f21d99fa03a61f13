"""PyMC backend: the only subpackage that imports pymc or pytensor."""
