"""`/board` and its assets: served by the app without a key, from the package, and nothing else of its folder."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from incidenthub.board.router import ASSETS


def test_the_page_and_every_asset_it_names_are_served_without_a_key(client: TestClient) -> None:
    page = client.get("/board")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Content-Security-Policy" in page.headers and "script-src 'self'" in page.headers["Content-Security-Policy"]
    named = set(re.findall(r'(?:href|src)="/board/([\w.]+)"', page.text))
    scripts = {name for name in ASSETS if name.endswith(".js")}
    for name in named | scripts:
        asset = client.get(f"/board/{name}")
        assert asset.status_code == 200, name
        assert asset.headers["content-type"].split(";")[0] == ASSETS[name]
    # Every module the page's script imports is one the server serves.
    imports = set(re.findall(r'from "/board/([\w.]+)"', client.get("/board/board.js").text))
    assert imports and imports <= set(ASSETS)


def test_nothing_else_is_reachable_and_no_key_is_asked_for_in_a_url(client: TestClient) -> None:
    for name in ("index.htm", "..%2Frouter.py", "router.py", "secret.txt"):
        response = client.get(f"/board/{name}")
        assert response.status_code == 404, name
        assert response.headers["content-type"] == "application/problem+json"
    # Not even a page whose script failed to load puts the key in its address: the form posts (and the page's
    # policy lets no form submit anywhere).
    page = client.get("/board")
    assert '<form id="signin-form" method="post"' in page.text
    assert "form-action 'none'" in page.headers["Content-Security-Policy"]
    # The key travels in the Authorization header only: no script builds a URL with it.
    for name in ASSETS:
        text = client.get(f"/board/{name}").text
        assert "?key=" not in text and "&key=" not in text and "api_key=" not in text
