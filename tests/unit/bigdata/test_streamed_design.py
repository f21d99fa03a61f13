"""A design held as statistics answers every attribute a design of rows has (or says it needs the rows)."""

from __future__ import annotations

import dataclasses

from bayeslme.bigdata.design import StreamedDesign
from bayeslme.formula.design import Design


def test_every_attribute_of_a_design_exists_on_a_streamed_design():
    # Results read designs through these names; a field added to Design but not to StreamedDesign
    # broke predictions for Parquet fits once (intercept_dropped), found only by a fit.
    wanted = {field.name for field in dataclasses.fields(Design)}
    wanted |= {name for name, value in vars(Design).items() if isinstance(value, property)}
    wanted |= {name for name, value in vars(Design).items() if callable(value) and not name.startswith("_")}
    own = set(StreamedDesign.__dataclass_fields__) | set(dir(StreamedDesign))
    assert sorted(wanted - own) == []


def test_only_a_streamed_design_is_held_as_statistics():
    """The results ask a design of sums what they read from rows elsewhere (one protocol, not
    attributes looked up by name): a streamed design provides all of it, a design of rows none."""
    from bayeslme.results.view import StatisticsDesign

    members = [
        name for name in vars(StatisticsDesign) if not name.startswith("_") and name not in ("encoder_rows",)
    ]
    assert set(members) == {"factor_moment", "effect_draws", "level_blocks", "fixed_variance", "bayes_r2"}
    assert all(callable(getattr(StreamedDesign, name)) for name in members)
    assert isinstance(StreamedDesign.encoder_rows, property)
    assert not any(hasattr(Design, name) for name in [*members, "encoder_rows"])
