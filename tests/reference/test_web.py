"""Serving the reference web client (WEB_UI.md §6): index, assets, runtime config with web faults."""

from __future__ import annotations

from pathlib import Path

from harness.reference.server import web as web_client

from .helpers import Api


async def test_index_and_assets_from_a_root(tmp_path: Path) -> None:
    assert web_client.serve("/", "GET", [], root=tmp_path).status == 404  # no client built yet
    (tmp_path / "index.html").write_text("<!doctype html><title>x</title>")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "main.js").write_text("export {};")
    (tmp_path / "assets" / "style.css").write_text("body{}")
    (tmp_path / "secret.txt").write_text("nope")
    for path in ("/", "/login", "/app"):
        response = web_client.serve(path, "GET", [], root=tmp_path)
        assert (response.status, response.headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    js = web_client.serve("/assets/main.js", "GET", [], root=tmp_path)
    assert (js.status, js.headers["Content-Type"], js.body) == (200, "text/javascript; charset=utf-8", b"export {};")
    assert web_client.serve("/assets/style.css", "GET", [], root=tmp_path).headers["Content-Type"] == "text/css; charset=utf-8"
    for path in ("/assets/missing.js", "/assets/../secret.txt", "/assets/%2e%2e/secret.txt", "/assets/",
                 "/assets/%00", "/assets/main.js%00.css"):
        assert web_client.serve(path, "GET", [], root=tmp_path).status == 404, path
    assert web_client.serve("/", "POST", [], root=tmp_path).status == 405


async def test_live_server_serves_the_client_and_its_config(start_server) -> None:
    server = await start_server(faults=["web.rename_not_applied", "suppress:message_create", "web.gear_missing"])
    api: Api = server.api
    config = await api.req("GET", "/assets/reference-config.js")
    assert config.headers["content-type"] == "text/javascript; charset=utf-8"
    assert config.text == 'window.__FILAMENT_REFERENCE__ = {"webFaults": ["web.gear_missing", "web.rename_not_applied"]};\n'
    index = await api.req("GET", "/app")
    if (web_client.WEB_ROOT / "index.html").is_file():
        assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
        assert "/assets/reference-config.js" in index.text
    else:  # pragma: no cover - before the client exists
        assert index.status_code == 404
    assert (await api.req("GET", "/api/app")).status_code == 404  # /api is the REST surface only


async def test_no_faults_means_an_empty_list(api: Api) -> None:
    assert (await api.req("GET", "/assets/reference-config.js")).text == 'window.__FILAMENT_REFERENCE__ = {"webFaults": []};\n'


async def test_live_server_answers_404_for_a_nul_byte_in_an_asset_path(api: Api) -> None:
    """A NUL byte used to make path resolution raise (aiohttp's own 500 page and a traceback)."""
    for path in ("/assets/%00", "/assets/a%00b.js"):
        response = await api.req("GET", path)
        assert (response.status_code, response.content) == (404, b""), path
