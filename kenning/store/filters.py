"""Metadata filters: conditions on the JSON metadata memories carry (``search``, ``get_all``).

A filter is a JSON object, one entry per metadata key, every entry must hold::

    {"topic": "travel",                       # equality
     "city": {"in": ["Lisbon", "Porto"]},     # one of
     "priority": {"gte": 2, "lt": 5},         # ranges on numbers
     "due": {"lt": "2024-06-01"},             # and on ISO 8601 dates (compared as text)
     "done": {"ne": true}}                    # not equal (a memory without the key matches)

Operators: ``eq``, ``ne``, ``in``, ``nin``, ``gt``, ``gte``, ``lt``, ``lte``. Values are
strings, numbers or booleans; a condition only matches values of its own type (``{"gte":
2}`` never matches the string ``"3"``), the same way on every backend. Each condition is a
SQL clause over the store's JSON column (:mod:`kenning.store._sql.memories`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kenning.errors import ValidationError

Scalar = str | int | float | bool


class FilterOp(enum.StrEnum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    NIN = "nin"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"


class ValueType(enum.StrEnum):
    """The JSON type a condition compares with (a value of another type never matches)."""

    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"


# The SQL operator of each comparison; ``ne``/``nin`` are the negations of ``eq``/``in``.
COMPARISONS = {FilterOp.GT: ">", FilterOp.GTE: ">=", FilterOp.LT: "<", FilterOp.LTE: "<="}


@dataclass(frozen=True, slots=True)
class Condition:
    """One test on one metadata key: ``op`` with ``values`` (one, or several for in/nin)."""

    key: str
    op: FilterOp
    values: tuple[Scalar, ...]


def value_type(value: Scalar) -> ValueType:
    if isinstance(value, bool):
        return ValueType.BOOLEAN
    return ValueType.STRING if isinstance(value, str) else ValueType.NUMBER


def _scalar(value: object, field: str) -> Scalar:
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float) and math.isfinite(value):
        return value
    raise ValidationError(field, "must be a string, a finite number or a boolean")


def parse_filters(
    filters: Mapping[str, Any] | None, field: str = "filters"
) -> tuple[Condition, ...]:
    """The conditions of a filter object; errors name the offending part
    (``filters.priority.gte``)."""
    if filters is None:
        return ()
    if not isinstance(filters, Mapping):
        raise ValidationError(field, "must be an object of metadata keys and conditions")
    out: list[Condition] = []
    for key, spec in filters.items():
        where = f"{field}.{key}"
        if not isinstance(key, str) or not 0 < len(key) <= 200 or set(key) & {'"', "\\"}:
            raise ValidationError(
                where, 'a metadata key must be 1 to 200 characters, without " or \\'
            )
        if not isinstance(spec, Mapping):
            out.append(Condition(key, FilterOp.EQ, (_scalar(spec, where),)))
            continue
        if not spec:
            raise ValidationError(where, "needs at least one operator")
        for name, operand in spec.items():
            try:
                op = FilterOp(name)
            except ValueError:
                known = ", ".join(o.value for o in FilterOp)
                raise ValidationError(f"{where}.{name}", f"is not an operator ({known})") from None
            out.append(_condition(key, op, operand, f"{where}.{name}"))
    return tuple(out)


def _condition(key: str, op: FilterOp, operand: object, where: str) -> Condition:
    if op in (FilterOp.IN, FilterOp.NIN):
        if not isinstance(operand, list | tuple) or not operand:
            raise ValidationError(where, "must be a non-empty list")
        return Condition(key, op, tuple(_scalar(v, f"{where}[{i}]") for i, v in enumerate(operand)))
    value = _scalar(operand, where)
    if op in COMPARISONS and isinstance(value, bool):
        raise ValidationError(where, "compares numbers or dates, not booleans")
    return Condition(key, op, (value,))
