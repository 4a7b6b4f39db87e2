"""`GET /` names the service and links its docs; `/docs` and `/redoc` load every asset from the API
itself (no CDN), so they work offline and behind a school's web filter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from html.parser import HTMLParser

import httpx
import pytest

from attendance_common.settings import ServiceSettings
from attendance_common.web import create_service_app

CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


class AssetUrls(HTMLParser):
    """Every `src` and `href` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def asset_urls(html: str) -> list[str]:
    parser = AssetUrls()
    parser.feed(html)
    return parser.urls


@pytest.fixture
async def client(tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(service="registers", data_dir=tmp_path, log_json=False)
    app = create_service_app(settings, title="Attendance registers", routers=[])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registers") as client:
        yield client


async def test_root_answers_the_name_version_and_links(client):
    index = await client.get("/")

    assert index.status_code == 200
    assert index.json() == {
        "name": "Attendance registers",
        "service": "registers",
        "version": "1.0.0",
        "links": {
            "docs": "/docs",
            "redoc": "/redoc",
            "openapi": "/openapi.json",
            "metrics": "/metrics",
            "health": "/healthz",
            "ready": "/readyz",
        },
    }
    for path in index.json()["links"].values():
        if path != "/readyz":  # needs the database and broker: not started here
            assert (await client.get(path)).status_code == 200, path


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_every_asset_from_the_api_itself(client, page):
    html = (await client.get(page)).text

    assert "http://" not in html and "https://" not in html  # no CDN, no fonts from elsewhere
    urls = asset_urls(html)
    assert any(url.endswith(".js") for url in urls)
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        kind = next(kind for suffix, kind in CONTENT_TYPES.items() if url.endswith(suffix))
        assert asset.headers["content-type"].startswith(kind), url
        assert len(asset.content) > 0


async def test_swagger_ui_reads_the_services_openapi_document(client):
    html = (await client.get("/docs")).text

    assert "url: '/openapi.json'" in html
    assert (await client.get("/openapi.json")).json()["info"]["title"] == "Attendance registers"
