"""The baseline: a bare Litestar hello-world served with the same uvicorn settings as the API."""

from litestar import Litestar, get


@get("/", sync_to_thread=False)
def hello() -> dict[str, str]:
    """Answer a constant JSON document."""
    return {"hello": "world"}


app = Litestar(route_handlers=[hello])
