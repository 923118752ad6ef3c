"""Ragged lists behave like a list of lists through replacements, gathers and compaction."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from kenning.index.arrays import Ragged

_writes = st.lists(
    st.tuples(st.integers(0, 40), st.lists(st.integers(0, 1000), max_size=6)), max_size=400
)


@given(_writes, st.lists(st.integers(0, 50), max_size=30))
def test_ragged_matches_a_list_of_lists(
    writes: list[tuple[int, list[int]]], asked: list[int]
) -> None:
    ragged = Ragged()
    model: dict[int, list[int]] = {}
    for position, values in writes:
        ragged.set(position, values)
        model[position] = values
    for position in range(45):
        assert ragged.get(position).tolist() == model.get(position, [])
    owners, values = ragged.gather(np.asarray(asked, dtype=np.int64))
    expected = [(i, v) for i, p in enumerate(asked) for v in model.get(p, [])]
    assert list(zip(owners.tolist(), values.tolist(), strict=True)) == expected
    ragged.compact()
    for position in range(45):
        assert ragged.get(position).tolist() == model.get(position, [])
