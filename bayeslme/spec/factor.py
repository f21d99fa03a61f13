"""A grouping factor's structure and every name derived from it."""

from __future__ import annotations

from dataclasses import dataclass

from bayeslme.blocks import BlockSpec

__all__ = ["FactorSpec"]


@dataclass(frozen=True)
class FactorSpec:
    """A grouping factor: its levels, effects and blocks, and the names it gives the model.

    Every model variable and dimension of a factor is named ``<name>__<role>``
    (``Subject__sd``, ``Subject__level``); names of the model's own
    variables (``b``, ``sigma``, ``obs``, ...) never contain ``__``, so no
    column name can collide with them.

    Attributes
    ----------
    name : str
        Factor name: the grouping column (``"Subject"``), columns joined by
        ``:`` (``"school:class"``), or lme4's ``"g.1"`` for a second term of
        ``g`` that repeats an effect.
    levels : tuple of str
        Level labels in order.
    effects : tuple of str
        Effect names (columns of ``Z``).
    blocks : tuple of BlockSpec
        Partition of the effects into blocks with a covariance structure.
    columns : tuple of str
        Data columns that define the levels.
    """

    name: str
    levels: tuple[str, ...]
    effects: tuple[str, ...]
    blocks: tuple[BlockSpec, ...]
    columns: tuple[str, ...] = ()

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """All correlated effect pairs of the factor, block by block."""
        return tuple(pair for block in self.blocks for pair in block.pairs())

    def pair_labels(self) -> list[str]:
        """Coordinate labels of the correlation pairs, ``"a, b"``."""
        return [f"{a}, {b}" for a, b in self.pairs()]

    @property
    def stem(self) -> str:
        """The factor name as the prefix of its variable names (PyMC refuses ``/``: written ``\u2215``)."""
        return self.name.replace("/", "\u2215")

    @property
    def level_dim(self) -> str:
        """Dimension of the factor's levels."""
        return f"{self.stem}__level"

    @property
    def effect_dim(self) -> str:
        """Dimension of the factor's effects."""
        return f"{self.stem}__effect"

    @property
    def pair_dim(self) -> str:
        """Dimension of the factor's correlated effect pairs."""
        return f"{self.stem}__cor_pair"

    @property
    def sd_var(self) -> str:
        """Variable of the effects' SDs, dims ``(effect_dim,)``."""
        return f"{self.stem}__sd"

    @property
    def cor_var(self) -> str:
        """Variable of the correlations, dims ``(pair_dim,)``."""
        return f"{self.stem}__cor"

    @property
    def u_var(self) -> str:
        """Variable of the group effects, dims ``(level_dim, effect_dim)``."""
        return f"{self.stem}__u"

    @property
    def v_var(self) -> str:
        """Variable of the group intercepts around the fixed intercept (hierarchical centering)."""
        return f"{self.stem}__v"

    @property
    def z_var(self) -> str:
        """Variable of the standardised group effects, dims ``(level_dim, effect_dim)``."""
        return f"{self.stem}__z"

    @property
    def index_var(self) -> str:
        """Data variable of each row's level index."""
        return f"{self.stem}__index"

    @property
    def Z_var(self) -> str:
        """Data variable of the values multiplying the effects."""
        return f"{self.stem}__Z"

    def level_x_var(self, columns: tuple[int, ...]) -> str:
        """Each level's values of the level-wide fixed-effect ``columns`` (hierarchical centering).

        The positions are part of the name, so that a model absorbing other
        columns has another key in the compile cache.
        """
        return f"{self.stem}__level_X_{'_'.join(map(str, columns))}"

    def chol_var(self, block: int) -> str:
        """Variable of block ``block``'s LKJ Cholesky factor."""
        return f"{self.stem}__L{block}"

    def rho_var(self, block: int) -> str:
        """Variable of block ``block``'s correlation parameter (``cs``, ``ar1``)."""
        return f"{self.stem}__rho{block}"

    @property
    def sd_free_var(self) -> str:
        """Variable of the free SDs when blocks share one (``hom``): one per SD slot."""
        return f"{self.stem}__sd_free"

    def sd_key(self, effect: str) -> str:
        """Prior key of one effect's SD (of its block's first effect when the block shares one)."""
        for block in self.blocks:
            if effect in block.effects and block.shared_sd:
                return f"sd[{self.name}|{block.effects[0]}]"
        return f"sd[{self.name}|{effect}]"

    def sd_slots(self) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """Free SDs as ``(prior key, positions of the effects they scale)``, in effect order."""
        slots = []
        start = 0
        for block in self.blocks:
            width = len(block.effects)
            if block.shared_sd:
                slots.append((self.sd_key(block.effects[0]), tuple(range(start, start + width))))
            else:
                slots += [(self.sd_key(e), (start + i,)) for i, e in enumerate(block.effects)]
            start += width
        return tuple(slots)

    @property
    def rho_key(self) -> str:
        """Prior key of the correlation parameter of the factor's ``cs``/``ar1`` blocks."""
        return f"rho[{self.name}]"

    @property
    def cor_key(self) -> str:
        """Prior key of the factor's correlations."""
        return f"cor[{self.name}]"

    def sd_labels(self) -> list[str]:
        """Row labels of the SDs in summaries, one per effect (``sd[factor|effect]``)."""
        return [f"sd[{self.name}|{effect}]" for effect in self.effects]

    def cor_labels(self) -> list[str]:
        """Row labels of the correlations in summaries."""
        return [f"cor[{self.name}|{a}, {b}]" for a, b in self.pairs()]
