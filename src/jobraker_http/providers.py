"""Route dependencies read from the composition root (``state.container``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from litestar.datastructures import State  # noqa: TC002 - Litestar reads it at runtime
from litestar.di import Provide

if TYPE_CHECKING:
    from jobraker_adapters.container import Container


def container_of(state: State) -> Container:
    """The application's container."""
    return cast("Container", state.container)


def container_provider(name: str) -> Provide:
    """A dependency answering ``container.<name>()`` (a use case, a service) on each request."""

    def provide(state: State) -> object:
        return getattr(container_of(state), name)()

    return Provide(provide, sync_to_thread=False)
