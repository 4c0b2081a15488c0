"""OpenAPI 3.1 at /api/schema/ and Swagger UI at /api/docs/, served with local assets only."""

from __future__ import annotations

import importlib.metadata
import re

import pytest

ASSET_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


@pytest.mark.parametrize("path", ["/api/schema", "/api/schema/"])
def test_openapi_document_is_served(client, path):
    """The OpenAPI document is served as OpenAPI 3.1 JSON with and without the slash."""
    response = client.get(path)
    assert response.status_code == 200
    assert "json" in response.headers["content-type"]
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] == "Jobraker"
    assert document["info"]["version"] == importlib.metadata.version("jobraker")


def test_openapi_lists_every_route(client):
    """Every API route and both probes are documented."""
    paths = client.get("/api/schema").json()["paths"]
    assert {
        "/api/v1/jobs",
        "/api/v1/jobs/{job_id}",
        "/api/v1/ingestions",
        "/api/v1/ingestions/{run_id}",
        "/health",
        "/ready",
    } <= set(paths)
    assert set(paths["/api/v1/ingestions"]) == {"get", "post"}
    assert not any(path.startswith("/api/docs/assets") for path in paths)


def test_openapi_documents_the_job_filters(client):
    """The job search documents each query parameter, with the allowed values of enums."""
    operation = client.get("/api/schema").json()["paths"]["/api/v1/jobs"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {
        "q",
        "location",
        "country",
        "remote",
        "salary_min",
        "salary_max",
        "currency",
        "employment_type",
        "company",
        "category",
        "posted_within_days",
        "sort",
        "page",
        "per_page",
    }
    assert "relevance" in str(parameters["sort"]["schema"])
    assert "hybrid" in str(parameters["remote"]["schema"])


def test_openapi_documents_problem_responses(client):
    """Error responses are documented as problem documents."""
    document = client.get("/api/schema").json()
    responses = document["paths"]["/api/v1/jobs"]["get"]["responses"]
    assert "application/problem+json" in responses["400"]["content"]
    assert "application/problem+json" in responses["500"]["content"]
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance", "success", "request_id"} <= set(
        problem["properties"]
    )
    post = document["paths"]["/api/v1/ingestions"]["post"]
    assert "202" in post["responses"]
    assert "422" in post["responses"]


@pytest.mark.parametrize("path", ["/api/docs", "/api/docs/"])
def test_swagger_ui_names_no_remote_asset(client, path):
    """The Swagger UI page loads nothing from a CDN or any other host."""
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "SwaggerUIBundle" in html
    for banned in ("cdn", "jsdelivr", "unpkg", "cdnjs", "googleapis"):
        assert banned not in html.lower()
    urls = ASSET_URL.findall(html)
    assert urls
    assert all(url.startswith("/api/docs/assets/") for url in urls), urls


def test_swagger_ui_assets_are_served(client):
    """Every asset the Swagger UI page names is served with its content type."""
    html = client.get("/api/docs/").text
    kinds = {}
    for url in ASSET_URL.findall(html):
        response = client.get(url)
        assert response.status_code == 200, url
        assert len(response.content) > 500, url
        kinds[url.rsplit(".", 1)[-1]] = response.headers["content-type"]
    assert "javascript" in kinds["js"]
    assert kinds["css"].startswith("text/css")
    assert kinds["png"] == "image/png"


def test_swagger_bundle_is_swagger_ui_5(client):
    """The bundled Swagger UI is version 5, which renders OpenAPI 3.1."""
    bundle = client.get("/api/docs/assets/swagger-ui-bundle.js").text
    assert "SwaggerUIBundle" in bundle
    assert re.search(r'"5\.\d+\.\d+"', bundle)


def test_missing_asset_is_404_problem(client):
    """An asset that does not exist answers a 404 problem."""
    response = client.get("/api/docs/assets/nope.js")
    assert response.status_code == 404
    assert response.json()["success"] is False


def test_asset_path_traversal_is_refused(client):
    """The assets route does not serve files outside its folder."""
    response = client.get("/api/docs/assets/../../../../../../etc/passwd")
    assert response.status_code == 404
    response = client.get("/api/docs/assets/..%2F..%2F__init__.py")
    assert response.status_code == 404
