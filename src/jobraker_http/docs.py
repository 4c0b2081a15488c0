"""API documentation: OpenAPI 3.1 at ``/api/schema/`` and Swagger UI at ``/api/docs/``.

Swagger UI is served from files installed with the ``swagger-ui-py`` package (Swagger UI 5, which
renders OpenAPI 3.1), under ``/api/docs/assets/``, so the docs work offline: the page names no
CDN, not even for its favicon.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from http import HTTPStatus
from pathlib import Path
from typing import Final

from litestar import Litestar, Router
from litestar.datastructures import CacheControlHeader
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag
from litestar.static_files import create_static_files_router

from jobraker_http.envelope import PROBLEM_MEDIA_TYPE, Problem
from jobraker_http.guards import access_guards_of, public, requires_admin, requires_user

API_DOCS_PATH: Final = "/api"
ASSETS_PATH: Final = "/api/docs/assets"
SWAGGER_JS: Final = f"{ASSETS_PATH}/swagger-ui-bundle.js"
SWAGGER_CSS: Final = f"{ASSETS_PATH}/swagger-ui.css"
SWAGGER_PRESET_JS: Final = f"{ASSETS_PATH}/swagger-ui-standalone-preset.js"
FAVICON: Final = f"{ASSETS_PATH}/favicon-32x32.png"
_ASSET_FILES: Final = (
    "swagger-ui-bundle.js",
    "swagger-ui.css",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
)

DESCRIPTION: Final = """\
Jobraker's HTTP API.

Every success answer is an envelope `{"success": true, "data": ..., "meta": {...}}`; lists carry
`meta.pagination = {page, per_page, total, total_pages}`.

Every error is an RFC 9457 problem document (`application/problem+json`) with `type`, `title`,
`status`, `detail`, `instance`, `"success": false`, the `request_id`, and for refused inputs
`errors: [{"field", "message"}]`. Send `X-Request-ID` to choose the request id
(`[A-Za-z0-9._-]{1,64}`); every response returns it in `X-Request-ID`.
"""


def api_version() -> str:
    """Return the installed version of the ``jobraker`` distribution."""
    try:
        return importlib.metadata.version("jobraker")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0+unknown"


def swagger_assets_dir() -> Path:
    """Find the Swagger UI files' folder (without importing their package)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        msg = "the swagger-ui-py package is not installed; the API docs need it"
        raise RuntimeError(msg)
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    missing = [name for name in _ASSET_FILES if not (folder / name).is_file()]
    if missing:
        msg = f"Swagger UI files missing from {folder}: {', '.join(missing)}"
        raise RuntimeError(msg)
    return folder


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem responses a route can give (500 is always possible)."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            description=HTTPStatus(status).phrase,
            generate_examples=False,
        )
        for status in (*statuses, 500)
    }


BEARER_SCHEME: Final = "BearerToken"


def declare_bearer_security(app: Litestar) -> None:
    """Mark every route a user or admin guard protects as needing the bearer token in OpenAPI.

    Derived from the guards themselves, so the document cannot drift from what is enforced;
    Swagger UI then offers "Authorize" and sends the token with those operations.
    """
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            guards = access_guards_of(handler)
            if (requires_user in guards or requires_admin in guards) and isinstance(
                handler, HTTPRouteHandler
            ):
                handler.security = [{BEARER_SCHEME: []}]


def openapi_config() -> OpenAPIConfig:
    """Describe the OpenAPI document and the routes that serve it."""
    return OpenAPIConfig(
        title="Jobraker",
        version=api_version(),
        description=DESCRIPTION,
        path=API_DOCS_PATH,
        # the docs are public; the router carries the guard every route must declare
        openapi_router=Router(
            API_DOCS_PATH,
            route_handlers=[],
            include_in_schema=False,
            dto=None,
            return_dto=None,
            guards=[public],
        ),
        components=Components(
            security_schemes={
                BEARER_SCHEME: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="An access token from POST /api/v1/auth/login/.",
                )
            }
        ),
        tags=[
            Tag(name="jobs", description="Search the de-duplicated jobs."),
            Tag(name="ingestions", description="Bring jobs in from sources, on the worker."),
            Tag(name="operations", description="Liveness and readiness probes."),
        ],
        render_plugins=[
            JsonRenderPlugin(path="/schema"),
            SwaggerRenderPlugin(
                path="/docs",
                js_url=SWAGGER_JS,
                css_url=SWAGGER_CSS,
                standalone_preset_js_url=SWAGGER_PRESET_JS,
                favicon=f"<link rel='icon' type='image/png' href='{FAVICON}'>",
            ),
        ],
    )


def docs_assets_router() -> Router:
    """Serve the Swagger UI files under ``/api/docs/assets/``."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[swagger_assets_dir()],
        name="docs-assets",
        include_in_schema=False,
        guards=[public],
        cache_control=CacheControlHeader(max_age=86_400, public=True),
    )
