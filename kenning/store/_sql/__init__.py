"""The SQL core shared by every SQL backend: each query is written once here.

A backend (:mod:`kenning.store.sqlite`, :mod:`kenning.store.postgres`) supplies a
connection, transactions and a :class:`~kenning.store._sql.dialect.Dialect` (placeholders,
column types, the few functions whose names differ); everything else is this package.
"""
