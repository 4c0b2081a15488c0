"""Vendor callbacks: ``POST /api/v1/webhooks/skyvern/`` (public; the signature is the credential).

The handler reads the *raw* request body (Skyvern signs the exact bytes; parsed and re-serialized
JSON would not verify) and hands it with the headers to ``ReceiveRunWebhook``: a bad or missing
signature answers 401 with an audit event and changes nothing; a valid callback is applied
idempotently and monotonically, so duplicates and replays answer 200 and change nothing. The
work is one short transaction, so Skyvern gets its answer well within its timeout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, cast

import msgspec
from litestar import Request, Router, post
from litestar.concurrency import sync_to_thread

from jobraker_http.auth import client_ip
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta
from jobraker_http.guards import public

if TYPE_CHECKING:
    from jobraker_adapters.container import Container


class WebhookResultOut(msgspec.Struct, kw_only=True):
    """What the callback did: ``recorded`` (a change), ``ignored`` (a duplicate, unknown run)."""

    outcome: Literal["recorded", "ignored"]


class WebhookEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around the outcome."""

    success: Literal[True]
    data: WebhookResultOut
    meta: ItemMeta


@post(
    "/skyvern",
    guards=[public],
    status_code=200,
    summary="Skyvern run callback",
    description="Called by Skyvern when a run ends. Authenticated by `x-skyvern-signature` "
    "(HMAC-SHA256 of the raw body with the Skyvern API key; the previous key is accepted "
    "during a rotation): 401 on a missing or wrong signature. Idempotent.",
    responses=problem_responses(401, 422, 503),
)
async def skyvern_webhook(request: Request[Any, Any, Any]) -> WebhookEnvelope:
    """Verify and apply one Skyvern callback."""
    body = await request.body()
    headers = {key.lower(): value for key, value in request.headers.items()}
    container = cast("Container", request.app.state.container)
    receive = container.receive_run_webhook()
    recorded = await sync_to_thread(receive, body, headers, ip=client_ip(request))
    outcome: Literal["recorded", "ignored"] = (
        "recorded" if recorded.outcome.value == "recorded" else "ignored"
    )
    return WebhookEnvelope(success=True, data=WebhookResultOut(outcome=outcome), meta=ItemMeta())


def webhooks_router() -> Router:
    """The vendor callbacks under ``/api/v1/webhooks``."""
    return Router(path="/webhooks", route_handlers=[skyvern_webhook], tags=["webhooks"])
