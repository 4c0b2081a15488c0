"""Pages of results: a request for one page and the page that answers it."""

from __future__ import annotations

from typing import Final, Generic, TypeVar

import attrs

from jobraker_core.errors import InvalidInput

T = TypeVar("T")

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
# Deeper pages are refused: an offset past this many items is never a real reader, and an
# unbounded one would overflow the database's 64-bit OFFSET.
MAX_PAGE: Final = 1_000_000


def _check_page(_: object, __: attrs.Attribute[int], value: int) -> None:
    if not 1 <= value <= MAX_PAGE:
        raise InvalidInput(f"page must be between 1 and {MAX_PAGE}", field="page")


def _check_per_page(_: object, __: attrs.Attribute[int], value: int) -> None:
    if not 1 <= value <= MAX_PER_PAGE:
        raise InvalidInput(f"per_page must be between 1 and {MAX_PER_PAGE}", field="per_page")


@attrs.frozen
class PageRequest:
    """Which page of a result set to return (1-based), and how many items a page holds."""

    page: int = attrs.field(default=1, validator=_check_page)
    per_page: int = attrs.field(default=DEFAULT_PER_PAGE, validator=_check_per_page)

    @property
    def offset(self) -> int:
        """Number of items before this page."""
        return (self.page - 1) * self.per_page


@attrs.frozen
class Page(Generic[T]):
    """One page of items plus the total size of the result set it was cut from."""

    items: tuple[T, ...]
    total: int
    request: PageRequest

    @property
    def total_pages(self) -> int:
        """How many pages the whole result set spans (0 when it is empty)."""
        return -(-self.total // self.request.per_page)  # integer ceil: exact for any total
