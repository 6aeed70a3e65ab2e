"""A reviewer in a real browser (Playwright driving Debian's Chromium, headless).

Logs in, opens the top item, presses ``c``, and sees the item leave the queue and the decision
in the audit log. Never downloads a browser: it uses /usr/bin/chromium or skips.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from groomwatch.serving.auth import add_user
from groomwatch.serving.db import Database

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="browser test needs Chromium at /usr/bin/chromium "
                              "(Debian: apt-get install chromium)"),
]


def test_reviewer_confirms_the_top_item_with_the_keyboard(start_server, chat, browser_page,
                                                          secret_word):
    server = start_server("--double-review-rate", "0")  # Secure cookies: 127.0.0.1 is trusted
    with httpx.Client(base_url=server.url,
                      headers={"Authorization": f"Bearer {server.api_key}"}) as api:
        batch = {"conversations": [chat(i, True) for i in range(3)]}
        results = api.post("/v1/conversations/score", json=batch).json()["results"]
    top = max(results, key=lambda r: r["score"])["review_id"]
    add_user(Database(server.db_url), "rita", "reviewer", "a long test password")

    page = browser_page
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", "rita")
    page.fill("input[name=password]", "a long test password")
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    assert page.locator("tr.item").count() == 3

    page.click("#open-next")
    page.wait_for_url(f"{server.url}/review/{top}")
    text = page.locator(".message .text").first
    assert secret_word in text.inner_text()
    assert "blur" in text.evaluate("e => getComputedStyle(e).filter")  # blurred by default
    page.check("#show-text")
    assert text.evaluate("e => getComputedStyle(e).filter") == "none"
    assert page.locator("kbd", has_text=re.compile("^c$")).count() == 1
    strongest = page.locator(".message.top.heat10")  # highlighted despite the strict CSP
    assert strongest.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"

    page.keyboard.press("c")
    page.wait_for_url(re.compile(r"/\?message="))
    assert "confirmed" in page.locator(".notice").inner_text()
    remaining = page.locator("tr.item").evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert len(remaining) == 2 and str(top) not in remaining

    page.click("text=Audit log")
    first_row = page.locator("#audit tbody tr").first.inner_text()
    assert "rita" in first_row and "decision" in first_row and f"review:{top}" in first_row
    assert "outcome=confirm" in first_row
