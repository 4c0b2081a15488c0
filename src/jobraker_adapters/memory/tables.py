"""The copy-on-enter, publish-on-commit session shared by the in-memory table groups.

A group of tables is an attrs class whose every field is a dict (a table by its key) and which
has a ``copy`` making new dicts. A unit of work's ``TableSession`` works on a copy of the committed
group and, on commit, writes into the store only the rows it inserted, replaced or deleted, so
concurrent units do not lose each other's writes. Each area adds its own ``check`` (the unique keys
PostgreSQL would enforce).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, MutableMapping
from typing import Generic, Protocol, Self, TypeVar

import attrs

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")


class Tables(attrs.AttrsInstance, Protocol):
    """A group of tables: an attrs class of dicts that can copy itself."""

    def copy(self) -> Self:
        """A copy whose dicts can change without touching these."""
        ...


_T = TypeVar("_T", bound=Tables)


def publish_changes(
    now: Mapping[_K, _V], before: Mapping[_K, _V], store: MutableMapping[_K, _V]
) -> None:
    """Write into ``store`` the rows that differ between ``before`` and ``now``, deletions too."""
    store.update({k: v for k, v in now.items() if before.get(k) is not v})
    for key in before.keys() - now.keys():
        store.pop(key, None)


class TableSession(Generic[_T]):
    """One unit of work's view of a group of tables: a copy, published on commit."""

    def __init__(self, committed: _T) -> None:
        """Start from a copy of ``committed`` (call under the store's lock)."""
        self._before = committed.copy()
        self.tables = committed.copy()

    def publish(self, store: _T) -> None:
        """Apply this unit's changes to the store (call under its lock, after ``check``)."""
        for field in attrs.fields(type(self.tables)):
            publish_changes(
                getattr(self.tables, field.name),
                getattr(self._before, field.name),
                getattr(store, field.name),
            )
        self._before = self.tables.copy()
