"""/docs and /redoc work without internet access: every URL their pages load is incidenthub's own and answers."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

# Where an HTML page names something to load: src/href attributes, ReDoc's spec-url, Swagger UI's `url:`.
_REFERENCES = re.compile(r"""(?:\b(?:src|href|spec-url)\s*=\s*|\burl\s*:\s*)["']([^"']*)["']""")


@pytest.mark.parametrize(
    ("page", "expected_scripts"),
    [("/docs", {"/docs/assets/swagger-ui-bundle.js"}), ("/redoc", {"/docs/assets/redoc.standalone.js"})],
)
def test_documentation_page_loads_only_local_urls_that_answer(
    client: TestClient, page: str, expected_scripts: set[str]
) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    # No host at all: not a CDN, not Google Fonts, not Swagger's online validator.
    assert "http:" not in html and "https:" not in html
    references = set(_REFERENCES.findall(html))
    assert expected_scripts <= references and "/openapi.json" in references
    for url in references:
        assert url.startswith("/") and not url.startswith("//"), url
        loaded = client.get(url)
        assert loaded.status_code == 200, url
        assert len(loaded.content) > 1000, url
    # The bundle is the real one: Swagger UI's or ReDoc's own code, not a placeholder.
    bundle = client.get(next(iter(expected_scripts))).text
    assert ("SwaggerUIBundle" if page == "/docs" else "Redoc") in bundle


def test_only_the_documentation_assets_are_served(client: TestClient) -> None:
    assert client.get("/docs/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
    for name in ("core.py", "..%2Fcore.py", "__init__.py", "nope.js"):
        assert client.get(f"/docs/assets/{name}").status_code == 404
