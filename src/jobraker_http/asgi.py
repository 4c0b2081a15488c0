"""The ASGI entry point: ``uvicorn --factory jobraker_http.asgi:app``.

``app()`` reads the settings from the environment, configures logging and builds the production
container, only when called: importing this module does nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobraker_adapters.container import Settings, build_container, configure_logging
from jobraker_http.app import create_app

if TYPE_CHECKING:
    from litestar import Litestar


def app() -> Litestar:
    """Build the API application for this process's environment."""
    settings = Settings.from_os()
    configure_logging(settings)
    return create_app(build_container(settings))
