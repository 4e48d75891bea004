"""The API's docs page in Debian's Chromium: Swagger UI from our own static files draws the
API's operations with no console error and no request leaving the site."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_the_docs_page_draws_the_api_from_local_files(live_server: Any,
                                                      browser_page: Page) -> None:
    problems: list[str] = []
    requests: list[str] = []
    browser_page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    browser_page.on("pageerror", lambda error: problems.append(str(error)))
    browser_page.on("request", lambda request: requests.append(request.url))
    browser_page.goto(f"{live_server.url}/api/v1/docs")
    expect(browser_page.locator(".swagger-ui .info .title")).to_contain_text("learnpath API")
    expect(browser_page.locator(".opblock-summary-path").first).to_be_visible()
    paths = browser_page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/courses/{slug}/attempts" in path for path in paths)
    site = urlsplit(live_server.url).netloc
    assert all(urlsplit(url).netloc in {site, ""} for url in requests
               if not url.startswith("data:")), requests
    assert problems == []
