"""The OpenAPI document is generated from the code, valid, and covers every endpoint."""

from __future__ import annotations

import re

from openapi_spec_validator import validate


def test_openapi_document_is_valid_and_complete(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert "bearerAuth" in spec["components"]["securitySchemes"]

    documented = {
        (re.sub(r"\{[^}]+\}", "{}", path), method.upper())
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs."):
            continue
        path = re.sub(r"<[^>]+>", "{}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {rule.rule} is not in the OpenAPI document"


def test_api_problem_documents(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 404 and body["title"]
