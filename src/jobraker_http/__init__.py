"""Jobraker's HTTP API: a Litestar application over the composition root's container.

``create_app(container)`` builds it; ``jobraker_http.asgi:app`` is the factory for uvicorn.
"""

from jobraker_http.app import create_app

__all__ = ["create_app"]
